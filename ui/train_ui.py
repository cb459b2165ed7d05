"""Widget groups of the training page: data, model settings, and the live training panel."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core import config as app_config
from cnn_core.data.datasets import DATASETS, Dataset, DatasetUnavailable
from cnn_core.data.pixels import model_input_shape
from cnn_core.data.splits import validation_size
from cnn_core.jobs.storage import delete_model_files
from cnn_core.jobs.training import TrainConfig
from cnn_core.jobs.worker import TrainingProcess, TrainRequest
from cnn_core.models.expectations import expected_accuracy
from cnn_core.models.reports import ModelReport, epochs_summary
from cnn_core.models.specs import (
    MODEL_PRESETS,
    NETWORK_HPARAMS,
    OPTIMIZERS,
    LayerSpec,
    count_parameters,
    dense_parameters,
    layer_table,
    model_spec,
    network_hparams,
    resolved_hparams,
    shape_text,
)
from cnn_core.views.pictures import to_rgb_uint8, upscale
from ui.job_ui import queue_job
from ui.links import NO_LINK, PageLink
from ui.network_ui import keras_code_ui
from ui.services import shared_dataset
from ui.status import device_label
from ui.train_link import (
    BATCH_CHOICES,
    DEFAULT_BATCH,
    DEFAULT_EPOCHS,
    DEFAULT_LR,
    DEFAULT_PRESET,
    DENSE_CHOICES,
    EPOCHS_HIGH,
    EPOCHS_LOW,
    FILTER_CHOICES,
    KERNEL_CHOICES,
    LR_CHOICES,
    OPTIMIZER_TITLES,
    SUBSET_DEFAULT,
    augmentation_default,
    forget_train_settings,
    train_settings,
    widget_key,
)

JOB_KEY = "train_job"          # the running (or last) TrainingProcess of this session
TRAIN_PRESSED_KEY = "train_pressed"  # set by the Train button, read once by the next run
REPORT_KEY = "train_report"    # the last finished model's ModelReport, kept until replaced
FILED_KEY = "_train_filed_job"  # the job whose results REPORT_KEY holds
REPORT_REQUEST_KEY = "_train_report_request"  # the TrainRequest of the report's run
CLASSIC_NOTE_KEY = "_train_classic_note"  # the classic recipe was asked for without full MNIST
# Settings of a preset's layers (link name, hparam), which a network of one's own holds itself.
PRESET_HPARAMS = (("filters", "filters"), ("kernel", "kernel_size"), ("dense", "dense_units"),
                  ("dropout", "dropout"))


@cache
def text(section: str) -> str:
    """One `<!-- section -->` of assets/text/train.md."""
    source = (app_config.TEXT_DIR / "train.md").read_text(encoding="utf-8")
    parts = re.split(r"<!-- (\w+) -->", source)
    # Paragraphs are wrapped in the file; one line each on the page.
    return dict(zip(parts[1::2], (" ".join(p.split()) for p in parts[2::2]),
                    strict=True))[section]


def _control(link: PageLink):
    """Draws a setting's widget through the link (locked, hidden), kept for the session by
    Streamlit itself: app.py's re-saving alone loses a value when a fragment reruns on another
    page (the Home page's device line, another page's live training panel)."""
    def control(name: str, widget, *args, **kwargs):
        return link.control(name, widget, *args, persist_state="session", **kwargs)
    return control


def dataset_ui(link: PageLink = NO_LINK) -> Dataset | None:
    """Pick a data set, see where it came from and a few examples. None if unavailable."""
    name = _control(link)("data", st.selectbox, "Data set", list(DATASETS),
                          format_func=lambda n: DATASETS[n].title, key=widget_key("data"))
    info = DATASETS[name]
    st.caption(info.description)
    try:
        data = shared_dataset(name)
    except DatasetUnavailable as error:
        st.error(str(error))
        return None
    st.caption(f"Loaded from the {data.source.description}: {len(data.y_train):,} training "
               f"and {len(data.y_test):,} test images of {shape_text(info.image_shape)} "
               "pixels.")
    examples = [int(np.argmax(data.y_train == c)) for c in range(data.num_classes)]
    st.image([upscale(to_rgb_uint8(data.x_train[i]), 56) for i in examples],
             caption=[data.class_names[c] for c in range(data.num_classes)], width=56)
    return data


def _fit_subset(key: str, low: int, high: int, step: int) -> int | None:
    """Put a kept or linked subset on the slider's scale for this data set (a slider refuses a
    value outside its ends). Returns the number asked for when it had to change, else None."""
    asked = st.session_state.get(key)
    if not isinstance(asked, int):
        return None
    fitted = min(high, max(low, low + round((asked - low) / step) * step))
    if fitted == asked:
        return None
    st.session_state[key] = fitted
    # The default is the slider's own start, which a smaller data set caps without a word.
    return None if asked == SUBSET_DEFAULT else asked


def model_ui(data: Dataset, link: PageLink = NO_LINK) -> tuple[str, dict, TrainConfig, int,
                                                                  float]:
    """Preset, editable settings, augmentation.

    Returns (preset, hparams, config, n_train, validation_fraction): n_train images are
    chosen, and validation_fraction of them held out to validate on.
    """
    control = _control(link)
    n_all = len(data.y_train)
    low = 2_000 if n_all > 2_000 else max(1, n_all // 10)  # a small folder of one's own
    if low < n_all:
        step = 1_000 if n_all > 2_000 else 1
        asked = _fit_subset(widget_key("subset"), low, n_all, step)
        n_train = control("subset", st.slider, "Training subset (images)", low, n_all,
                          min(SUBSET_DEFAULT, n_all), step=step, key=widget_key("subset"),
                          format="localized",  # "12,000" as everywhere else, not "12000"
                          help="Fewer images train faster; a CPU does about 5,000 MNIST "
                               "images a second with the MNIST CNN.")
        n_train = min(n_all, max(low, int(n_train)))  # a hidden slider returns the kept value
        if asked is not None:
            st.caption(f"{asked:,} images do not fit this data set here ({low:,} to {n_all:,} "
                       f"in steps of {step:,}), so {n_train:,} are used.")
    else:  # a slider needs two different ends
        n_train = n_all
        st.caption(f"Training on all {n_all:,} images.")
    names = list(MODEL_PRESETS)
    # Each data set keeps its own model: back on MNIST, the model chosen for MNIST.
    preset = control("model", st.selectbox, "Model", names,
                     index=names.index(DEFAULT_PRESET[data.name]),
                     format_func=lambda p: MODEL_PRESETS[p].title,
                     key=widget_key("model", data.name))
    st.caption(MODEL_PRESETS[preset].caption)
    editing = control("edit", st.toggle, "Build your own network",
                      key=widget_key("edit", data.name),
                      help="Starts from this model's layers, which you can then add, "
                           "remove, move and change below the two columns; Train then trains "
                           "your network.")
    if editing:
        # On a projector the builder starts below the fold: say where it is.
        st.caption(f"Your network starts as the {MODEL_PRESETS[preset].title}: change its "
                   "layers under these two columns.")
    defaults = MODEL_PRESETS[preset].defaults
    hparams: dict = {}

    def key(name: str) -> str:
        return widget_key(name, data.name, preset, hparams.get("optimizer", ""))

    with st.expander("Settings", expanded=False):
        if editing:
            # The layers hold these now; the preset keeps them for when the builder is off.
            hparams.update({p: st.session_state.get(key(name), defaults[p]) for name, p in
                            PRESET_HPARAMS if p in defaults})
            st.caption("Filters, kernel size, dense units and dropout are set layer by layer "
                       "in your network below.")
        cols = st.columns(3)
        if not editing:
            _preset_settings_ui(control, cols, defaults, key, hparams)
        hparams["optimizer"] = control(
            "optimizer", cols[1].selectbox, "Optimizer", OPTIMIZERS, key=key("optimizer"),
            format_func=OPTIMIZER_TITLES.get)
        hparams["learning_rate"] = control(
            "lr", cols[2].select_slider, "Learning rate", LR_CHOICES,
            DEFAULT_LR[hparams["optimizer"]], key=key("lr"))
        batch_size = control("batch", cols[0].select_slider, "Batch size", BATCH_CHOICES,
                             DEFAULT_BATCH, key=key("batch"))
        epochs = control("epochs", cols[1].number_input, "Epochs", EPOCHS_LOW, EPOCHS_HIGH,
                         DEFAULT_EPOCHS, key=key("epochs"))
        validation = control(
            "validation", cols[2].select_slider, "Validation share",
            app_config.VALIDATION_CHOICES, app_config.VALIDATION_FRACTION,
            format_func=lambda f: f"{f:.0%}", key=key("validation"),
            help="Held out of the training images (every class in its share) and checked "
                 "after every epoch. The test images are used only once, after training.")
        on_gpu = (device_label() or "").startswith("GPU")
        mixed = control(
            "mixed", cols[0].checkbox, "Mixed precision", key=key("mixed"), disabled=not on_gpu,
            help="Computes in 16-bit floats where it is safe: up to 2-3x faster on modern "
                 "GPUs. " + ("" if on_gpu else "Only offered when TensorFlow finds a GPU."))
        if mixed and not on_gpu:
            st.caption("Mixed precision is ticked, but this computer has no GPU for it, so "
                       "training uses ordinary 32-bit floats.")
        st.markdown("**Data augmentation** (training images only)")
        aug = st.columns(2)
        invert = control("invert", aug[0].checkbox, "Inverted copies", key=key("invert"),
                         help="Adds a black-on-white copy of every white-on-black "
                              "image (and vice versa), doubling the training set.")
        shift = control("shift", aug[1].checkbox, "Random shifts (up to 10%)",
                        augmentation_default("shift", data.name, preset), key=key("shift"))
        rotate = control("rotate", aug[0].checkbox, "Small rotations (up to 10°)",
                         key=key("rotate"))
        zoom = control("zoom", aug[1].checkbox, "Zoom in or out (up to 10%)", key=key("zoom"))
        flip = data.info.photos and control(
            "flip", aug[0].checkbox, "Horizontal flips",
            augmentation_default("flip", data.name, preset), key=key("flip"),
            help="Mirrors a random half of the photos left to right: a cat facing left is "
                 "still a cat. Offered for photos only: a mirrored 2 or 7 is no digit at all.")
    config = TrainConfig(epochs=int(epochs), batch_size=int(batch_size), invert_copies=invert,
                         shift=0.1 if shift else 0.0, rotation=10 / 360 if rotate else 0.0,
                         zoom=0.1 if zoom else 0.0, flip=bool(flip),
                         mixed_precision=bool(mixed and on_gpu))
    return preset, hparams, config, n_train, float(validation)


def _preset_settings_ui(control, cols, defaults: dict, key, hparams: dict) -> None:
    """The settings of a preset's layers, into hparams."""
    if "filters" in defaults:
        hparams["filters"] = control(
            "filters", cols[0].select_slider, "Filters in the first layer", FILTER_CHOICES,
            defaults["filters"], key=key("filters"))
        hparams["kernel_size"] = control(
            "kernel", cols[1].select_slider, "Kernel size", KERNEL_CHOICES,
            defaults["kernel_size"], key=key("kernel"))
    hparams["dense_units"] = control(
        "dense", cols[2].select_slider, "Dense units", DENSE_CHOICES,
        defaults["dense_units"], key=key("dense"))
    if "dropout" in defaults:
        hparams["dropout"] = control("dropout", cols[0].slider, "Dropout", 0.0, 0.8,
                                     defaults["dropout"], 0.05, key=key("dropout"))


def layer_table_ui(preset: str, hparams: dict, data: Dataset,
                   link: PageLink = NO_LINK) -> None:
    shape = model_input_shape(data.info.image_shape)
    try:
        layers = model_spec(preset, data.num_classes, **hparams)
        rows = layer_table(layers, shape)
    except ValueError as error:
        st.error(str(error))
        return
    frame = pd.DataFrame({"layer": [r.name for r in rows], "type": [r.kind for r in rows],
                          "output shape": [shape_text(r.output_shape) for r in rows],
                          "parameters": [r.parameters for r in rows]})
    st.markdown("**The model's layers:** what comes out of each one (height x width x "
                "channels, or a flat row of numbers) and how many numbers it learns.")
    st.dataframe(frame, hide_index=True, width="content", column_config={
        "parameters": st.column_config.NumberColumn(format="localized")})
    total = count_parameters(layers, shape)
    st.markdown(f"**{total:,} parameters** to learn.")
    first_conv = next((r for r in rows if r.kind == "conv"), None)
    if first_conv is not None:
        units = hparams.get("dense_units", 128)
        st.caption(
            f"The first convolution layer learns {first_conv.parameters:,} weights and biases, "
            f"because each filter is shared across the whole image. A dense layer of {units} "
            f"units on the same {' x '.join(map(str, shape))} input would need "
            f"{dense_parameters(shape, units):,}; a 64 x 64 x 3 photo into 128 dense units "
            f"needs {dense_parameters((64, 64, 3), 128):,}.")
    if preset == "dense_baseline":
        _dense_comparison_ui(hparams, data, shape, total, link)
    keras_code_ui(layers, shape, "", hparams)


def _set_dense_units(units: int) -> None:
    st.session_state[widget_key("dense", preset="dense_baseline")] = units


def _dense_comparison_ui(hparams: dict, data: Dataset, shape: tuple[int, ...],
                         total: int, link: PageLink = NO_LINK) -> None:
    """Compare the dense network with the CNN as they really are, counts computed here."""
    cnn_rows = layer_table(model_spec("mnist_cnn", data.num_classes), shape)
    cnn_total = sum(r.parameters for r in cnn_rows)
    conv = sum(r.parameters for r in cnn_rows if r.kind == "conv")
    units = hparams["dense_units"]
    wide = count_parameters(model_spec("dense_baseline", data.num_classes, dense_units=128),
                            shape)
    st.caption(text("dense_compare").format(
        units=units, total=total, cnn_total=cnn_total, conv=conv,
        rest=cnn_total - conv, share=conv / cnn_total))
    found = {u: expected_accuracy(data.name, "dense_baseline", {"dense_units": u},
                                  SUBSET_DEFAULT, 2) for u in (units, 128)}
    cnn = expected_accuracy(data.name, "mnist_cnn", {}, SUBSET_DEFAULT, 2)
    if cnn is not None and all(e is not None for e in found.values()):
        parts = [f"dense with {u} units {e.accuracy:.1%}" for u, e in found.items()]
        st.caption(f"Test accuracy measured on this app ({SUBSET_DEFAULT:,} images, 2 epochs): "
                   f"{', '.join(parts)}, MNIST CNN {cnn.accuracy:.1%}.")
    fixed = link.locked("dense") or link.hidden("dense")
    if units < 128:
        st.button(f"Try the 128-unit version ({wide:,} parameters)", key="model_dense_128",
                  on_click=_set_dense_units, args=(128,), icon=":material/expand:",
                  disabled=fixed, help="Your teacher's link fixes the dense units." if fixed
                  else "As wide as the CNN's own dense layer.")


def expectation_ui(data: Dataset, model: str | Sequence[LayerSpec], hparams: dict,
                   config: TrainConfig, n_train: int, link: PageLink = NO_LINK) -> None:
    """What test accuracy these settings reach, before Train is pressed, and the classic
    recipe in one click. model: a preset's name, or a network of one's own."""
    custom = not isinstance(model, str)
    expectation = None if custom else expected_accuracy(data.name, model, hparams, n_train,
                                                        config.epochs)
    if custom:
        st.caption("Nobody has measured your own network's accuracy yet: press Train and see.")
    elif expectation is not None:
        augmented = config.augments or config.invert_copies
        st.markdown(expectation.sentence() + (" Augmentation changes this figure." if augmented
                                              else ""))
    else:
        st.caption("No accuracy has been measured on this app for these settings yet.")
    if data.name != "mnist":
        return
    classic = (n_train == app_config.CLASSIC_IMAGES and config.epochs == app_config.CLASSIC_EPOCHS
               and model == app_config.CLASSIC_PRESET)
    if classic:
        st.caption(text("classic_set"))
        return
    # The recipe resets every other setting, which would undo what a teacher's link fixed.
    fixed = bool(link.teacher.locked or link.teacher.hidden)
    st.button(f"Use the classic recipe: all {app_config.CLASSIC_IMAGES:,} images, "
              f"{app_config.CLASSIC_EPOCHS} epochs, "
              f"{MODEL_PRESETS[app_config.CLASSIC_PRESET].title}", key="train_classic",
              on_click=_use_classic_recipe, args=(len(data.y_train),),
              icon=":material/auto_awesome:", disabled=fixed,
              help="Your teacher's link fixes some settings." if fixed else None)
    if st.session_state.get(CLASSIC_NOTE_KEY):
        st.info(text("classic_missing").format(
            have=len(data.y_train), full=app_config.CLASSIC_IMAGES,
            how=_lower_first(DATASETS["mnist"].how_to_get)))


def _lower_first(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]


def _use_classic_recipe(available: int) -> None:
    """Button callback (it runs before the widgets are drawn, so it may set them)."""
    if available < app_config.CLASSIC_IMAGES:
        st.session_state[CLASSIC_NOTE_KEY] = True
        return
    forget_train_settings(train_settings("mnist", app_config.CLASSIC_PRESET))
    state = st.session_state
    state[widget_key("subset")] = app_config.CLASSIC_IMAGES
    state[widget_key("epochs")] = app_config.CLASSIC_EPOCHS
    state[widget_key("model", "mnist")] = app_config.CLASSIC_PRESET
    state.pop(CLASSIC_NOTE_KEY, None)


def train_request(data: Dataset, model: str | Sequence[LayerSpec], hparams: dict,
                  config: TrainConfig, n_train: int, validation_fraction: float) -> TrainRequest:
    """The job the Train button would start with these settings. model: a preset's name, or
    a whole network of one's own, which holds every setting but the optimizer's."""
    if not isinstance(model, str):
        hparams = {k: v for k, v in hparams.items() if k in NETWORK_HPARAMS}
    return TrainRequest(data.name, model, dict(hparams), config,
                        n_train=n_train if n_train < len(data.y_train) else None,
                        validation_fraction=validation_fraction)


def press_train() -> None:
    """The Train button's callback: note the press for the run it triggers."""
    st.session_state[TRAIN_PRESSED_KEY] = True


def train_pressed() -> bool:
    """True once after the Train button was pressed."""
    return bool(st.session_state.pop(TRAIN_PRESSED_KEY, False))


def start_training(request: TrainRequest) -> None:
    """Start a new job for this session (an old finished report stays until this one ends)."""
    old = st.session_state.get(JOB_KEY)
    if old is not None and old.running:
        return
    n_train = request.n_train or len(shared_dataset(request.dataset).y_train)
    try:
        validation_size(n_train, request.validation_fraction)
    except ValueError as error:
        st.error(str(error))
        return
    queue_job(JOB_KEY, request)


def request_summary(request: TrainRequest) -> str:
    """One line: the settings a job was started with, whatever the widgets say now."""
    if request.custom:  # a network given as layers: its sizes are in the layers
        h = network_hparams(request.hparams)
        model = [f"{len(request.preset)} layer{'s' if len(request.preset) != 1 else ''}"]
    else:
        h = resolved_hparams(request.preset, request.hparams)
        model = []
        if h.get("filters"):
            model.append(f"{h['filters']} filters of {h['kernel_size']}x{h['kernel_size']}")
        model.append(f"{h['dense_units']} dense units")
        if "dropout" in h:
            model.append(f"dropout {h['dropout']:g}")
    config = request.config
    images = "all training images" if request.n_train is None else \
        f"{request.n_train:,} images"
    if request.validation_fraction:
        images += f", {request.validation_fraction:.0%} of them held out to validate"
    extras = [name for name, on in (
        ("inverted copies", config.invert_copies), ("random shifts", config.shift),
        ("small rotations", config.rotation), ("zoom", config.zoom),
        ("horizontal flips", config.flip)) if on]
    extras = [f"augmentation: {', '.join(extras)}"] if extras else ["no augmentation"]
    if config.mixed_precision:
        extras.append("mixed precision")
    epochs = f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}"
    return (f"Started with: {DATASETS[request.dataset].title} · "
            f"{request.model_title} ({', '.join(model)}) · {images} · "
            f"{epochs}, batches of {config.batch_size} · "
            f"{OPTIMIZER_TITLES[h['optimizer']]}, learning rate {h['learning_rate']:g} · "
            f"{', '.join(extras)}.")


def started_with(started: TrainRequest, now: TrainRequest) -> str:
    """What a run was started with; after a visit elsewhere or a change above, that is what
    really trains (or trained), so it is said whenever the widgets now say otherwise."""
    return request_summary(started) + ("" if started == now else
                                       " The settings above differ: Train uses them next time.")


def collect_finished_job() -> None:
    """Once this session's job has ended, file its results as the report to show (once)."""
    job: TrainingProcess | None = st.session_state.get(JOB_KEY)
    if job is None or not job.done or st.session_state.get(FILED_KEY) is job:
        return
    st.session_state[FILED_KEY] = job
    if job.result is not None:
        replaced: ModelReport | None = st.session_state.get(REPORT_KEY)
        st.session_state[REPORT_KEY] = report_from(job, shared_dataset(job.request.dataset))
        st.session_state[REPORT_REQUEST_KEY] = job.request
        # Only this page and Draw and predict (which takes the newest report) show it.
        if replaced is not None and replaced.model_path != job.result.model_path:
            delete_model_files(replaced.model_path)


def report_from(job: TrainingProcess, data: Dataset) -> ModelReport:
    result = job.result
    chosen = result.n_train + result.n_validation
    run = epochs_summary(result.epochs_run, result.epochs or job.request.config.epochs,
                         result.stopped)
    title = (f"{job.request.model_title} on {data.info.title} "
             f"({chosen:,} images, {run})")
    return ModelReport(title, data.name, list(data.class_names), result.model_path,
                       result.y_test, result.probabilities, result.test_indices, result.history,
                       result.n_train, result.stopped, result.device, result.images_per_second,
                       result.train_seconds, result.n_validation, result.epochs_run,
                       result.epochs, result.tensorboard_zip)
