"""What a link to the Draw and predict page holds: the model, the input source, the MNIST test
image, what the network-insides panels show, the shift and the silly question's photo.

A drawing or an uploaded photo is not in a link, and neither is a model trained in this
session: a link naming "yours" where there is none falls back to the shipped model, with a note.
"""

from __future__ import annotations

from dataclasses import replace

from cnn_core import config
from cnn_core.views.links import Setting, choice, flag, whole
from ui.draw_ui import CAM_PREDICTED, MODELS, SOURCES
from ui.links import PageLink, page_link

PAGE = "draw"
NOT_IN_LINK = ("A drawing or an uploaded photo is not in the link, and neither is a model "
               "trained in this session: whoever opens it draws, uploads or trains their own.")
MNIST_TEST_IMAGES = 10_000  # the full test set; a smaller one here makes the page say so


def draw_settings() -> list[Setting]:
    # Widget keys: digit_input_ui, model_choice_ui and insides_ui with key="draw",
    # shift_lesson_ui with key="shift", silly_question_ui with key="silly".
    m = config.MAX_SHIFT
    return [
        choice("source", "Input", list(SOURCES), next(iter(SOURCES)), key="draw_source"),
        whole("index", "Test image number", 0, MNIST_TEST_IMAGES - 1, 0, key="draw_mnist_index"),
        # The radio's first choice depends on the session (the learner's own model, if any),
        # so the model is written whenever it was chosen, default or not.
        replace(choice("model", "Model", list(MODELS), "shipped", key="draw_model"),
                default=None),
        whole("dx", "Shift: move right (pixels)", -m, m, 0, key="shift_dx"),
        whole("dy", "Shift: move down (pixels)", -m, m, 0, key="shift_dy"),
        flag("shared", "One scale for all maps of a layer", False, key="draw_maps_shared"),
        choice("cam", "Grad-CAM: evidence for", [CAM_PREDICTED, *config.MNIST_CLASSES],
               CAM_PREDICTED, key="draw_cam_class"),
        flag("classic", "Classic Grad-CAM", False, key="draw_cam_classic"),
        choice("photo", "Silly question: look closer at", list(config.SAMPLE_PHOTOS),
               next(iter(config.SAMPLE_PHOTOS)), key="silly_photo"),
    ]


def draw_link() -> PageLink:
    """Call at the top of the page, before its widgets."""
    return page_link(PAGE, draw_settings(), NOT_IN_LINK)
