"""The learning path: every page in teaching order. Pages whose file is missing are skipped,
so the home page and sidebar only ever link to pages that exist."""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.config import REPO_ROOT


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to the repository root, as st.Page expects
    title: str
    icon: str
    lesson: str


LEARNING_PATH = [
    PageInfo("app_pages/0_Neurons_and_layers.py", "Neurons and layers", ":material/hub:",
             "One neuron, activation functions, batches and epochs, and a small network that "
             "learns to tell iris flowers apart."),
    PageInfo("app_pages/1_Image_kernels.py", "Image kernels", ":material/filter:",
             "Slide small grids of numbers over a photo: blur, sharpen and find edges."),
    PageInfo("app_pages/2_Sliding_window.py", "Sliding window", ":material/grid_on:",
             "Watch a kernel move over a grid of numbers and fill the output cell by cell."),
    PageInfo("app_pages/3_Pooling.py", "Pooling", ":material/compress:",
             "See max and average pooling shrink a feature map while keeping what matters."),
    PageInfo("app_pages/4_Train_a_CNN.py", "Train a CNN", ":material/model_training:",
             "Train a small Keras CNN on MNIST (or Fashion-MNIST, CIFAR-10) live."),
    PageInfo("app_pages/5_Your_own_images.py", "Your own images", ":material/photo_library:",
             "Teach a CNN your own classes of pictures, from scratch and on a pretrained "
             "network, and see why the pretrained one wins with few pictures."),
    PageInfo("app_pages/6_Draw_and_predict.py", "Draw and predict", ":material/draw:",
             "Draw a digit, see the prediction and what each layer sees."),
    PageInfo("app_pages/7_Precision_and_recall.py", "Precision and recall", ":material/balance:",
             "Learn why 95% accuracy can be useless when one class is rare."),
]


def available_pages() -> list[PageInfo]:
    return [page for page in LEARNING_PATH if (REPO_ROOT / page.path).is_file()]
