"""The Keras models built from the plain-data presets of `cnn_core.models.specs`.

The keras-io way: `keras.Sequential([keras.Input(shape), ...])` with every layer named.
Imports Keras inside each function: call these in a worker process, never in a page.
"""

from __future__ import annotations

from typing import Any

from cnn_core.models.specs import LayerSpec, model_spec, pretrained_path, resolved_hparams


def keras_layer(layer: LayerSpec):
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

    h = resolved_hparams(preset, hparams)
    layers = model_spec(preset, num_classes, **hparams)
    model = keras.Sequential([keras.Input(shape=tuple(input_shape), name="image")]
                             + [keras_layer(layer) for layer in layers],
                             name=preset)
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
