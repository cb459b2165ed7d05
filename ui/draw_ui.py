"""Widget groups of the "Draw and predict" page: the input, the MNIST recipe, the model, its
answer and what the network sees (model calls and answers go through `ui.draw_shared`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnn_core import config
from cnn_core.data.datasets import DatasetUnavailable
from cnn_core.data.digits import DigitError, DigitSteps, preprocess_steps, step_pictures
from cnn_core.data.images import ImageError, load_image
from cnn_core.jobs.digit_lessons import heat_map
from cnn_core.jobs.inference import (
    ImageAnalysis,
    InferenceError,
    analyse_image,
    first_layer_filters,
)
from cnn_core.views.figures import grad_cam_figure, probability_bars_figure
from cnn_core.views.pictures import channel_tiles, filter_tiles
from ui.draw_shared import (
    CHART,
    CLASSES,
    ModelChoice,
    digest,
    remember,
    shipped,
    text,
    worker,
)
from ui.services import shared_dataset
from ui.train_ui import REPORT_KEY

SOURCES = ("Draw", "Upload a photo", "MNIST test image")
# What to do while there is no input yet, per source.
HINTS = {"Draw": "Draw a digit in the box to see what the network makes of it.",
         "Upload a photo": "Choose a photo of one handwritten digit to see what the network "
                           "makes of it.",
         "MNIST test image": "Pick a test image to see what the network makes of it."}


@dataclass(frozen=True)
class DigitInput:
    """A picture to read: uint8 image (H, W[, C]); label is the true digit when known."""

    name: str
    image: np.ndarray = field(repr=False)
    label: int | None = None


# ---- input and model ----------------------------------------------------------------------

def digit_input_ui(key: str = "draw") -> DigitInput | None:
    """Draw, upload or pick an MNIST test digit. None (after saying why) if there is none."""
    source = st.radio("Input", SOURCES, horizontal=True, key=f"{key}_source")
    if source == "Draw":
        st.caption(text("draw"))
        brush = st.slider("Brush size (pixels)", *config.BRUSH_RANGE, config.BRUSH_DEFAULT,
                          key=f"{key}_brush")
        drawn = st_canvas(stroke_width=brush, stroke_color="#000000", background_color="#FFFFFF",
                          height=config.CANVAS_SIDE, width=config.CANVAS_SIDE,
                          drawing_mode="freedraw", key=f"{key}_canvas")
        if drawn.image_data is None:
            return None
        return DigitInput("your drawing", np.asarray(drawn.image_data, dtype=np.uint8))
    if source == "Upload a photo":
        st.caption(text("upload"))
        upload = st.file_uploader("Photo of one handwritten digit", type=config.UPLOAD_TYPES,
                                  key=f"{key}_upload")
        if upload is None:
            return None
        try:
            image = remember(("upload", upload.file_id), lambda: load_image(upload))
        except ImageError as error:
            st.error(str(error))
            return None
        return DigitInput(upload.name, image)
    try:
        data = shared_dataset("mnist")
    except DatasetUnavailable as error:
        st.error(str(error))
        return None
    index_key = f"{key}_mnist_index"
    st.number_input(f"Test image number (0 to {len(data.y_test) - 1:,})", 0,
                    len(data.y_test) - 1, 0, key=index_key)
    st.button("Random test digit", key=f"{key}_mnist_random", icon=":material/casino:",
              on_click=lambda: st.session_state.update(
                  {index_key: int(np.random.default_rng().integers(len(data.y_test)))}))
    index = int(st.session_state[index_key])
    return DigitInput(f"MNIST test image {index}", data.x_test[index], int(data.y_test[index]))


def input_hint(key: str = "draw") -> str:
    """What the learner should do next when `digit_input_ui` returned no picture."""
    return HINTS[st.session_state.get(f"{key}_source", SOURCES[0])]


def read_digit(digit_input: DigitInput) -> DigitSteps | None:
    """The MNIST recipe applied to the input; None (after a message) if there is no digit."""
    try:
        return preprocess_steps(digit_input.image)
    except DigitError as error:
        if digit_input.name == "your drawing":
            st.info(HINTS["Draw"])
        else:
            st.error(str(error))
        return None


def model_choice_ui(key: str = "draw") -> ModelChoice | None:
    """The learner's MNIST model from "Train a CNN" if there is one, else the shipped CNN."""
    cnn = shipped(config.PRETRAINED_CNN, "Shipped MNIST CNN")
    choices = [cnn] if cnn else []
    report = st.session_state.get(REPORT_KEY)
    if report is not None and report.dataset == "mnist" and len(report.class_names) == 10:
        choices.insert(0, ModelChoice(report.model_path, "Your model from Train a CNN",
                                      report.test_accuracy))
    elif report is not None:
        st.caption(f"Your model from Train a CNN learned {report.dataset}, not digits, so the "
                   "shipped digit model is used here.")
    if not choices:
        st.error("The shipped model is missing: run scripts/train_pretrained.py to make it.")
        return None
    titles = {choice.title: choice for choice in choices}
    model = titles[st.radio("Model", list(titles), key=f"{key}_model", horizontal=True)] \
        if len(choices) > 1 else choices[0]
    if model.accuracy is not None:
        st.caption(f"**{model.title}**: {model.accuracy:.2%} right on the 10,000 MNIST test "
                   "digits." + ("" if len(choices) > 1 else " Train your own on the Train a CNN "
                                "page and it appears here."))
    return model


# ---- what the network says and sees -------------------------------------------------------

def analyse(model: ModelChoice, digit: np.ndarray, class_index: int | None) -> ImageAnalysis:
    return remember(("analysis", model.path, digest(digit), class_index),
                    lambda: worker(analyse_image, model.path, digit, class_index))


def steps_ui(steps: DigitSteps) -> None:
    """The recipe's stages as a row of small pictures, each with a short caption."""
    top, left, bottom, right = steps.box
    height, width = steps.greyscale.shape
    scaled_h, scaled_w = steps.scaled.shape
    captions = [
        f"**1. Greyscale** ({width} x {height} px)",
        "**2. " + ("Inverted**: light ink on black" if steps.inverted else
                   "Already light ink on black**") + "; red box: the ink",
        f"**3. Cropped** to the ink ({right - left} x {bottom - top} px)",
        f"**4. Scaled** into a 20 x 20 box ({scaled_w} x {scaled_h} px, same shape)",
        f"**5. Centred** in 28 x 28 by its centre of mass (moved {steps.offset[1]:+d} right, "
        f"{steps.offset[0]:+d} down); values from 0 (black) to 1 (white)"]
    for column, picture, caption in zip(st.columns(5), step_pictures(steps, 160), captions,
                                        strict=True):
        column.image(picture, width="stretch")
        column.caption(caption)


def prediction_ui(analysis: ImageAnalysis, label: int | None, key: str = "draw") -> None:
    top = int(np.argmax(analysis.probabilities))
    cols = st.columns(3)
    cols[0].metric("The network says", CLASSES[top])
    cols[1].metric("Confidence", f"{analysis.probabilities[top]:.1%}",
                   help="The probability the network gives its top answer.")
    if label is not None:
        cols[2].metric("True label", CLASSES[label],
                       delta="right" if label == top else "wrong",
                       delta_color="normal" if label == top else "inverse")
    st.plotly_chart(probability_bars_figure(analysis.probabilities, CLASSES),
                    key=f"{key}_probabilities", config=CHART)
    st.caption("The ten probabilities (in percent) always add up to 100%.")


def filters_ui(model: ModelChoice) -> None:
    """The first convolution layer's filters as greyscale tiles on one shared scale."""
    try:
        weights = remember(("filters", model.path), lambda: worker(first_layer_filters,
                                                                   model.path))
    except (InferenceError, ValueError) as error:
        st.error(str(error))
        return
    if weights is None:
        st.info("This model has no convolution layer, so it has no filters to show.")
        return
    k, _, _, count = weights.shape
    st.image(filter_tiles(weights, min_side=60), width=60,
             caption=[f"filter {i + 1}" for i in range(count)])
    st.caption(f"{count} filters of {k} x {k} weights. " + text("filters"))


def insides_ui(model: ModelChoice, digit: np.ndarray, analysis: ImageAnalysis,
               key: str = "draw") -> None:
    """Feature maps of every conv/pool layer, first-layer filters and Grad-CAM, in tabs."""
    maps_tab, filters_tab, cam_tab = st.tabs(["Feature maps", "First-layer filters",
                                              "Grad-CAM: where it looked"])
    with maps_tab:
        if not analysis.feature_maps:
            st.info("This model has no convolution or pooling layers, so there are no feature "
                    "maps to show.")
        st.caption(text("feature_maps"))
        for name, activation in analysis.feature_maps.items():
            h, w, c = activation.shape
            st.markdown(f"**{name}**: {c} feature maps of {h} x {w} pixels (output shape "
                        f"{h} x {w} x {c})")
            st.image(channel_tiles(activation, max_tiles=64, min_side=56), width=56)
    with filters_tab:
        filters_ui(model)
    with cam_tab:
        grad_cam_ui(model, digit, analysis, key)


def grad_cam_ui(model: ModelChoice, digit: np.ndarray, analysis: ImageAnalysis,
                key: str = "draw") -> None:
    """The heat map for the predicted or a chosen class, element-wise or classic Grad-CAM."""
    if analysis.grad_cam is None:
        st.info("Grad-CAM needs a convolution layer, and this model has none.")
        return
    controls = st.columns([1, 2])
    choice = controls[0].selectbox("Evidence for", ["the predicted class", *CLASSES],
                                   key=f"{key}_cam_class")
    classic = controls[1].toggle("Classic Grad-CAM (one averaged weight per feature map)",
                                 key=f"{key}_cam_classic", help=text("classic_cam"))
    chosen = analysis.grad_cam_class if choice == "the predicted class" else CLASSES.index(choice)
    method = "gradcam" if classic else "hirescam"
    try:
        cam = analysis.grad_cam if chosen == analysis.grad_cam_class and not classic else \
            remember(("cam", model.path, digest(digit), chosen, method),
                     lambda: worker(heat_map, model.path, digit, chosen, method))
    except (InferenceError, ValueError) as error:
        st.error(str(error))
        return
    left, right = st.columns([1.3, 1])
    left.plotly_chart(grad_cam_figure(digit, cam, CLASSES[chosen]), key=f"{key}_grad_cam",
                      config=CHART)
    if not cam.any():
        right.info(f"No part of the picture counts as evidence for {CLASSES[chosen]}.")
    right.caption(text("grad_cam"))
