"""Models as plain data: layer specs, presets, and their layer table.

A model is first described as a list of `LayerSpec` (pure Python), so the page can show
the layer table, output shapes and parameter counts without importing TensorFlow in the
Streamlit server. `cnn_core.jobs.builder.build_model` turns the same description into a
compiled Keras model in a worker process, and `cnn_core.jobs.keras_code.keras_code` writes
it as Keras code a learner can copy. A list is the whole network, output layer included.

Layer kinds, and their params, named as the Keras arguments; a missing one takes Keras'
default:

- "conv" (Conv2D): filters, kernel_size (k or (kh, kw)), strides=1 (s or (sh, sw)),
  padding="valid" ("valid" or "same"), activation=None.
- "pool" (MaxPooling2D or AveragePooling2D): pool_size=2 (p or (ph, pw)),
  strides=pool_size, padding="valid", operation="max".
- "global_pool" (GlobalMaxPooling2D or GlobalAveragePooling2D): operation="average".
- "batchnorm" (BatchNormalization): no params; 4 numbers per channel, the learned gamma and
  beta and the moving mean and variance, which Keras' count_params counts too.
- "dropout" (Dropout): rate, the share of inputs switched off, in [0, 1).
- "flatten" (Flatten): no params; on an input that is already flat it changes nothing and
  is allowed.
- "dense" (Dense): units, activation=None (None, or one of ACTIVATIONS).

`operation` is the one param that is not a Keras argument: it picks the pooling class,
"max" (MaxPooling2D, GlobalMaxPooling2D) or "average" (AveragePooling2D,
GlobalAveragePooling2D).

The input is an image (H, W, C) or a flat row of numbers (N,), such as iris's 4
measurements, which dense layers take directly. A dense layer needs a flat input: Keras
would apply one straight to feature maps pixel by pixel, which teaches the wrong thing, so
a flatten or global_pool layer must come first. Every invalid stack raises a ValueError of
one sentence that starts with the name of the layer at fault (or says which position, for
a layer without a valid name).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnn_core.config import MODELS_DIR
from cnn_core.maths.convolution import conv_parameters
from cnn_core.maths.windows import PADDINGS, output_size

OPTIMIZERS = ("adam", "sgd", "adadelta")
LAYER_KINDS = ("conv", "pool", "batchnorm", "dropout", "flatten", "global_pool", "dense")
# Params every layer of a kind must have (Keras has no default for them either).
REQUIRED_PARAMS: dict[str, tuple[str, ...]] = {
    "conv": ("filters", "kernel_size"), "pool": (), "batchnorm": (), "dropout": ("rate",),
    "flatten": (), "global_pool": (), "dense": ("units",)}
# Keras' defaults of the optional params; a pool's strides=None means "as pool_size".
LAYER_DEFAULTS: dict[str, dict[str, Any]] = {
    "conv": {"strides": 1, "padding": "valid", "activation": None},
    "pool": {"pool_size": 2, "strides": None, "padding": "valid", "operation": "max"},
    "batchnorm": {},
    "dropout": {},
    "flatten": {},
    "global_pool": {"operation": "average"},
    "dense": {"activation": None},
}
ACTIVATIONS = ("relu", "sigmoid", "tanh", "softmax", "linear", "elu", "selu", "gelu", "swish",
               "softplus", "leaky_relu")
POOL_OPERATIONS = ("max", "average")
MAX_LAYERS = 40
INPUT_NAME = "image"  # the keras.Input's name, so no layer may take it
CUSTOM_TITLE = "Your network"
CUSTOM_MODEL_NAME = "your_network"
# A network given as layers holds its own sizes: only these settings stay outside it.
NETWORK_HPARAMS = ("optimizer", "learning_rate", "momentum")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,60}")
_EXAMPLES = {"filters": "16", "kernel_size": "3", "rate": "0.25", "units": "10"}


@dataclass(frozen=True)
class LayerSpec:
    """One layer: kind (one of LAYER_KINDS), a name of its own in its network, and params
    named as the Keras arguments (see the module docstring). Not hashable: params is a dict."""

    kind: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerRow:
    """One line of the layer table: what the layer is, what comes out, what it learns."""

    name: str
    kind: str
    # None for a size the model leaves open (an uploaded model that takes any picture size);
    # the networks this app builds have every size fixed.
    output_shape: tuple[int | None, ...]
    parameters: int


def shape_text(shape: Sequence[int | None]) -> str:
    """A layer's output as the app's tables show it: '7 x 7 x 32', '1,568' (a flat row),
    'any x any x 16' where the model leaves a size open."""
    return " x ".join("any" if size is None else f"{size:,}" for size in shape)


@dataclass(frozen=True)
class ModelPreset:
    title: str
    caption: str
    defaults: dict[str, Any]


MODEL_PRESETS: dict[str, ModelPreset] = {
    "mnist_cnn": ModelPreset(
        "MNIST CNN",
        "Two convolution + max-pooling blocks (16 then 32 filters of 5x5), a 128-unit dense "
        "layer with 40% dropout: the classic small MNIST CNN (215,370 parameters on MNIST).",
        {"filters": 16, "kernel_size": 5, "dense_units": 128, "dropout": 0.4,
         "optimizer": "adam", "learning_rate": 1e-3},
    ),
    "cifar_dcnn": ModelPreset(
        "CIFAR-10 DCNN",
        "The deep CNN for CIFAR-10 photos: two blocks of two 3x3 convolutions (32 filters), "
        "max pooling and 25% dropout, then a 256-unit dense layer with 50% dropout.",
        {"filters": 32, "kernel_size": 3, "dense_units": 256, "dropout": 0.5,
         "optimizer": "adam", "learning_rate": 1e-3},
    ),
    "dense_baseline": ModelPreset(
        "Dense baseline",
        "No convolutions: the image is flattened into one long row of pixels and fed to a "
        "dense layer, so every unit learns its own weight for every pixel. Below the layer "
        "table: how its size and accuracy compare with the MNIST CNN's.",
        {"dense_units": 16, "optimizer": "adam", "learning_rate": 1e-3},
    ),
}


def resolved_hparams(preset: str, overrides: dict[str, Any]) -> dict[str, Any]:
    if preset not in MODEL_PRESETS:
        raise ValueError(f"There is no model preset {preset!r}; choose one of: "
                         f"{', '.join(MODEL_PRESETS)}.")
    values = dict(MODEL_PRESETS[preset].defaults)
    unknown = set(overrides) - {"filters", "kernel_size", "dense_units", "dropout", "optimizer",
                                "learning_rate", "momentum"}
    if unknown:
        raise ValueError(f"Unknown model settings: {', '.join(sorted(unknown))}.")
    values.update({k: v for k, v in overrides.items() if v is not None})
    if values["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"The optimizer must be one of {', '.join(OPTIMIZERS)}.")
    if not 0 <= values.get("dropout", 0) < 1:
        raise ValueError("Dropout is a fraction of units to switch off: between 0 and 0.95.")
    if values.get("learning_rate", 1e-3) <= 0:
        raise ValueError("The learning rate must be above 0.")
    return values


def model_spec(preset: str, num_classes: int, **hparams: Any) -> list[LayerSpec]:
    """The layers of a preset with the given settings (see MODEL_PRESETS for the defaults)."""
    h = resolved_hparams(preset, hparams)
    f, k = h.get("filters"), h.get("kernel_size")
    if preset == "mnist_cnn":
        layers = [
            LayerSpec("conv", "conv_1", {"filters": f, "kernel_size": k, "padding": "same",
                                         "activation": "relu"}),
            LayerSpec("pool", "pool_1", {"pool_size": 2}),
            LayerSpec("conv", "conv_2", {"filters": 2 * f, "kernel_size": k, "padding": "same",
                                         "activation": "relu"}),
            LayerSpec("pool", "pool_2", {"pool_size": 2}),
            LayerSpec("flatten", "flatten"),
            LayerSpec("dense", "dense_1", {"units": h["dense_units"], "activation": "relu"}),
            LayerSpec("dropout", "dropout_1", {"rate": h["dropout"]}),
        ]
    elif preset == "cifar_dcnn":
        layers = []
        for block in (1, 2):
            for i in (1, 2):
                layers.append(LayerSpec("conv", f"conv_{block}_{i}",
                                        {"filters": f, "kernel_size": k, "padding": "same",
                                         "activation": "relu"}))
            layers.append(LayerSpec("pool", f"pool_{block}", {"pool_size": 2}))
            layers.append(LayerSpec("dropout", f"dropout_{block}", {"rate": 0.25}))
        layers += [
            LayerSpec("flatten", "flatten"),
            LayerSpec("dense", "dense_1", {"units": h["dense_units"], "activation": "relu"}),
            LayerSpec("dropout", "dropout_3", {"rate": h["dropout"]}),
        ]
    else:
        layers = [
            LayerSpec("flatten", "flatten"),
            LayerSpec("dense", "dense_1", {"units": h["dense_units"], "activation": "relu"}),
        ]
    layers.append(LayerSpec("dense", "output", {"units": num_classes, "activation": "softmax"}))
    return layers


def network_hparams(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Optimizer settings of a network given as layers: optimizer ("adam"), learning_rate
    (1e-3) and, for SGD, momentum (0.9); everything else is in its layers."""
    unknown = set(overrides) - set(NETWORK_HPARAMS)
    if unknown:
        raise ValueError(f"A network given as layers takes only the settings "
                         f"{', '.join(NETWORK_HPARAMS)}, not {', '.join(sorted(unknown))}: its "
                         "layers hold the rest.")
    values = {"optimizer": "adam", "learning_rate": 1e-3, "momentum": 0.9}
    values.update({k: v for k, v in overrides.items() if v is not None})
    if values["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"The optimizer must be one of {', '.join(OPTIMIZERS)}.")
    if not _is_number(values["learning_rate"]) or values["learning_rate"] <= 0:
        raise ValueError("The learning rate must be above 0.")
    if not _is_number(values["momentum"]) or not 0 <= values["momentum"] < 1:
        raise ValueError("The momentum must be at least 0 and below 1.")
    return values


def model_title(preset_or_layers: str | Sequence[LayerSpec]) -> str:
    """What the pages call a model: a preset's title, or "Your network" for a list of layers."""
    if not isinstance(preset_or_layers, str):
        return CUSTOM_TITLE
    preset = MODEL_PRESETS.get(preset_or_layers)
    return preset.title if preset is not None else preset_or_layers


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    """A whole number of at least 1; 16.0 from a slider counts, True does not."""
    return _is_number(value) and math.isfinite(value) and int(value) == value and value >= 1


def _side_or_pair(layer: LayerSpec, key: str, value: Any) -> int | tuple[int, int]:
    """k or (kh, kw), as Keras takes kernel_size, pool_size and strides, in Python ints
    (numpy's would print as np.int64(3) in generated code)."""
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(map(_is_whole, value)):
        return int(value[0]), int(value[1])
    if _is_whole(value):
        return int(value)
    raise ValueError(f"{layer.name}: {key} must be a whole number of at least 1 or a pair of "
                     f"them, such as 3 or (3, 3), not {value!r}.")


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def layer_settings(layer: LayerSpec) -> dict[str, Any]:
    """Every param of one layer, checked, with Keras' defaults for the missing ones.

    Whole numbers come back as Python ints (sizes as k or (kh, kw)), the dropout rate as a
    float. Raises ValueError, one sentence naming the layer, for an unknown kind or an
    unknown, missing or invalid param.
    """
    name, kind = layer.name, layer.kind
    if not isinstance(kind, str) or kind not in LAYER_KINDS:
        raise ValueError(f"{name}: there is no layer kind {kind!r}; choose one of "
                         f"{', '.join(LAYER_KINDS)}.")
    if not isinstance(layer.params, Mapping):
        raise ValueError(f"{name}: the layer's params must be a dict of settings, "
                         f"not a {type(layer.params).__name__}.")
    allowed = [*REQUIRED_PARAMS[kind], *LAYER_DEFAULTS[kind]]
    for key in layer.params:
        if key not in allowed:
            takes = f"it takes {', '.join(allowed)}" if allowed else "it takes none"
            raise ValueError(f"{name}: a {kind} layer has no setting {key!r}; {takes}.")
    for key in REQUIRED_PARAMS[kind]:
        if layer.params.get(key) is None:
            raise ValueError(f"{name}: a {kind} layer needs {key}, such as "
                             f"{key}={_EXAMPLES[key]}.")
    values = {**LAYER_DEFAULTS[kind],
              **{k: v for k, v in layer.params.items() if v is not None}}
    for key, value in values.items():
        if key in ("filters", "units"):
            if not _is_whole(value):
                raise ValueError(f"{name}: {key} must be a whole number of at least 1, "
                                 f"not {value!r}.")
            values[key] = int(value)
        elif key in ("kernel_size", "pool_size") or (key == "strides" and value is not None):
            values[key] = _side_or_pair(layer, key, value)
        elif key == "padding" and value not in PADDINGS:
            raise ValueError(f'{name}: padding must be "valid" or "same", not {value!r}.')
        elif key == "activation" and value is not None and value not in ACTIVATIONS:
            raise ValueError(f"{name}: there is no activation {value!r} here; choose one of "
                             f"{', '.join(ACTIVATIONS)}, or none.")
        elif key == "operation" and value not in POOL_OPERATIONS:
            raise ValueError(f'{name}: operation must be "max" or "average", not {value!r}.')
        elif key == "rate":
            if not _is_number(value) or not 0 <= value < 1:
                raise ValueError(f"{name}: the dropout rate is the share of inputs switched "
                                 f"off, at least 0 and below 1, not {value!r}.")
            values[key] = float(value)
    return values


def check_input_shape(input_shape: Sequence[int]) -> tuple[int, ...]:
    """(H, W, C) or (N,) in Python ints; ValueError otherwise."""
    shape = tuple(input_shape) if isinstance(input_shape, (list, tuple)) else ()
    if len(shape) not in (1, 3) or not all(map(_is_whole, shape)):
        raise ValueError("The input shape must be (height, width, channels) for images or "
                         f"(features,) for a flat row of numbers, not {input_shape!r}.")
    return tuple(int(v) for v in shape)


def check_stack(layers: Sequence[LayerSpec]) -> list[LayerSpec]:
    """The layers as a list, after the checks that need no shapes: not empty, at most
    MAX_LAYERS, every one a LayerSpec with a valid name of its own."""
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise ValueError("A network is a list of layers, each a LayerSpec(kind, name, params).")
    layers = list(layers)
    if not layers:
        raise ValueError("The network has no layers; it needs at least its output layer, a "
                         "dense layer with one unit per class.")
    seen: set[str] = set()
    for position, layer in enumerate(layers, start=1):
        if not isinstance(layer, LayerSpec):
            raise ValueError(f"Layer {position} is a {type(layer).__name__}, not a "
                             "LayerSpec(kind, name, params).")
        name = layer.name
        if position == MAX_LAYERS + 1:
            raise ValueError(f"{name}: a network may have at most {MAX_LAYERS} layers and this "
                             f"one has {len(layers)}; remove layers from {name} on.")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"Layer {position}: its name {name!r} must be 1 to 60 letters, "
                             "digits, underscores, dots or hyphens.")
        if name == INPUT_NAME:
            raise ValueError(f"{name}: that name belongs to the network's input; call the "
                             "layer something else.")
        if name in seen:
            raise ValueError(f"{name}: two layers are called {name}; give each layer a name "
                             "of its own.")
        seen.add(name)
    return layers


def _needs_image(layer: LayerSpec, what: str, shape: tuple[int, ...]) -> ValueError:
    return ValueError(f"{layer.name}: a {what} needs an image (height x width x channels), but "
                      f"a flat row of {shape[0]:,} numbers reaches it; convolution and pooling "
                      "layers go before flatten, global_pool and dense layers.")


def _window_output(layer: LayerSpec, shape: tuple[int, ...], window: tuple[int, int],
                   strides: tuple[int, int], padding: str, what: str) -> tuple[int, int]:
    """(H, W) after sliding a window; a sentence when a "valid" window does not fit."""
    h, w = (output_size(n, k, padding, s) for n, k, s in zip(shape[:2], window, strides,
                                                             strict=True))
    if h == 0 or w == 0:
        raise ValueError(f"{layer.name}: a {window[0]}x{window[1]} {what} does not fit the "
                         f"{shape[0]}x{shape[1]} image that reaches it; use padding \"same\", "
                         f"a smaller {what} or fewer pooling layers before it.")
    return h, w


def _layer_output(layer: LayerSpec, s: dict[str, Any],
                  shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """(output shape, parameters) of one checked layer fed `shape` (no batch axis)."""
    kind = layer.kind
    if kind == "conv":
        if len(shape) != 3:
            raise _needs_image(layer, "convolution", shape)
        kernel = _pair(s["kernel_size"])
        h, w = _window_output(layer, shape, kernel, _pair(s["strides"]), s["padding"], "kernel")
        return (h, w, s["filters"]), conv_parameters(kernel, shape[2], s["filters"])
    if kind == "pool":
        if len(shape) != 3:
            raise _needs_image(layer, "pooling layer", shape)
        window = _pair(s["pool_size"])
        strides = window if s["strides"] is None else _pair(s["strides"])
        h, w = _window_output(layer, shape, window, strides, s["padding"], "pooling window")
        return (h, w, shape[2]), 0
    if kind == "global_pool":
        if len(shape) != 3:
            raise _needs_image(layer, "global pooling layer", shape)
        return (shape[2],), 0
    if kind == "batchnorm":
        # Only gamma and beta are learned, but the moving mean and variance are weights too,
        # and Keras' count_params (what the learner compares with) counts them.
        return shape, 4 * shape[-1]
    if kind == "flatten":
        return (math.prod(shape),), 0
    if kind == "dense":
        if len(shape) != 1:
            raise ValueError(
                f"{layer.name}: a dense layer needs a flat row of numbers, but "
                f"{shape_text(shape)} feature maps reach it; put a flatten or "
                "global_pool layer before it (Keras would apply it to every pixel on its own).")
        return (s["units"],), shape[0] * s["units"] + s["units"]
    return shape, 0  # dropout


def layer_table(layers: Sequence[LayerSpec], input_shape: tuple[int, ...]) -> list[LayerRow]:
    """Output shape and parameter count of every layer, computed by hand (no Keras).

    input_shape: (H, W, C) or (N,), no batch axis. Conv: kh*kw*c_in*filters + filters;
    dense: n_in*units + units; batchnorm: 4 per channel; the others learn nothing. Sizes
    follow TensorFlow ("valid": floor((n - k) / s) + 1, "same": ceil(n / s)). Raises
    ValueError, one sentence naming the layer, for a stack Keras would refuse or that this
    app refuses (see the module docstring).
    """
    layers = check_stack(layers)
    shape = check_input_shape(input_shape)
    rows = []
    for layer in layers:
        shape, params = _layer_output(layer, layer_settings(layer), shape)
        rows.append(LayerRow(layer.name, layer.kind, shape, params))
    return rows


def count_parameters(layers: Sequence[LayerSpec], input_shape: tuple[int, ...]) -> int:
    """Every number Keras' count_params counts (batchnorm's moving statistics included)."""
    return sum(row.parameters for row in layer_table(layers, input_shape))


def check_output_layer(layers: Sequence[LayerSpec], num_classes: int) -> None:
    """A network given as layers ends in its output: a dense layer of one unit per class."""
    last = check_stack(layers)[-1]
    if last.kind != "dense":
        raise ValueError(f"{last.name}: the last layer must be the output, a dense layer with "
                         f"one unit per class, not a {last.kind} layer.")
    units = layer_settings(last)["units"]
    if units != num_classes:
        raise ValueError(f"{last.name}: the last layer has {units} units but the data has "
                         f"{num_classes} classes; give it {num_classes} units, one per class.")


def network_layers(preset_or_layers: str | Sequence[LayerSpec], num_classes: int,
                   **hparams: Any) -> tuple[list[LayerSpec], dict[str, Any]]:
    """(layers, optimizer settings) of a preset or of a network given as layers.

    A preset takes its settings from hparams (see MODEL_PRESETS). A list is the whole
    network, which must end in a dense layer of num_classes units; its hparams may only be
    NETWORK_HPARAMS.
    """
    if isinstance(preset_or_layers, str):
        return (model_spec(preset_or_layers, num_classes, **hparams),
                resolved_hparams(preset_or_layers, hparams))
    settings = network_hparams(hparams)
    layers = check_stack(preset_or_layers)
    check_output_layer(layers, num_classes)
    return layers, settings


def dense_parameters(input_shape: tuple[int, ...], units: int) -> int:
    """Weights and biases of a dense layer fed the flattened image (64x64x3 -> 128: 1,572,992)."""
    return math.prod(input_shape) * units + units


def pretrained_path(name: str):
    return MODELS_DIR / f"{name}.keras"
