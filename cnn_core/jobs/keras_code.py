"""A network of LayerSpecs written as Keras code a learner can copy and run on their own.

Pure: this module only writes text and never imports Keras. It lives in cnn_core.jobs
because the text it writes imports Keras, and only this subpackage may say so. The layers
and their arguments come from `cnn_core.jobs.builder.keras_arguments`, the very mapping
`build_model` uses, so the copied code builds the model the app trains.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cnn_core.jobs.builder import POSITIONAL, keras_arguments
from cnn_core.models.specs import (
    CUSTOM_MODEL_NAME,
    INPUT_NAME,
    LayerSpec,
    check_input_shape,
    check_output_layer,
    layer_table,
    network_hparams,
)

_OPTIMIZER_CLASSES = {"adam": "Adam", "sgd": "SGD", "adadelta": "Adadelta"}
INDENT = " " * 8


def python_literal(value: Any) -> str:
    """Python source for a setting: strings in double quotes as keras-io writes them,
    tuples with their comma (a 1-tuple too), numbers and None as repr writes them."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        items = ", ".join(python_literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    return repr(value)


def layer_code(layer: LayerSpec) -> str:
    """One layer as a call: `layers.Conv2D(16, kernel_size=5, activation="relu", name=...)`."""
    name, args = keras_arguments(layer)
    parts = []
    first = POSITIONAL.get(name)
    if first is not None:
        parts.append(python_literal(args.pop(first)))
    parts += [f"{key}={python_literal(value)}" for key, value in args.items()]
    parts.append(f"name={python_literal(layer.name)}")
    return f"layers.{name}({', '.join(parts)})"


def optimizer_code(optimizer: str, learning_rate: float, momentum: float = 0.9) -> str:
    """The optimizer as build_model makes it (SGD with its momentum)."""
    h = network_hparams({"optimizer": optimizer, "learning_rate": learning_rate,
                         "momentum": momentum})
    args = f"learning_rate={float(h['learning_rate'])!r}"
    if h["optimizer"] == "sgd":
        args += f", momentum={float(h['momentum'])!r}"
    return f"keras.optimizers.{_OPTIMIZER_CLASSES[h['optimizer']]}({args})"


def keras_code(layers: Sequence[LayerSpec], input_shape: tuple[int, ...],
               num_classes: int | None = None, optimizer: str = "adam",
               learning_rate: float = 1e-3, momentum: float = 0.9) -> str:
    """Python source that, run as it is, defines `model`: the network as keras.Sequential,
    keras.Input first and every layer named as in `layers`, compiled as build_model compiles
    it (the optimizer, sparse categorical cross-entropy, accuracy).

    input_shape: (H, W, C) or (N,). num_classes, when given, is checked against the last
    layer's units as build_model checks it. Raises the same one-sentence ValueError as
    layer_table for an invalid network.
    """
    shape = check_input_shape(input_shape)
    layer_table(layers, shape)
    if num_classes is not None:
        check_output_layer(layers, num_classes)
    compiled = optimizer_code(optimizer, learning_rate, momentum)
    lines = [
        "# Your network in Keras. Train it with model.fit(x_train, y_train, epochs=...) on",
        "# float32 inputs (images scaled to [0, 1]) and whole-number class labels.",
        "import keras",
        "from keras import layers",
        "",
        "model = keras.Sequential(",
        "    [",
        f"{INDENT}keras.Input(shape={python_literal(shape)}, "
        f"name={python_literal(INPUT_NAME)}),",
        *(f"{INDENT}{layer_code(layer)}," for layer in layers),
        "    ],",
        f"    name={python_literal(CUSTOM_MODEL_NAME)},",
        ")",
        "model.compile(",
        f"    optimizer={compiled},",
        '    loss="sparse_categorical_crossentropy",',
        '    metrics=["accuracy"],',
        ")",
        "",
    ]
    return "\n".join(lines)
