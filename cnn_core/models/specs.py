"""Model presets as plain data, their layer table, and the Keras models built from them.

A model is first described as a list of `LayerSpec` (pure Python), so the page can show
the layer table, output shapes and parameter counts without importing TensorFlow in the
Streamlit server. `build_model` turns the same description into a compiled Keras model,
the keras-io way: `keras.Sequential([keras.Input(shape), ...])` with every layer named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from cnn_core.config import MODELS_DIR
from cnn_core.maths.convolution import output_size

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
        "dense layer. Compare its accuracy and parameter count with the CNNs.",
        {"dense_units": 16, "optimizer": "adam", "learning_rate": 1e-3},
    ),
}


def _hparams(preset: str, overrides: dict[str, Any]) -> dict[str, Any]:
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
    h = _hparams(preset, hparams)
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
            params = k * k * c_in * p["filters"] + p["filters"]
        elif layer.kind == "pool":
            shape = (shape[0] // p["size"], shape[1] // p["size"], shape[2])
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


def _keras_layer(layer: LayerSpec):
    from keras import layers

    p = layer.params
    if layer.kind == "conv":
        return layers.Conv2D(p["filters"], p["kernel_size"], padding=p["padding"],
                             activation="relu", name=layer.name)
    if layer.kind == "pool":
        return layers.MaxPooling2D(p["size"], name=layer.name)
    if layer.kind == "flatten":
        return layers.Flatten(name=layer.name)
    if layer.kind == "dropout":
        return layers.Dropout(p["rate"], name=layer.name)
    # The output layer computes softmax in float32 even under mixed precision.
    return layers.Dense(p["units"], activation=p["activation"], name=layer.name,
                        dtype="float32" if layer.name == "output" else None)


def make_optimizer(name: str, learning_rate: float, momentum: float = 0.9):
    import keras

    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)
    if name == "adadelta":
        return keras.optimizers.Adadelta(learning_rate=learning_rate)
    return keras.optimizers.Adam(learning_rate=learning_rate)


def build_model(preset: str, input_shape: tuple[int, ...], num_classes: int, **hparams: Any):
    """A compiled Keras model for a preset. Imports Keras: call it in a worker, not a page.

    input_shape: (H, W, C) of float32 images in [0, 1]. Returns keras.Sequential compiled
    with sparse categorical cross-entropy and accuracy.
    """
    import keras

    h = _hparams(preset, hparams)
    layers = model_spec(preset, num_classes, **hparams)
    model = keras.Sequential([keras.Input(shape=tuple(input_shape), name="image")]
                             + [_keras_layer(layer) for layer in layers],
                             name=preset)
    model.compile(optimizer=make_optimizer(h["optimizer"], h["learning_rate"],
                                           h.get("momentum", 0.9)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def pretrained_path(name: str):
    return MODELS_DIR / f"{name}.keras"


def load_pretrained(name: str = "mnist_cnn"):
    """A model shipped in assets/models (trained by scripts/train_pretrained.py), compiled
    like `build_model` (Adam, sparse categorical cross-entropy, accuracy) so that `evaluate`
    works too; the files hold weights only, no optimizer state."""
    import keras

    path = pretrained_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"The shipped model {path.name} is missing; run "
                                "scripts/train_pretrained.py to create it.")
    model = keras.models.load_model(path)
    if not model.compiled:
        model.compile(optimizer=make_optimizer("adam", 1e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
