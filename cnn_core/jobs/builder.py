"""The Keras models built from the plain-data layers of `cnn_core.models.specs`.

The keras-io way: `keras.Sequential([keras.Input(shape), ...])` with every layer named.
Imports Keras inside each function: call these in a worker process, never in a page.
`keras_arguments` (pure) says which Keras class and arguments a layer becomes, for both
`keras_layer` and the generated code of `cnn_core.jobs.keras_code`, so the two cannot differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cnn_core.models.specs import (
    CUSTOM_MODEL_NAME,
    INPUT_NAME,
    LAYER_DEFAULTS,
    LayerSpec,
    check_input_shape,
    layer_settings,
    layer_table,
    network_layers,
    pretrained_path,
)

# The argument a keras-io example passes by position: Conv2D(32, ...), Dense(10, ...).
POSITIONAL = {"Conv2D": "filters", "Dense": "units", "Dropout": "rate"}


def keras_arguments(layer: LayerSpec) -> tuple[str, dict[str, Any]]:
    """(Keras class name in keras.layers, keyword arguments) of one layer; pure, no Keras.

    The arguments leave out those at Keras' default, except pool_size, which is always
    written. Raises the layer's ValueError for invalid params.
    """
    s = layer_settings(layer)
    kind = layer.kind
    optional: tuple[str, ...] = ()
    if kind == "conv":
        name, args = "Conv2D", {"filters": s["filters"], "kernel_size": s["kernel_size"]}
        optional = ("strides", "padding", "activation")
    elif kind == "pool":
        name = "MaxPooling2D" if s["operation"] == "max" else "AveragePooling2D"
        args = {"pool_size": s["pool_size"]}
        optional = ("strides", "padding")
    elif kind == "global_pool":
        name = "GlobalMaxPooling2D" if s["operation"] == "max" else "GlobalAveragePooling2D"
        args = {}
    elif kind == "batchnorm":
        name, args = "BatchNormalization", {}
    elif kind == "dropout":
        name, args = "Dropout", {"rate": s["rate"]}
    elif kind == "flatten":
        name, args = "Flatten", {}
    else:
        name, args = "Dense", {"units": s["units"]}
        optional = ("activation",)
    for key in optional:
        if s[key] != LAYER_DEFAULTS[kind][key]:
            args[key] = s[key]
    return name, args


def keras_layer(layer: LayerSpec, output: bool = False):
    """The Keras layer of one LayerSpec. The output layer (`output=True`, or any layer named
    "output") computes in float32, so its softmax stays exact under mixed precision."""
    from keras import layers

    name, args = keras_arguments(layer)
    float32 = name == "Dense" and (output or layer.name == "output")
    return getattr(layers, name)(**args, name=layer.name, dtype="float32" if float32 else None)


def make_optimizer(name: str, learning_rate: float, momentum: float = 0.9):
    import keras

    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)
    if name == "adadelta":
        return keras.optimizers.Adadelta(learning_rate=learning_rate)
    return keras.optimizers.Adam(learning_rate=learning_rate)


def build_model(preset_or_layers: str | Sequence[LayerSpec], input_shape: tuple[int, ...],
                num_classes: int, **hparams: Any):
    """A compiled Keras model for a preset or for a network given as layers. Imports Keras:
    call it in a worker, not a page.

    preset_or_layers: a name of MODEL_PRESETS (hparams: its settings), or the whole network
    as LayerSpecs, output layer included (hparams: optimizer, learning_rate, momentum only),
    whose last layer must be dense with num_classes units. input_shape: (H, W, C) of float32
    images in [0, 1], or (N,) numbers. Returns keras.Sequential compiled with sparse
    categorical cross-entropy and accuracy. Raises ValueError with one sentence, naming the
    layer, before Keras sees an invalid network.
    """
    import keras

    layers, h = network_layers(preset_or_layers, num_classes, **hparams)
    shape = check_input_shape(input_shape)
    layer_table(layers, shape)  # a sentence for an invalid stack instead of Keras' traceback
    last = len(layers) - 1
    name = preset_or_layers if isinstance(preset_or_layers, str) else CUSTOM_MODEL_NAME
    model = keras.Sequential([keras.Input(shape=shape, name=INPUT_NAME)]
                             + [keras_layer(layer, output=i == last)
                                for i, layer in enumerate(layers)],
                             name=name)
    model.compile(optimizer=make_optimizer(h["optimizer"], h["learning_rate"],
                                           h.get("momentum", 0.9)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


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
