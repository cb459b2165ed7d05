"""Widget groups of the "Draw and predict" page: input, model, insides and the two lessons.

Every model call goes through the inference worker (`ui.services.inference_client`), so the
Streamlit server never imports Keras; answers are kept per model file and input in this
session's state, so moving a slider does not ask the worker again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnn_core import config
from cnn_core.datasets import DatasetUnavailable
from cnn_core.digit_lessons import (
    classify,
    heat_map,
    shift_accuracy,
    shift_grid_probabilities,
)
from cnn_core.digits import (
    DigitError,
    DigitSteps,
    preprocess_steps,
    shift_digit,
    shift_offsets,
    step_pictures,
)
from cnn_core.images import ImageError, fit_within, load_image
from cnn_core.inference import ImageAnalysis, InferenceError, analyse_image, first_layer_filters
from cnn_core.models import pretrained_path
from cnn_core.plots import grad_cam_figure, probability_bars_figure, shift_curves_figure
from cnn_core.training import TrainConfig
from cnn_core.visuals import channel_tiles, filter_tiles, to_rgb_uint8, upscale
from cnn_core.worker import TrainingProcess, TrainRequest
from ui.services import inference_client, shared_dataset
from ui.train_ui import REPORT_KEY, progress_panel

CLASSES = config.MNIST_CLASSES
CACHE_KEY = "_draw_cache"                  # {(what, model path, input digest): answer}
SHIFT_JOB_KEY = "draw_shift_job"           # TrainingProcess of "train with shifted copies"
SHIFTED_MODEL_KEY = "draw_shifted_model"   # ModelChoice of the CNN trained on shifted copies
SOURCES = ("Draw", "Upload a photo", "MNIST test image")
# What to do while there is no input yet, per source.
HINTS = {"Draw": "Draw a digit in the box to see what the network makes of it.",
         "Upload a photo": "Choose a photo of one handwritten digit to see what the network "
                           "makes of it.",
         "MNIST test image": "Pick a test image to see what the network makes of it."}
CHART = {"displayModeBar": False}


@dataclass(frozen=True)
class DigitInput:
    """A picture to read: uint8 image (H, W[, C]); label is the true digit when known."""

    name: str
    image: np.ndarray = field(repr=False)
    label: int | None = None


@dataclass(frozen=True)
class ModelChoice:
    path: str
    title: str
    accuracy: float | None = None


@cache
def text(section: str) -> str:
    """One `<!-- section -->` of assets/text/draw_and_predict.md."""
    source = (config.TEXT_DIR / "draw_and_predict.md").read_text(encoding="utf-8")
    parts = re.split(r"<!-- (\w+) -->", source)
    return dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))[section]


def digest(array: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def remember(key: tuple, compute):
    """The answer for `key`, computed once per session (the last 48 answers are kept)."""
    cache_ = st.session_state.setdefault(CACHE_KEY, {})
    if key not in cache_:
        value = compute()
        while len(cache_) >= 48:
            cache_.pop(next(iter(cache_)))
        cache_[key] = value
    return cache_[key]


def per_model(what: str, models: list[ModelChoice], input_key: str, compute) -> list:
    """One answer per model, kept per model file; the missing ones come from one call of
    `compute(paths)`, which returns a sequence with one answer per path."""
    cache_ = st.session_state.setdefault(CACHE_KEY, {})
    missing = [m.path for m in models if (what, m.path, input_key) not in cache_]
    if missing:
        for path, answer in zip(missing, compute(missing), strict=True):
            remember((what, path, input_key), lambda answer=answer: answer)
    return [cache_[(what, m.path, input_key)] for m in models]


def worker(function, *args):
    """Run `function(*args)` in the model process, with a spinner the first time it starts."""
    with st.spinner("Asking the model (the first time takes a few seconds to start)..."):
        return inference_client().call(function, *args)


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


@cache
def shipped_info() -> dict:
    if not config.PRETRAINED_INFO.is_file():
        return {}
    return json.loads(config.PRETRAINED_INFO.read_text(encoding="utf-8"))


def shipped(name: str, title: str) -> ModelChoice | None:
    path = pretrained_path(name)
    if not path.is_file():
        return None
    return ModelChoice(str(path), title, shipped_info().get(name, {}).get("test_accuracy"))


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


# ---- lesson 1: shift it -------------------------------------------------------------------

def shift_models(model: ModelChoice) -> list[ModelChoice]:
    """The chosen model, the dense baseline and (once trained) the CNN on shifted copies."""
    models = [model]
    dense = shipped(config.PRETRAINED_DENSE, "Dense network (centred digits only)")
    if dense is not None:
        models.append(dense)
    shifted = st.session_state.get(SHIFTED_MODEL_KEY)
    if shifted is not None:
        models.append(shifted)
    return models


def shift_lesson_ui(model: ModelChoice, digit: np.ndarray, reference: int,
                    key: str = "shift") -> None:
    st.caption(text("shift"))
    adopt_shift_job(key)
    models = shift_models(model)
    m = config.MAX_SHIFT
    offsets = shift_offsets(m)
    try:
        grid = np.stack(per_model("shift_grid", models, digest(digit), lambda paths: worker(
            shift_grid_probabilities, paths, digit, m)))
    except (InferenceError, ValueError) as error:
        st.error(str(error))
        return
    left, right = st.columns([1, 2.4], gap="medium")
    with left:
        dx = st.slider("Move right (pixels)", -m, m, 0, key=f"{key}_dx")
        dy = st.slider("Move down (pixels)", -m, m, 0, key=f"{key}_dy")
        st.image(upscale(to_rgb_uint8(shift_digit(digit, dx, dy)), 140), width=140,
                 caption=f"Moved {dx:+d} right, {dy:+d} down")
    with right:
        st.plotly_chart(shift_curves_figure(
            offsets, {x.title: grid[i, m, :, reference] for i, x in enumerate(models)},
            {x.title: grid[i, :, m, reference] for i, x in enumerate(models)},
            f"probability of {CLASSES[reference]} (%)", current=(dx, dy)),
            key=f"{key}_curves", config=CHART)
        st.caption(f"The probability each model gives “{CLASSES[reference]}” as the digit moves "
                   "along one direction (the other stays where the sliders put it); the dotted "
                   "lines mark the sliders.")
        rows = [f"| {x.title} | {CLASSES[int(np.argmax(p))]} | {p[reference]:.0%} |"
                for x, p in zip(models, grid[:, dy + m, dx + m], strict=True)]
        st.markdown(f"At this shift ({dx:+d} right, {dy:+d} down):\n\n"
                    f"| Model | Says | Probability of {CLASSES[reference]} |\n|---|---|---|\n"
                    + "\n".join(rows))
    shift_dataset_ui(models, key)
    shift_training_ui(key)


@st.cache_data(show_spinner=False, max_entries=32)
def dataset_shift_curves(path: str, mtime: float, images: np.ndarray, labels: np.ndarray,
                         max_shift: int) -> np.ndarray:
    """Accuracy of one model file against the shift (2, n): the same for every session."""
    return inference_client().call(shift_accuracy, [path], images, labels, max_shift)[0]


def shift_dataset_ui(models: list[ModelChoice], key: str) -> None:
    try:
        data = shared_dataset("mnist")
    except DatasetUnavailable:
        return
    n, m = config.SHIFT_TEST_IMAGES, config.MAX_SHIFT
    images = data.x_test[:n].astype(np.float32) / 255
    try:
        with st.spinner(f"Moving {n} test digits around..."):
            curves = [dataset_shift_curves(x.path, Path(x.path).stat().st_mtime, images,
                                           data.y_test[:n], m) for x in models]
    except (InferenceError, ValueError, OSError) as error:
        st.error(str(error))
        return
    st.markdown(f"**The same on {n} test digits**")
    st.plotly_chart(shift_curves_figure(
        shift_offsets(m), {x.title: c[0] for x, c in zip(models, curves, strict=True)},
        {x.title: c[1] for x, c in zip(models, curves, strict=True)}, "digits right (%)"),
        key=f"{key}_dataset_curves", config=CHART)
    st.caption(text("shift_dataset"))


def start_shift_training() -> None:
    data = shared_dataset("mnist")
    n = config.SHIFT_TRAIN_IMAGES
    request = TrainRequest("mnist", "mnist_cnn", {}, TrainConfig(
        epochs=config.SHIFT_TRAIN_EPOCHS, batch_size=128, shift=config.SHIFT_AUGMENT,
        seed=config.SEED), n_train=n if n < len(data.y_train) else None)
    st.session_state[SHIFT_JOB_KEY] = TrainingProcess(request).start()


@st.fragment(run_every=1.0)
def _shift_training_live(key: str) -> None:
    job: TrainingProcess | None = st.session_state.get(SHIFT_JOB_KEY)
    if job is None:
        return
    progress_panel(job)
    if job.running:
        st.button("Stop training", key=f"{key}_train_stop", on_click=job.stop,
                  icon=":material/stop:")
    else:
        st.rerun(scope="app")  # draw the new curves once; polling ends with the job


def adopt_shift_job(key: str) -> None:
    """Once the "shifted copies" job has ended, keep its model (or its error) and drop it."""
    job: TrainingProcess | None = st.session_state.get(SHIFT_JOB_KEY)
    if job is None or not job.done:
        return
    del st.session_state[SHIFT_JOB_KEY]
    if job.result is not None:
        st.session_state[SHIFTED_MODEL_KEY] = ModelChoice(
            job.result.model_path, "CNN trained with shifted copies", job.result.test_accuracy)
        st.session_state.pop(f"{key}_train_error", None)
    else:
        st.session_state[f"{key}_train_error"] = job.error


def shift_training_ui(key: str) -> None:
    """Train a CNN on randomly shifted copies in a worker process and add it to the curves."""
    job: TrainingProcess | None = st.session_state.get(SHIFT_JOB_KEY)
    if job is not None:
        _shift_training_live(key)
        return
    if error := st.session_state.get(f"{key}_train_error"):
        st.error(error)
    trained = st.session_state.get(SHIFTED_MODEL_KEY)
    shift = round(config.SHIFT_AUGMENT * config.DIGIT_SIZE)
    st.button("Train a CNN with shifted copies" if trained is None else "Train it again",
              key=f"{key}_train", icon=":material/model_training:",
              on_click=start_shift_training, help=(
                  f"Trains the MNIST CNN for {config.SHIFT_TRAIN_EPOCHS} epochs on "
                  f"{config.SHIFT_TRAIN_IMAGES:,} digits, each moved at random by up to "
                  f"{shift} pixels every time it is shown (about a minute on a laptop)."))
    if trained is not None:
        st.caption(f"The CNN trained with shifted copies gets {trained.accuracy:.2%} of the "
                   "(centred) test digits right, and now appears in the plots above.")


# ---- lesson 2: ask a silly question -------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _sample(filename: str) -> np.ndarray:
    image = load_image(config.SAMPLES_DIR / filename)
    image.setflags(write=False)
    return image


def thumbnail(photo: np.ndarray, side: int = 300) -> np.ndarray:
    """A display copy padded with white to 4:3, so a row of different photos lines up."""
    small, _ = fit_within(photo, side)
    height, width = small.shape[:2]
    target_h, target_w = max(height, round(width * 3 / 4)), max(width, round(height * 4 / 3))
    top, left = (target_h - height) // 2, (target_w - width) // 2
    return np.pad(small, ((top, target_h - height - top), (left, target_w - width - left), (0, 0)),
                  constant_values=255)


@st.cache_data(show_spinner=False)
def sample_digits(filenames: tuple[str, ...]) -> np.ndarray:
    """The sample photos through the digit recipe: (N, 28, 28) float32, the same for everyone."""
    return np.stack([preprocess_steps(_sample(f)).result for f in filenames])


def silly_question_ui(model: ModelChoice, key: str = "silly") -> None:
    """Every sample photo goes to the digit model in one call; one is looked at closely."""
    samples = {label: f for label, f in config.SAMPLE_PHOTOS.items()
               if (config.SAMPLES_DIR / f).is_file()}
    if not samples:
        st.info("No sample photos were found in assets/samples.")
        return
    try:
        digits = sample_digits(tuple(samples.values()))
        answers = remember(("silly", model.path, digest(digits)), lambda: worker(
            classify, [model.path], digits)[0])
    except (DigitError, InferenceError, ValueError) as error:
        st.error(str(error))
        return
    for column, label, digit, probabilities in zip(st.columns(len(samples)), samples, digits,
                                                   answers, strict=True):
        top = int(np.argmax(probabilities))
        column.image(thumbnail(_sample(samples[label])), width="stretch")
        column.image(upscale(to_rgb_uint8(digit), 84), width=84)
        column.markdown(f"**{label}**: says **{CLASSES[top]}**, {probabilities[top]:.0%} sure")
    st.caption("Top: the photo. Below it: what the network gets, after the same recipe as your "
               "digit.")
    label = st.selectbox("Look closer at", list(samples), key=f"{key}_photo")
    probabilities = answers[list(samples).index(label)]
    top = int(np.argmax(probabilities))
    cols = st.columns([0.7, 2], gap="medium")
    cols[0].metric("It says", CLASSES[top], help="Its most likely digit.")
    cols[0].metric("Confidence", f"{probabilities[top]:.0%}")
    cols[1].plotly_chart(probability_bars_figure(probabilities, CLASSES),
                         key=f"{key}_probabilities", config=CHART)
    st.markdown(text("silly"))
