"""Built-in lessons: links into the pages, made with the same settings a teacher's link holds.

Each lesson writes out every setting it depends on (a link sets what it leaves out back to its
default), and a short task in the teacher's `task` parameter. The home page lists them; their
tests open each link on its page and check the material's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    title: str
    page: str             # the page file, as st.page_link takes it
    params: dict          # the link's query parameters, task included
    shows: str            # one sentence: what the learner will find


LESSONS = [
    Lesson("A photo into a dense layer", "app_pages/0_Neurons_and_layers.py",
           {"height": "256", "width": "256", "channels": "3", "units": "1000", "kernel": "3",
            "filters": "32",
            "task": "How many weights does this dense layer need for one 256x256 colour photo? "
                    "Halve the side: how many now? And the convolution?"},
           "The material's 256x256x3 image into 1,000 dense units: 196,608,000 weights, "
           "against 896 for a convolution layer."),
    Lesson("Sobel on the cat", "app_pages/1_Image_kernels.py",
           {"photo": "Cat (Chelsea)", "mode": "Preset", "kernel": "Sobel x", "border": "same",
            "display": "abs",
            "task": "Sobel x finds vertical edges. Where are the brightest lines on the cat? "
                    "Then pick Sobel y and say what changed."},
           "A 3x3 edge kernel on a photo: bright where brightness changes from left to right."),
    Lesson("A 5x5 grid and a vertical-edge kernel", "app_pages/2_Sliding_window.py",
           {"input": "Classic 5x5", "mode": "Preset", "kernel": "Vertical edge",
            "padding": "valid", "stride": "1", "step": "1",
            "task": "Work out each output cell by hand before you press Next; the last one "
                    "is -10."},
           "Nine steps of the sliding window, each sum written out."),
    Lesson("Edges in a 6x6 image", "app_pages/2_Sliding_window.py",
           {"input": "Edge 6x6", "mode": "Preset", "kernel": "Vertical edge",
            "padding": "valid", "stride": "1", "step": "1",
            "task": "Why is every output row 0 24 24 0? Find the step where 24 first appears."},
           "A picture with one vertical edge, and the feature map that finds it."),
    Lesson("The classic MNIST recipe", "app_pages/4_Train_a_CNN.py",
           {"data": "mnist", "model": "mnist_cnn", "subset": "60000", "epochs": "2",
            "task": "Press Train. The classic result is 98.5% to 99% test accuracy after 2 "
                    "epochs on all 60,000 digits: does your run get there?"},
           "16 and 32 filters with dropout on every MNIST training image, 2 epochs."),
    Lesson("Bird or not, with 5% birds", "app_pages/7_Precision_and_recall.py",
           {"problem": "cifar_bird", "share": "5",
            "task": "A model that always says 'not a bird' is 95% accurate here. Train the "
                    "CNN: does it beat that, and what are its precision and recall?"},
           "Why accuracy misleads when one class is rare, and what precision and recall say."),
]
