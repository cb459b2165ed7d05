"""Model presets as plain data and their layer table.

A model is first described as a list of `LayerSpec` (pure Python), so the page can show
the layer table, output shapes and parameter counts without importing TensorFlow in the
Streamlit server. `cnn_core.jobs.builder.build_model` turns the same description into a
compiled Keras model in a worker process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from cnn_core.config import MODELS_DIR
from cnn_core.maths.convolution import conv_parameters
from cnn_core.maths.windows import output_size

OPTIMIZERS = ("adam", "sgd", "adadelta")


@dataclass(frozen=True)
class LayerSpec:
    kind: str  # "conv", "pool", "flatten", "dense", "dropout"
    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerRow:
    """One line of the layer table: what the layer is, what comes out, what it learns."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    parameters: int


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
            LayerSpec("conv", "conv_1", {"filters": f, "kernel_size": k, "padding": "same"}),
            LayerSpec("pool", "pool_1", {"size": 2}),
            LayerSpec("conv", "conv_2", {"filters": 2 * f, "kernel_size": k, "padding": "same"}),
            LayerSpec("pool", "pool_2", {"size": 2}),
            LayerSpec("flatten", "flatten"),
            LayerSpec("dense", "dense_1", {"units": h["dense_units"], "activation": "relu"}),
            LayerSpec("dropout", "dropout_1", {"rate": h["dropout"]}),
        ]
    elif preset == "cifar_dcnn":
        layers = []
        for block in (1, 2):
            for i in (1, 2):
                layers.append(LayerSpec("conv", f"conv_{block}_{i}",
                                        {"filters": f, "kernel_size": k, "padding": "same"}))
            layers.append(LayerSpec("pool", f"pool_{block}", {"size": 2}))
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


def layer_table(layers: list[LayerSpec], input_shape: tuple[int, ...]) -> list[LayerRow]:
    """Output shape and parameter count of every layer, computed by hand (no Keras).

    input_shape: (H, W, C). Conv: k*k*c_in*filters + filters; dense: n_in*units + units.
    """
    shape = tuple(input_shape)
    rows = []
    for layer in layers:
        p = layer.params
        params = 0
        if layer.kind == "conv":
            k, c_in = p["kernel_size"], shape[2]
            shape = (output_size(shape[0], k, p["padding"]), output_size(shape[1], k, p["padding"]),
                     p["filters"])
            params = conv_parameters(k, c_in, p["filters"])
        elif layer.kind == "pool":
            # Keras' MaxPooling2D: stride = pool size, "valid" padding.
            shape = (output_size(shape[0], p["size"], "valid", p["size"]),
                     output_size(shape[1], p["size"], "valid", p["size"]), shape[2])
        elif layer.kind == "flatten":
            shape = (math.prod(shape),)
        elif layer.kind == "dense":
            params = shape[0] * p["units"] + p["units"]
            shape = (p["units"],)
        rows.append(LayerRow(layer.name, layer.kind, shape, params))
    return rows


def count_parameters(layers: list[LayerSpec], input_shape: tuple[int, ...]) -> int:
    return sum(row.parameters for row in layer_table(layers, input_shape))


def dense_parameters(input_shape: tuple[int, ...], units: int) -> int:
    """Weights and biases of a dense layer fed the flattened image (64x64x3 -> 128: 1,572,992)."""
    return math.prod(input_shape) * units + units


def pretrained_path(name: str):
    return MODELS_DIR / f"{name}.keras"
