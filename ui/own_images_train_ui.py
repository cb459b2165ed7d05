"""Your own images, parts 2 to 4: train from scratch and on a pretrained base side by side,
through the class's training queue; compare them; try both on a new photo."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from cnn_core.config import UPLOAD_TYPES
from cnn_core.data import own_classes as oc
from cnn_core.data.images import ImageError, load_image
from cnn_core.jobs.inference import InferenceError
from cnn_core.jobs.job_queue import LIVE_REFRESH_S, refresh_seconds
from cnn_core.jobs.mobilenet_download import fetch_mobilenet, mobilenet_available
from cnn_core.jobs.own_images import OwnImagesRequest, own_images_probabilities
from cnn_core.jobs.transfer_models import (
    AUGMENT_SHIFT,
    BASES,
    LEARNING_RATE,
    MOBILENET,
    SHIPPED,
    mobilenet_weights_cached,
)
from cnn_core.jobs.worker import TrainingProcess
from cnn_core.maths.metrics import confusion_matrix
from cnn_core.models.comparison import majority_share, mistakes, verdict
from cnn_core.views.figures import (
    comparison_curves_figure,
    confusion_matrix_figure,
    probability_bars_figure,
)
from ui.job_ui import progress_panel, start_job
from ui.links import PageLink
from ui.live_panel import live_panel
from ui.own_images_link import (
    DEFAULT_EPOCHS,
    DEFAULT_FINE_TUNE_EPOCHS,
    MAX_EPOCHS,
    MAX_FINE_TUNE_EPOCHS,
)
from ui.services import inference_client

APPROACHES = {"scratch": "From scratch", "transfer": "On the pretrained base"}
JOBS_KEY = "own_jobs"        # {"scratch": TrainingProcess, "transfer": TrainingProcess}
NO_BAR = {"displayModeBar": False}
ANSWERS_KEY = "own_try_answers"  # {(model path, picture digest): both classes' probabilities}
MAX_ANSWERS_KEPT = 16


@st.cache_data(ttl=300, show_spinner=False)
def _mobilenet_available() -> bool:
    # May ask the internet (bounded by its own timeout); once per five minutes is plenty.
    return mobilenet_available()


def base_ui(link: PageLink) -> tuple[str, str]:
    """The base to use, and one sentence on which base it is and why."""
    chosen = link.control("base", st.radio, "Pretrained base", list(BASES),
                          format_func=lambda b: BASES[b].title, key="own_base",
                          horizontal=True)
    shipped = BASES[SHIPPED]
    if chosen == MOBILENET and mobilenet_weights_cached():
        info = BASES[MOBILENET]
        return MOBILENET, (f"{info.title}, trained on {info.trained_on}: far more than the "
                           "shipped base ever saw, so its features are richer (but they "
                           "include cats, dogs and birds, so the comparison is less pure).")
    if chosen == MOBILENET:
        if _mobilenet_available():
            why = ("MobileNetV2's ImageNet weights are not on this server yet: fetch them with "
                   "the button below; until then the small CNN shipped with the app is used.")
            if st.button("Fetch MobileNetV2's weights (about 2 MB)", key="own_fetch"):
                with st.spinner("Fetching from the internet..."):
                    fetched = fetch_mobilenet()
                if fetched:
                    st.rerun()
                st.error("The weights could not be fetched; the shipped base is used instead.")
        else:
            why = ("MobileNetV2's ImageNet weights are not on this server and cannot be "
                   "fetched now (no internet), so the small CNN shipped with the app is used.")
        return SHIPPED, why + f" It learnt from {shipped.trained_on}."
    return SHIPPED, (f"The small CNN shipped with the app learnt from {shipped.trained_on}, "
                     "so whatever it knows about your classes, it learnt from other things.")


def settings_ui(link: PageLink, base: str) -> dict:
    cols = st.columns(2)
    with cols[0]:
        epochs = link.control("epochs", st.slider, "Epochs", 1, MAX_EPOCHS, DEFAULT_EPOCHS,
                              key="own_epochs",
                              help="Passes over the training pictures, for both networks (with "
                                   "fine-tuning on, the network from scratch also gets the "
                                   "fine-tuning epochs, so both practise as long).")
    with cols[1]:
        info = BASES[base]
        slower = LEARNING_RATE / info.fine_tune_learning_rate
        fine_tune = link.control("fine_tune", st.toggle, "Then fine-tune the top of the base",
                                 key="own_fine_tune",
                                 help=f"After the new head has learnt, the base's top "
                                      f"{info.fine_tune_layers} layers with weights learn "
                                      f"too, at a learning rate {slower:g} times lower, so "
                                      "they adjust to your pictures without forgetting what "
                                      "they knew.")
        fine_epochs = DEFAULT_FINE_TUNE_EPOCHS
        if fine_tune:
            fine_epochs = link.control("fine_tune_epochs", st.slider, "Fine-tuning epochs", 1,
                                       MAX_FINE_TUNE_EPOCHS, DEFAULT_FINE_TUNE_EPOCHS,
                                       key="own_fine_tune_epochs")
    side = BASES[base].input_size
    st.caption(f"Every picture is resized to {side} x {side} pixels, the base's input size, "
               "for both networks; 20% of each class is held out to validate on (never "
               "trained on), and each pass mirrors half the training pictures and shifts "
               f"them by up to {AUGMENT_SHIFT:.0%} at random, so the networks see more "
               "variety than the pictures alone.")
    return {"epochs": int(epochs), "fine_tune": bool(fine_tune),
            "fine_tune_epochs": int(fine_epochs)}


def requests(classes: list[oc.OwnClass], base: str, settings: dict
             ) -> dict[str, OwnImagesRequest]:
    """Both networks on the same pictures, with the bench's augmentation (mirror images,
    shifts of 10%) and the same number of passes over them: with fine-tuning on, the network
    from scratch trains for the fine-tuning epochs too, so neither had more practice.
    Raises ValueError with one sentence when the classes cannot make a request."""
    x, y, names = oc.training_set(classes, BASES[base].input_size)
    x.setflags(write=False)  # one copy of the pictures, shared by both requests
    common = {"x": x, "y": y, "class_names": names, "flip": True, "shift": AUGMENT_SHIFT}
    extra = settings["fine_tune_epochs"] if settings["fine_tune"] else 0
    return {
        "scratch": OwnImagesRequest(approach="scratch", epochs=settings["epochs"] + extra,
                                    **common),
        "transfer": OwnImagesRequest(approach="transfer", base=base, epochs=settings["epochs"],
                                     fine_tune=settings["fine_tune"],
                                     fine_tune_epochs=settings["fine_tune_epochs"], **common),
    }


def _jobs() -> dict[str, TrainingProcess]:
    return st.session_state.setdefault(JOBS_KEY, {})


def running() -> bool:
    return any(job.running for job in _jobs().values())


def start(requests_: dict[str, OwnImagesRequest]) -> bool:
    """Queue the network from scratch now and the other behind it: the queue lets each
    learner wait with one job at a time, so the second joins the line once the first has
    left it (even while the learner is on another page). False when the queue refused: the
    earlier networks and their results then stay."""
    earlier = dict(_jobs())
    for job in reversed(list(earlier.values())):  # the second first, as in stop_all
        job.stop()
    st.session_state[JOBS_KEY] = {}
    if not _queue("scratch", requests_["scratch"]):
        # Refused while another page's job of this learner waits: deleting the earlier
        # networks first would have lost them for nothing.
        st.session_state[JOBS_KEY] = earlier
        return False
    for job in earlier.values():
        if not job.running:  # its results leave the page now; a running one's file is
            Path(job.model_path).unlink(missing_ok=True)  # swept with the session's folder
    _queue("transfer", requests_["transfer"], after=_jobs().get("scratch"))
    return True


def _queue(approach: str, request: OwnImagesRequest,
           after: TrainingProcess | None = None) -> bool:
    job = start_job(request, after=after)
    if job is not None:
        _jobs()[approach] = job
    return job is not None


def stop_all() -> None:
    # The second first: stopping the first in line would hand the second its place.
    for job in reversed(list(_jobs().values())):
        job.stop()


def _panels() -> None:
    jobs = _jobs()
    st.caption("Both train on the same pictures and check themselves on the same held-out "
               "ones; the chart below draws them together.")
    cols = st.columns(2, gap="large")
    for col, (approach, title) in zip(cols, APPROACHES.items(), strict=True):
        with col:
            st.markdown(f"**{title}**")
            job = jobs.get(approach)
            if job is None:
                st.caption("Not trained yet.")
                continue
            progress_panel(job, "pictures", curves=False)
            if job.error:
                st.error(job.error)
    runs = [(APPROACHES[a], snap.curve, snap.history) for a, snap in
            ((a, jobs[a].snapshot()) for a in APPROACHES if a in jobs)]
    if any(curve or history for _, curve, history in runs):
        epochs = max(job.request.config.epochs for job in jobs.values())
        st.plotly_chart(comparison_curves_figure(runs, epochs), key="own_curves",
                        config=NO_BAR)


def _pace() -> float | None:
    """The live pace while either network trains or starts next, slower while the learner's
    only job waits further back in line; None once training has ended."""
    if not running():
        return None
    # A second job that has not joined the line yet goes at its first job's pace.
    return min((refresh_seconds(job.queue_position()) for job in _jobs().values()
                if job.running and not job.following()), default=LIVE_REFRESH_S)


def _running_panels() -> None:
    _panels()
    if running():
        st.button("Stop training", key="own_stop", on_click=stop_all, icon=":material/stop:",
                  help="Both networks end after their current batch; what they learnt so far "
                       "is kept.")


def jobs_ui() -> None:
    if running():
        live_panel(_running_panels, _pace)
    elif _jobs():
        _panels()


# ---- Results ---------------------------------------------------------------------------

def finished() -> dict[str, tuple[OwnImagesRequest, object]]:
    return {approach: (job.request, job.result) for approach, job in _jobs().items()
            if not job.running and job.result is not None}


def results_ui() -> None:
    done = finished()
    if not done:
        st.caption("Results appear here when training ends.")
        return
    cols = st.columns(2, gap="large")
    for col, (approach, title) in zip(cols, APPROACHES.items(), strict=True):
        with col:
            st.markdown(f"**{title}**")
            if approach in done:
                _result_ui(approach, *done[approach])
            else:
                st.caption("No result for this network.")
    if len(done) == 2:
        (_, scratch), (request, transfer) = done["scratch"], done["transfer"]
        if not np.array_equal(scratch.val_indices, transfer.val_indices):
            st.caption("The two networks were checked on different pictures, so they are not "
                       "compared; train both again.")
            return
        per_class = scratch.n_train / len(request.class_names)
        text = verdict(_correct(scratch), _correct(transfer), per_class,
                       majority_share(transfer.y_val), BASES[transfer.base].trained_on,
                       stopped=scratch.stopped or transfer.stopped)
        st.info(text, icon=":material/lightbulb:")


def _correct(result) -> np.ndarray:
    """Whether the network got each validation picture right."""
    return np.argmax(result.val_probabilities, axis=1) == np.asarray(result.y_val)


def _result_ui(approach: str, request: OwnImagesRequest, result) -> None:
    names = list(result.class_names)
    title = "Validation accuracy" + (" (stopped early)" if result.stopped else "")
    st.metric(title, f"{100 * result.val_accuracy:.1f}%",
              help=f"On {result.n_validation:,} pictures it never trained on.")
    if result.fine_tuned:  # epochs_run counts the fine-tuning epochs too
        head = result.fine_tune_from
        run = f"{head} epochs, then {_epochs(result.epochs_run - head)} of fine-tuning"
    else:
        run = f"{_epochs(result.epochs_run)} epochs"
    st.caption(f"{result.n_train:,} training pictures, {run}, "
               f"{result.train_seconds:.0f} s of training"
               + (f"; base: {BASES[result.base].title}." if approach == "transfer" else "."))
    predicted = np.argmax(result.val_probabilities, axis=1)
    matrix = confusion_matrix(result.y_val, predicted, len(names))
    figure = confusion_matrix_figure(matrix, names)
    # Half a projector's width: a short colour-bar title, written along the bar.
    figure.update_traces(colorbar={"title": {"text": "pictures", "side": "right"}})
    st.plotly_chart(figure, key=f"own_confusion_{approach}", config=NO_BAR)
    wrong = mistakes(result.y_val, result.val_probabilities, result.val_indices, limit=8)
    if wrong:
        st.markdown("Mistakes, most confident first:")
        st.image([request.x[m.position] for m in wrong], width=64,
                 caption=[f"{names[m.true_class]} → {names[m.predicted]} "
                          f"({100 * m.confidence:.0f}%)" for m in wrong])
    else:
        st.caption("No mistakes on the validation pictures.")
    path = Path(result.model_path)
    if path.is_file():
        st.download_button("Download this model (.keras)", path.read_bytes(),
                           file_name=f"own-images-{approach}.keras",
                           key=f"own_download_{approach}", icon=":material/download:")


def _epochs(count: float) -> str:
    """Whole epochs as a whole number; a stopped epoch's part to one decimal."""
    return f"{count:g}" if count % 1 == 0 else f"{count:.1f}"


# ---- Try it ----------------------------------------------------------------------------

def try_ui(examples: list[tuple[Path, str]]) -> None:
    done = finished()
    if not done:
        st.caption("Train first; then any photo gets an answer from both networks.")
        return
    sources = (["A held-out example photo"] if examples else []) + ["Upload a photo",
                                                                   "Webcam snapshot"]
    source = st.radio("Photo", sources, horizontal=True, key="own_try_source")
    picture, truth = None, None
    if source == "A held-out example photo":
        labels = [f"{i + 1}: a {cls}" for i, (_, cls) in enumerate(examples)]
        index = st.selectbox("Example photo (never trained on)", range(len(examples)),
                             format_func=labels.__getitem__, key="own_try_example")
        path, truth = examples[index]
        picture = _read(path.read_bytes())
    elif source == "Upload a photo":
        upload = st.file_uploader("A new photo", type=UPLOAD_TYPES, key="own_try_upload")
        picture = None if upload is None else _read(upload.getvalue())
    else:
        shot = st.camera_input("Snapshot", key="own_try_camera")
        picture = None if shot is None else _read(shot.getvalue())
    if picture is None:
        return
    side = next(iter(done.values()))[0].x.shape[1]
    seen = oc.resize_pictures(oc.to_store_size(picture)[None], side)[0]
    st.image(seen, width=128, caption=f"As the networks see it: {side} x {side} pixels"
             + (f" (it is a {truth})." if truth else "."))
    cols = st.columns(2, gap="large")
    for col, approach in zip(cols, APPROACHES, strict=True):
        with col:
            st.markdown(f"**{APPROACHES[approach]}**")
            if approach in done:
                _answer(approach, *done[approach], seen)


def _read(data: bytes) -> np.ndarray | None:
    try:
        return load_image(data)
    except ImageError as error:
        st.error(f"That file cannot be used: {str(error).rstrip('.')}.")
        return None


def _answer(approach: str, request: OwnImagesRequest, result, seen: np.ndarray) -> None:
    # The class's one model process answers everyone: ask it once per model and picture,
    # not on every rerun of this page (any click reruns it).
    answers: dict = st.session_state.setdefault(ANSWERS_KEY, {})
    key = (result.model_path, hashlib.blake2b(seen.tobytes(), digest_size=16).hexdigest())
    if key not in answers:
        try:
            with st.spinner("Asking this network..."):  # the model process may be starting
                answers[key] = inference_client().call(own_images_probabilities,
                                                       result.model_path, seen[None])[0]
        except (InferenceError, ValueError, OSError) as error:
            st.error(str(error))
            return
        while len(answers) > MAX_ANSWERS_KEPT:
            answers.pop(next(iter(answers)))
    probabilities = answers[key]
    names = list(result.class_names)
    st.caption(f"It says: {names[int(np.argmax(probabilities))]}")
    st.plotly_chart(probability_bars_figure(probabilities, names), key=f"own_try_{approach}",
                    config=NO_BAR)
