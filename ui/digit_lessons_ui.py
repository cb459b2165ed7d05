"""The two lessons of the "Draw and predict" page: shift the digit (and train a CNN with
shifted copies), and ask the digit model a silly question about photos that are no digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from cnn_core import config
from cnn_core.data.datasets import DatasetUnavailable
from cnn_core.data.digits import DigitError, preprocess_steps, shift_offsets
from cnn_core.data.images import load_image, shift_image
from cnn_core.jobs.digit_lessons import classify, shift_accuracy, shift_grid_probabilities
from cnn_core.jobs.inference import InferenceError
from cnn_core.jobs.storage import delete_model_files
from cnn_core.jobs.training import TrainConfig
from cnn_core.jobs.worker import TrainingProcess, TrainRequest
from cnn_core.views.figures import probability_bars_figure, shift_curves_figure
from cnn_core.views.pictures import thumbnail, to_rgb_uint8, upscale
from ui.draw_shared import (
    CHART,
    CLASSES,
    ModelChoice,
    digest,
    per_model,
    remember,
    shipped,
    text,
    worker,
)
from ui.job_ui import live_job_panel, queue_job
from ui.links import NO_LINK, PageLink
from ui.services import inference_client, shared_dataset

SHIFT_JOB_KEY = "draw_shift_job"           # TrainingProcess of "train with shifted copies"
SHIFTED_MODEL_KEY = "draw_shifted_model"   # ModelChoice of the CNN trained on shifted copies


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
                    key: str = "shift", link: PageLink = NO_LINK) -> None:
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
        dx = int(link.control("dx", st.slider, "Move right (pixels)", -m, m, 0, key=f"{key}_dx"))
        dy = int(link.control("dy", st.slider, "Move down (pixels)", -m, m, 0, key=f"{key}_dy"))
        st.image(upscale(to_rgb_uint8(shift_image(digit, down=dy, right=dx)), 140), width=140,
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
    images = data.x_test[:n]  # uint8: a quarter of the bytes to hash and send
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
    queue_job(SHIFT_JOB_KEY, request)


def adopt_shift_job(key: str) -> None:
    """Once the "shifted copies" job has ended, keep its model (or its error) and drop it."""
    job: TrainingProcess | None = st.session_state.get(SHIFT_JOB_KEY)
    if job is None or not job.done:
        return
    del st.session_state[SHIFT_JOB_KEY]
    if job.result is not None:
        replaced: ModelChoice | None = st.session_state.get(SHIFTED_MODEL_KEY)
        st.session_state[SHIFTED_MODEL_KEY] = ModelChoice(
            job.result.model_path, "CNN trained with shifted copies", job.result.test_accuracy)
        if replaced is not None and replaced.path != job.result.model_path:
            delete_model_files(replaced.path)  # the lesson shows the newest one only
        st.session_state.pop(f"{key}_train_error", None)
    else:
        st.session_state[f"{key}_train_error"] = job.error


def shift_training_ui(key: str) -> None:
    """Train a CNN on randomly shifted copies in a worker process and add it to the curves."""
    job: TrainingProcess | None = st.session_state.get(SHIFT_JOB_KEY)
    if job is not None:
        live_job_panel(SHIFT_JOB_KEY, stop_key=f"{key}_train_stop")
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


@st.cache_data(show_spinner=False)
def sample_digits(filenames: tuple[str, ...]) -> np.ndarray:
    """The sample photos through the digit recipe: (N, 28, 28) float32, the same for everyone."""
    return np.stack([preprocess_steps(_sample(f)).result for f in filenames])


def silly_question_ui(model: ModelChoice, key: str = "silly", link: PageLink = NO_LINK) -> None:
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
    label = link.control("photo", st.selectbox, "Look closer at", list(samples),
                         key=f"{key}_photo")
    if label not in samples:  # hidden by a link whose photo is missing here
        label = next(iter(samples))
    probabilities = answers[list(samples).index(label)]
    top = int(np.argmax(probabilities))
    cols = st.columns([0.7, 2], gap="medium")
    cols[0].metric("It says", CLASSES[top], help="Its most likely digit.")
    cols[0].metric("Confidence", f"{probabilities[top]:.0%}")
    cols[1].plotly_chart(probability_bars_figure(probabilities, CLASSES),
                         key=f"{key}_probabilities", config=CHART)
    st.markdown(text("silly"))
