"""What a link to the Train a CNN page holds: data set, model and its settings, subset, epochs,
augmentation. Never the Train button: a link fills in the form, only a click starts training.

Some widget keys depend on other settings: each data set keeps its own model choice
(model_preset_mnist), each model its own filters, kernel, dense units and dropout
(model_filters_mnist_cnn), each optimizer its own learning rate (model_lr_adam). So the page's
settings are declared per run, for the data set, model and optimizer in force: those of a new
link when one arrives, else the session's. Every key declared on any run is kept for the rest of
the session, so a model's settings outlive a visit to another model or another page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from cnn_core import config as app_config
from cnn_core.data.datasets import DATASETS
from cnn_core.models.network_edits import (
    EXAMPLE_TEXT,
    MAX_TEXT_CHARS,
    network_text,
    parse_network_text,
)
from cnn_core.models.specs import MODEL_PRESETS, OPTIMIZERS
from cnn_core.views.links import TEACHER_PARAMS, LinkValueError, Setting, choice, flag, whole
from ui.links import unapplied_link
from ui.network_ui import edit_key, layers_key, net_key, sync_network

PAGE = "train"
NOT_IN_LINK = ("A link never starts training, and it holds no trained or uploaded model: "
               "whoever opens it presses Train.")

DEFAULT_PRESET = {"mnist": "mnist_cnn", "fashion_mnist": "mnist_cnn", "cifar10": "cifar_dcnn"}
SUBSET_DEFAULT = 12_000
SUBSET_MAX = max(info.n_train for info in DATASETS.values())
FILTER_CHOICES = (4, 8, 16, 32, 64)
KERNEL_CHOICES = (3, 5, 7)
DENSE_CHOICES = (16, 32, 64, 128, 256, 512)
DROPOUT_CHOICES = tuple(round(0.05 * i, 2) for i in range(17))   # the slider's 0 to 0.8
LR_CHOICES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
DEFAULT_LR = {"adam": 1e-3, "sgd": 1e-2, "adadelta": 1.0}
BATCH_CHOICES = (16, 32, 64, 128, 256)
DEFAULT_BATCH = 64
EPOCHS_LOW, EPOCHS_HIGH, DEFAULT_EPOCHS = 1, 50, 2
OPTIMIZER_TITLES = {"adam": "Adam", "sgd": "SGD with momentum 0.9", "adadelta": "Adadelta"}

DATA_KEY = "data_name"
_KEYS = {"subset": "model_subset", "model": "model_preset", "filters": "model_filters",
         "kernel": "model_kernel", "dense": "model_dense", "dropout": "model_dropout",
         "optimizer": "model_optimizer", "lr": "model_lr", "batch": "model_batch",
         "epochs": "model_epochs", "validation": "model_validation", "mixed": "model_mixed",
         "invert": "model_invert", "shift": "model_shift", "rotate": "model_rotate",
         "zoom": "model_zoom", "flip": "model_flip"}
PER_PRESET = ("filters", "kernel", "dense", "dropout")
# A recipe's augmentations (config.RECIPE_AUGMENTATION: the CIFAR-10 DCNN's shifts and flips)
# start ticked for its data set and model, so each data set and model keeps its own.
PER_RECIPE = ("shift", "flip")


def widget_key(name: str, data: str = "", preset: str = "", optimizer: str = "") -> str:
    """The session-state key of a setting's widget, the one place that names them."""
    if name == "data":
        return DATA_KEY
    if name == "edit":
        return edit_key(data)
    if name == "net":
        return net_key(data, preset)
    if name == "model":
        return f"{_KEYS[name]}_{data}"
    if name in PER_PRESET:
        return f"{_KEYS[name]}_{preset}"
    if name == "lr":
        return f"{_KEYS[name]}_{optimizer}"
    if name in PER_RECIPE:
        return f"{_KEYS[name]}_{data}_{preset}"
    return _KEYS[name]


def augmentation_default(name: str, data: str, preset: str) -> bool:
    """Whether an augmentation starts ticked: only those of the data set and model's recipe."""
    return name in app_config.RECIPE_AUGMENTATION.get((data, preset), ())


def listed(name: str, label: str, options: Sequence[float], default: Any,
           key: str | None = None) -> Setting:
    """One number of a fixed list, written short (0.001, 0.35) and read by value, so 1e-3 and
    0.0010 are the same setting; the widget always gets the list's own number back."""
    shown = ", ".join(f"{o:g}" for o in options)

    def parse(text: str) -> Any:
        try:
            value = float(text.strip())
        except ValueError:
            raise LinkValueError(f"one of {shown}") from None
        for option in options:
            if math.isclose(value, option, rel_tol=1e-9, abs_tol=1e-12):
                return option
        raise LinkValueError(f"one of {shown}")
    return Setting(name, label, default, parse, lambda v: f"{float(v):g}", key)


def network(data: str, preset: str) -> Setting:
    """A learner's own network: its hidden layers as text (the output layer is always there).
    A link that holds one switches the builder on with these layers."""
    def parse(text: str) -> tuple:
        try:
            return tuple(parse_network_text(text))
        except ValueError as error:
            raise LinkValueError(f"layers written like {EXAMPLE_TEXT}; "
                                 f"{str(error).rstrip('.')}") from None

    def assign(layers) -> dict:
        return {net_key(data, preset): tuple(layers), layers_key(data, preset): list(layers),
                edit_key(data): True}
    return Setting("net", "Your network's layers", None, parse, network_text,
                   net_key(data, preset), assign, max_chars=MAX_TEXT_CHARS)


def _linked(given: Mapping[str, str], name: str, options: Sequence[str]) -> str | None:
    value = given.get(name)
    return value if value in options else None


def in_force(state: Mapping[str, Any], given: Mapping[str, str] | None = None
             ) -> tuple[str, str, str]:
    """(data set, model, optimizer) whose keys this run uses: a new link's where it names valid
    ones, else the session's, else the defaults (what the widgets will show after the link)."""
    given = given or {}
    data = _linked(given, "data", list(DATASETS)) or state.get(DATA_KEY) or "mnist"
    preset = (_linked(given, "model", list(MODEL_PRESETS))
              or state.get(widget_key("model", data)) or DEFAULT_PRESET[data])
    optimizer = (_linked(given, "optimizer", OPTIMIZERS)
                 or state.get(widget_key("optimizer")) or OPTIMIZERS[0])
    return data, preset, optimizer


def train_settings(data: str = "mnist", preset: str | None = None,
                   optimizer: str = "adam") -> list[Setting]:
    """The page's settings for this data set, model and optimizer, in link order."""
    preset = preset or DEFAULT_PRESET[data]
    defaults = MODEL_PRESETS[preset].defaults

    def key(name: str) -> str:
        return widget_key(name, data, preset, optimizer)

    settings = [
        choice("data", "Data set", list(DATASETS), "mnist", key=key("data")),
        choice("model", "Model", list(MODEL_PRESETS), DEFAULT_PRESET[data], key=key("model")),
        # The slider starts at min(12,000, images available); model_ui fits a linked number
        # into the data set actually on this computer.
        whole("subset", "Training subset (images)", 1, SUBSET_MAX, SUBSET_DEFAULT,
              key=key("subset")),
        whole("epochs", "Epochs", EPOCHS_LOW, EPOCHS_HIGH, DEFAULT_EPOCHS, key=key("epochs")),
        listed("batch", "Batch size", BATCH_CHOICES, DEFAULT_BATCH, key=key("batch")),
    ]
    if "filters" in defaults:
        settings += [
            listed("filters", "Filters in the first layer", FILTER_CHOICES, defaults["filters"],
                   key=key("filters")),
            listed("kernel", "Kernel size", KERNEL_CHOICES, defaults["kernel_size"],
                   key=key("kernel"))]
    settings.append(listed("dense", "Dense units", DENSE_CHOICES, defaults["dense_units"],
                           key=key("dense")))
    if "dropout" in defaults:
        settings.append(listed("dropout", "Dropout", DROPOUT_CHOICES, defaults["dropout"],
                               key=key("dropout")))
    settings += [
        flag("edit", "Build your own network", False, key=key("edit")),
        network(data, preset),
        choice("optimizer", "Optimizer", OPTIMIZERS, OPTIMIZERS[0], key=key("optimizer")),
        listed("lr", "Learning rate", LR_CHOICES, DEFAULT_LR[optimizer], key=key("lr")),
        listed("validation", "Validation share", app_config.VALIDATION_CHOICES,
               app_config.VALIDATION_FRACTION, key=key("validation")),
        flag("mixed", "Mixed precision", False, key=key("mixed")),
        flag("invert", "Augmentation: inverted copies", False, key=key("invert")),
        flag("shift", "Augmentation: random shifts", augmentation_default("shift", data, preset),
             key=key("shift")),
        flag("rotate", "Augmentation: small rotations", False, key=key("rotate")),
        flag("zoom", "Augmentation: zoom", False, key=key("zoom")),
    ]
    if DATASETS[data].photos:
        settings.append(flag("flip", "Augmentation: horizontal flips",
                             augmentation_default("flip", data, preset), key=key("flip")))
    return settings


LINK_NAMES = frozenset({*(s.name for s in train_settings()),
                        *(s.name for s in train_settings("cifar10")), *TEACHER_PARAMS})


def forget_train_settings(shown: Sequence[Setting]) -> None:
    """Every setting of the page back to its default. The shown ones are set to it: a deleted
    key resets the value but not the widget the browser already shows."""
    state = st.session_state
    for name in [k for k in state if isinstance(k, str)
                 and (k == DATA_KEY or k.startswith("model_"))]:
        del state[name]
    state.update({s.key: s.default for s in shown if s.key and s.default is not None})


def new_link(page: str) -> dict[str, str] | None:
    """The address bar's parameters when they are a link for this page that this session has
    not applied yet: not what the page itself last wrote there, and naming one of its settings
    or a teacher option (a link meant for another page changes nothing here)."""
    return unapplied_link(page, LINK_NAMES)


def page_settings() -> list[Setting]:
    """Call before page_link. A new link describes the whole form: what it leaves out goes back
    to its default instead of keeping this session's value (a lesson link opened mid-session
    gives the lesson's recipe, not a mix with the learner's last one)."""
    given = new_link(PAGE)
    if given is None:
        data, preset, optimizer = in_force(st.session_state)
        sync_network(data, preset)
        return train_settings(data, preset, optimizer)
    settings = train_settings(*in_force({}, given))
    forget_train_settings(settings)
    return settings
