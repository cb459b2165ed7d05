"""build_model: presets unchanged by the move to Keras' argument names, networks given as
layers built whole, checked before Keras sees them, and their output layer kept in float32."""

from __future__ import annotations

import pytest

from cnn_core.jobs.builder import build_model, keras_arguments, keras_layer
from cnn_core.models.specs import LAYER_KINDS, LayerSpec

pytestmark = pytest.mark.slow

NETWORK = [
    LayerSpec("conv", "conv_a", {"filters": 4, "kernel_size": (3, 5), "strides": 2,
                                 "padding": "same", "activation": "relu"}),
    LayerSpec("batchnorm", "norm"),
    LayerSpec("pool", "pool_a", {"pool_size": 3, "strides": 1, "operation": "average"}),
    LayerSpec("dropout", "drop", {"rate": 0.2}),
    LayerSpec("global_pool", "gmp", {"operation": "max"}),
    LayerSpec("dense", "hidden", {"units": 12, "activation": "tanh"}),
    LayerSpec("dense", "classes", {"units": 10, "activation": "softmax"}),
]


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _old_preset(keras, preset: str, shape, f: int, k: int, units: int, dropout: float):
    """The presets as builder.py wrote them before their params took Keras' names."""
    from keras import layers

    def conv(name):
        return layers.Conv2D(f, k, padding="same", activation="relu", name=name)

    if preset == "mnist_cnn":
        body = [layers.Conv2D(f, k, padding="same", activation="relu", name="conv_1"),
                layers.MaxPooling2D(2, name="pool_1"),
                layers.Conv2D(2 * f, k, padding="same", activation="relu", name="conv_2"),
                layers.MaxPooling2D(2, name="pool_2"), layers.Flatten(name="flatten"),
                layers.Dense(units, activation="relu", name="dense_1"),
                layers.Dropout(dropout, name="dropout_1")]
    elif preset == "cifar_dcnn":
        body = []
        for block in (1, 2):
            body += [conv(f"conv_{block}_1"), conv(f"conv_{block}_2"),
                     layers.MaxPooling2D(2, name=f"pool_{block}"),
                     layers.Dropout(0.25, name=f"dropout_{block}")]
        body += [layers.Flatten(name="flatten"),
                 layers.Dense(units, activation="relu", name="dense_1"),
                 layers.Dropout(dropout, name="dropout_3")]
    else:
        body = [layers.Flatten(name="flatten"),
                layers.Dense(units, activation="relu", name="dense_1")]
    return keras.Sequential([keras.Input(shape=shape, name="image"), *body,
                             layers.Dense(10, activation="softmax", name="output",
                                          dtype="float32")])


@pytest.mark.parametrize("preset,shape,f,k,units,dropout", [
    ("mnist_cnn", (28, 28, 1), 16, 5, 128, 0.4),
    ("cifar_dcnn", (32, 32, 3), 32, 3, 256, 0.5),
    ("dense_baseline", (28, 28, 1), None, None, 16, None),
])
def test_presets_build_the_same_keras_layers_as_before(keras, preset, shape, f, k, units,
                                                       dropout):
    model = build_model(preset, shape, 10)
    old = _old_preset(keras, preset, shape, f, k, units, dropout)
    assert model.count_params() == old.count_params()
    for new_layer, old_layer in zip(model.layers, old.layers, strict=True):
        assert type(new_layer) is type(old_layer)
        assert new_layer.get_config() == old_layer.get_config(), new_layer.name
    if preset == "mnist_cnn":
        assert model.count_params() == 215_370


def test_a_list_is_the_whole_network(keras):
    model = build_model(NETWORK, (28, 28, 1), 10, optimizer="sgd", learning_rate=0.05,
                        momentum=0.5)
    assert [layer.name for layer in model.layers] == [layer.name for layer in NETWORK]
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "BatchNormalization", "AveragePooling2D", "Dropout", "GlobalMaxPooling2D",
        "Dense", "Dense"]
    conv = model.get_layer("conv_a").get_config()
    assert (conv["kernel_size"], conv["strides"], conv["padding"]) == ((3, 5), (2, 2), "same")
    pool = model.get_layer("pool_a").get_config()
    assert (pool["pool_size"], pool["strides"], pool["padding"]) == ((3, 3), (1, 1), "valid")
    assert model.output_shape == (None, 10) and model.loss == "sparse_categorical_crossentropy"
    assert type(model.optimizer).__name__ == "SGD"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)
    assert model.optimizer.momentum == pytest.approx(0.5)


def test_num_classes_must_match_the_output_layer():
    with pytest.raises(ValueError, match="classes: the last layer has 10 units but the data "
                                         "has 2 classes; give it 2 units"):
        build_model(NETWORK, (28, 28, 1), 2)
    with pytest.raises(ValueError, match="last_drop: the last layer must be the output"):
        build_model([*NETWORK, LayerSpec("dropout", "last_drop", {"rate": 0.1})], (28, 28, 1),
                    10)


def test_a_list_takes_no_preset_settings():
    with pytest.raises(ValueError, match="only the settings optimizer, learning_rate, "
                                         "momentum, not dense_units"):
        build_model(NETWORK, (28, 28, 1), 10, dense_units=64)


def test_dense_on_feature_maps_is_refused_though_keras_accepts_it(keras):
    stack = [LayerSpec("conv", "conv_1", {"filters": 4, "kernel_size": 3}),
             LayerSpec("dense", "out", {"units": 10, "activation": "softmax"})]
    per_pixel = keras.Sequential([keras.Input((8, 8, 1)), keras_layer(stack[0]),
                                  keras_layer(stack[1])])
    assert per_pixel.output_shape == (None, 6, 6, 10)  # Keras applies it pixel by pixel
    with pytest.raises(ValueError, match="out: a dense layer needs a flat row of numbers, but "
                                         "6 x 6 x 4 feature maps reach it"):
        build_model(stack, (8, 8, 1), 10)


def test_an_iris_sized_dense_net(keras):
    stack = [LayerSpec("dense", "hidden", {"units": 8, "activation": "relu"}),
             LayerSpec("dense", "species", {"units": 3, "activation": "softmax"})]
    model = build_model(stack, (4,), 3)
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3 and model.output_shape == (None, 3)


def test_the_output_layer_computes_in_float32_under_mixed_precision(keras):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(NETWORK, (16, 16, 1), 10)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    dtypes = {layer.name: layer.dtype_policy.compute_dtype for layer in model.layers}
    # The last dense layer, whatever its name: softmax in float16 rounds small classes to 0.
    assert dtypes["classes"] == "float32"
    assert dtypes["hidden"] == dtypes["conv_a"] == "float16"


def test_keras_layer_makes_every_kind():
    layers = {
        "conv": {"filters": 2, "kernel_size": 3}, "pool": {}, "batchnorm": {},
        "dropout": {"rate": 0.1}, "flatten": {}, "global_pool": {}, "dense": {"units": 2}}
    assert set(layers) == set(LAYER_KINDS)
    made = {kind: type(keras_layer(LayerSpec(kind, kind, params))).__name__
            for kind, params in layers.items()}
    assert made == {"conv": "Conv2D", "pool": "MaxPooling2D",
                    "batchnorm": "BatchNormalization", "dropout": "Dropout",
                    "flatten": "Flatten", "global_pool": "GlobalAveragePooling2D",
                    "dense": "Dense"}


def test_keras_arguments_leave_out_keras_defaults():
    name, args = keras_arguments(LayerSpec("conv", "c", {"filters": 8, "kernel_size": 3,
                                                         "strides": 1, "padding": "valid"}))
    assert (name, args) == ("Conv2D", {"filters": 8, "kernel_size": 3})
