"""Widget groups of the "Draw and predict" page: the input, the MNIST recipe, the model, its
answer and what the network sees (model calls and answers go through `ui.draw_shared`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnn_core import config
from cnn_core.data.datasets import DATASETS, DatasetUnavailable
from cnn_core.data.digits import DigitError, DigitSteps, preprocess_steps, step_pictures
from cnn_core.data.images import ImageError, load_image
from cnn_core.jobs.inference import (
    ImageAnalysis,
    InferenceError,
    analyse_image,
    evidence_agreement,
    evidence_maps,
    first_layer_filters,
)
from cnn_core.models.reports import agreement_sentence
from cnn_core.views.figures import feature_maps_figure, grad_cam_figure, probability_bars_figure
from cnn_core.views.pictures import filter_tiles
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
from ui.links import NO_LINK, PageLink
from ui.services import shared_dataset
from ui.train_ui import REPORT_KEY

# Choices by short name (what a link holds) -> what the learner reads.
SOURCES = {"draw": "Draw", "upload": "Upload a photo", "mnist": "MNIST test image"}
MODELS = {"yours": "Your model from Train a CNN", "shipped": "Shipped MNIST CNN"}
CAM_PREDICTED = "predicted"  # Grad-CAM for whatever the network says, the digit changing
# What to do while there is no input yet, per source.
HINTS = {"draw": "Draw a digit in the box to see what the network makes of it.",
         "upload": "Choose a photo of one handwritten digit to see what the network makes of it.",
         "mnist": "Pick a test image to see what the network makes of it."}


@dataclass(frozen=True)
class DigitInput:
    """A picture to read: uint8 image (H, W[, C]); label is the true digit when known."""

    name: str
    image: np.ndarray = field(repr=False)
    label: int | None = None


# ---- input and model ----------------------------------------------------------------------

def digit_input_ui(key: str = "draw", link: PageLink = NO_LINK) -> DigitInput | None:
    """Draw, upload or pick an MNIST test digit. None (after saying why) if there is none.

    The canvas is drawn on every run, hidden while another source is chosen, so the drawing
    (and its undo history) is still there when the learner comes back to "Draw".
    """
    source = link.control("source", st.radio, "Input", list(SOURCES), horizontal=True,
                          format_func=SOURCES.get, key=f"{key}_source") or "draw"
    # Fixed places, whatever the source, so the canvas keeps its place and is never rebuilt.
    head, canvas_box, rest = (st.container(), st.container(key=f"{key}_canvas_box"),
                              st.container())
    brush_key = f"{key}_brush_kept"  # the slider's value outlives the slider being hidden
    brush = st.session_state.get(brush_key, config.BRUSH_DEFAULT)
    if source == "draw":
        head.caption(text("draw"))
        brush = head.slider("Brush size (pixels)", *config.BRUSH_RANGE, brush, key=f"{key}_brush")
        st.session_state[brush_key] = brush
    else:
        st.html(f"<style>.st-key-{key}_canvas_box {{display: none}}</style>")
    with canvas_box:
        drawn = st_canvas(stroke_width=brush, stroke_color="#000000", background_color="#FFFFFF",
                          height=config.CANVAS_SIDE, width=config.CANVAS_SIDE,
                          drawing_mode="freedraw", key=f"{key}_canvas")
    if source == "draw":
        if drawn.image_data is None:
            return None
        return DigitInput("your drawing", np.asarray(drawn.image_data, dtype=np.uint8))
    with rest:
        return other_input_ui(source, key, link)


def other_input_ui(source: str, key: str, link: PageLink = NO_LINK) -> DigitInput | None:
    """An uploaded photo or an MNIST test digit."""
    if source == "upload":
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
    index_key, last = f"{key}_mnist_index", len(data.y_test) - 1
    index = st.session_state.get(index_key, 0)
    if not 0 <= index <= last:
        # A link made where all 10,000 test digits are at hand, opened where fewer are.
        st.warning(f"Test image {index:,} is not among the {last + 1:,} test images here, so "
                   "image 0 is shown.", icon=":material/link_off:")
        index = 0
    st.session_state[index_key] = index  # also kept when a link hides the number
    link.control("index", st.number_input, f"Test image number (0 to {last:,})", 0, last,
                 key=index_key)
    if not link.hidden("index"):
        st.button("Random test digit", key=f"{key}_mnist_random", icon=":material/casino:",
                  disabled=link.locked("index"), on_click=lambda: st.session_state.update(
                      {index_key: int(np.random.default_rng().integers(last + 1))}))
    index = int(st.session_state[index_key])
    return DigitInput(f"MNIST test image {index}", data.x_test[index], int(data.y_test[index]))


def input_hint(key: str = "draw") -> str:
    """What the learner should do next when `digit_input_ui` returned no picture."""
    return HINTS.get(st.session_state.get(f"{key}_source"), HINTS["draw"])


def read_digit(digit_input: DigitInput) -> DigitSteps | None:
    """The MNIST recipe applied to the input; None (after a message) if there is no digit."""
    try:
        return preprocess_steps(digit_input.image)
    except DigitError as error:
        if digit_input.name == "your drawing":
            st.info(HINTS["draw"])
        else:
            st.error(str(error))
        return None


def model_choice_ui(key: str = "draw", link: PageLink = NO_LINK) -> ModelChoice | None:
    """The learner's MNIST model from "Train a CNN" if there is one, else the shipped CNN."""
    cnn = shipped(config.PRETRAINED_CNN, MODELS["shipped"])
    choices = {"shipped": cnn} if cnn else {}
    report = st.session_state.get(REPORT_KEY)
    if report is not None and report.dataset == "mnist" and len(report.class_names) == 10:
        choices = {"yours": ModelChoice(report.model_path, MODELS["yours"],
                                        report.test_accuracy), **choices}
    elif report is not None:
        info = DATASETS.get(report.dataset)
        st.caption(f"Your model from Train a CNN learned "
                   f"{info.title if info else report.dataset.replace('_', ' ')}, "
                   "not handwritten digits, so the shipped digit model is used here.")
    if not choices:
        st.error("The shipped model is missing: run scripts/train_pretrained.py to make it.")
        return None
    model_key = f"{key}_model"
    wanted = st.session_state.get(model_key)
    if wanted is not None and wanted not in choices:
        # A link names a model, never its file: a model trained in another session is not
        # here. Say which one is used instead.
        wanted_name = {"yours": "Your own model from Train a CNN",
                       "shipped": "The shipped MNIST CNN"}.get(wanted, "The model in the link")
        st.warning(f"{wanted_name} is not available here, so the page uses "
                   f"**{next(iter(choices.values())).title}**.", icon=":material/link_off:")
        del st.session_state[model_key]
    if len(choices) > 1:
        name = link.control("model", st.radio, "Model", list(choices), format_func=MODELS.get,
                            key=model_key, horizontal=True)
        model = choices.get(name, next(iter(choices.values())))
    else:
        model = next(iter(choices.values()))
    if model.accuracy is not None:
        st.caption(f"**{model.title}**: {model.accuracy:.2%} right on the 10,000 MNIST test "
                   "digits." + ("" if len(choices) > 1 else " Train your own on the Train a CNN "
                                "page and it appears here."))
    return model


# ---- what the network says and sees -------------------------------------------------------

def analyse(model: ModelChoice, digit: np.ndarray) -> ImageAnalysis:
    return remember(("analysis", model.path, digest(digit)),
                    lambda: worker(analyse_image, model.path, digit))


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
    row = st.container(horizontal=True, gap="large")  # wraps when the column is narrow
    row.metric("The network says", CLASSES[top], width="content")
    row.metric("Confidence", f"{analysis.probabilities[top]:.1%}", width="content",
               help="The probability the network gives its top answer.")
    if label is not None:
        row.metric("True label", CLASSES[label], width="content",
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
               key: str = "draw", link: PageLink = NO_LINK) -> None:
    """Feature maps of every conv/pool layer, first-layer filters and Grad-CAM, in tabs."""
    maps_tab, filters_tab, cam_tab = st.tabs(["Feature maps", "First-layer filters",
                                              "Grad-CAM: where it looked"])
    with maps_tab:
        feature_maps_ui(analysis, key, link)
    with filters_tab:
        filters_ui(model)
    with cam_tab:
        grad_cam_ui(model, digit, analysis, key, link)


def feature_maps_ui(analysis: ImageAnalysis, key: str = "draw",
                    link: PageLink = NO_LINK) -> None:
    """Every conv/pool layer's maps as a numbered grid with a colour bar."""
    if not analysis.feature_maps:
        st.info("This model has no convolution or pooling layers, so there are no feature "
                "maps to show.")
        return
    st.caption(text("feature_maps"))
    shared = link.control("shared", st.toggle, "One scale for all maps of a layer",
                          key=f"{key}_maps_shared", help=text("maps_shared"))
    for name, activation in analysis.feature_maps.items():
        h, w, c = activation.shape
        st.markdown(f"**{name}**: {c} feature maps of {h} x {w} pixels (output shape "
                    f"{h} x {w} x {c}), numbered by the filter that made them")
        st.plotly_chart(feature_maps_figure(activation, name, own_scale=not shared),
                        key=f"{key}_maps_{name}", config=CHART)


def grad_cam_ui(model: ModelChoice, digit: np.ndarray, analysis: ImageAnalysis,
                key: str = "draw", link: PageLink = NO_LINK) -> None:
    """Evidence for the predicted or a chosen class, on one scale for all classes, beside the
    same map of an untrained copy of the network (the saliency sanity check)."""
    if analysis.evidence is None:
        st.info("Grad-CAM needs a convolution layer, and this model has none.")
        return
    predicted = int(np.argmax(analysis.probabilities))
    controls = st.columns([1, 2])
    with controls[0]:
        choice = link.control(
            "cam", st.selectbox, "Evidence for", [CAM_PREDICTED, *CLASSES],
            format_func=lambda c: f"the predicted class ({predicted})" if c == CAM_PREDICTED
            else c, key=f"{key}_cam_class")
    with controls[1]:
        classic = link.control("classic", st.toggle, "Classic Grad-CAM",
                               key=f"{key}_cam_classic", help=text("classic_cam"))
    chosen = CLASSES.index(choice) if choice in CLASSES else predicted
    method = "gradcam" if classic else "hirescam"
    try:
        evidence = analysis.evidence if method == analysis.evidence.method else \
            remember(("evidence", model.path, digest(digit), method),
                     lambda: worker(evidence_maps, model.path, digit, method))
    except (InferenceError, ValueError) as error:
        st.error(str(error))
        return
    trained, untrained = evidence.trained[chosen], evidence.untrained[chosen]
    name = CLASSES[chosen]
    facts = st.container(horizontal=True, gap="large")  # wraps when the page is narrow
    facts.metric(f"Probability of {name}", f"{analysis.probabilities[chosen]:.1%}",
                 width="content", help="What the network gives this class: compare it with "
                                       "the map.")
    facts.metric("Strongest spot", f"{trained.max():.2f}", width="content",
                 help="The map's brightest value; 1 is the strongest evidence for any digit "
                      "in this picture.")
    agreement = evidence_agreement(trained, untrained)
    facts.metric("Alike with the untrained copy",
                 "no map" if agreement is None else f"{agreement:.2f}", width="content",
                 help="Correlation of the two maps, from -1 to 1: near 1 means they look "
                      "the same, near 0 that they have nothing in common.")
    left, right = st.columns(2)
    left.plotly_chart(grad_cam_figure(
        digit, trained, name, title=f"Trained network: evidence for “{name}”",
        scale_title="evidence<br>(1 = most for<br>any digit)"), key=f"{key}_grad_cam",
        config=CHART)
    right.plotly_chart(grad_cam_figure(
        digit, untrained, name, title=f"Untrained copy: evidence for “{name}”",
        scale_title="evidence<br>(1 = its most for<br>any digit)"), key=f"{key}_grad_cam_untrained",
        config=CHART)
    if not trained.any():
        st.info(f"No part of the picture counts as evidence for {name}.")
    st.caption(text("grad_cam"))
    st.caption(text("sanity") + " " + agreement_sentence(agreement))
