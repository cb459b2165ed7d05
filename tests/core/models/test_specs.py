"""Model presets and networks given as layers: the hand-computed layer table agrees with Keras,
layers are named, and an invalid stack gets one sentence naming the layer at fault."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from cnn_core.jobs.builder import build_model
from cnn_core.models.specs import (
    CUSTOM_TITLE,
    LAYER_DEFAULTS,
    MODEL_PRESETS,
    REQUIRED_PARAMS,
    LayerSpec,
    check_output_layer,
    count_parameters,
    dense_parameters,
    layer_settings,
    layer_table,
    model_spec,
    model_title,
    network_hparams,
)
from tests.core.models.network_strategies import valid_networks


def test_mnist_cnn_has_the_textbook_parameter_count():
    layers = model_spec("mnist_cnn", 10)
    assert count_parameters(layers, (28, 28, 1)) == 215_370
    shapes = {row.name: row.output_shape for row in layer_table(layers, (28, 28, 1))}
    assert shapes["conv_1"] == (28, 28, 16) and shapes["pool_2"] == (7, 7, 32)


def test_dense_comparison_from_the_teaching_material():
    assert dense_parameters((64, 64, 3), 128) == 1_572_992


@pytest.mark.parametrize("preset,shape,hparams", [
    ("mnist_cnn", (28, 28, 1), {}),
    ("mnist_cnn", (32, 32, 3), {"filters": 8, "kernel_size": 3, "dense_units": 32}),
    ("cifar_dcnn", (32, 32, 3), {}),
    ("cifar_dcnn", (28, 28, 1), {"filters": 16, "dropout": 0.3}),
    ("dense_baseline", (28, 28, 1), {"dense_units": 128}),
    ("dense_baseline", (32, 32, 3), {}),
])
def test_layer_table_matches_keras(preset, shape, hparams):
    model = build_model(preset, shape, 10, **hparams)
    table = layer_table(model_spec(preset, 10, **hparams), shape)
    assert [row.name for row in table] == [layer.name for layer in model.layers]
    for row, layer in zip(table, model.layers, strict=True):
        assert row.parameters == layer.count_params(), row.name
        assert row.output_shape == tuple(layer.output.shape[1:]), row.name
    assert model.count_params() == sum(row.parameters for row in table)


def test_cifar_dcnn_structure():
    kinds = [layer.kind for layer in model_spec("cifar_dcnn", 10)]
    assert kinds == ["conv", "conv", "pool", "dropout", "conv", "conv", "pool", "dropout",
                     "flatten", "dense", "dropout", "dense"]


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "adadelta"])
def test_optimizers(optimizer):
    model = build_model("dense_baseline", (28, 28, 1), 10, optimizer=optimizer,
                        learning_rate=0.01)
    assert type(model.optimizer).__name__.lower() == optimizer


@pytest.mark.parametrize("preset,hparams,message", [
    ("resnet", {}, "no model preset"),
    ("mnist_cnn", {"optimizer": "rmsprop"}, "optimizer"),
    ("mnist_cnn", {"dropout": 1.5}, "Dropout"),
    ("mnist_cnn", {"learning_rate": 0}, "learning rate"),
    ("mnist_cnn", {"colour": "red"}, "Unknown"),
])
def test_bad_settings_raise_plain_value_errors(preset, hparams, message):
    with pytest.raises(ValueError, match=message):
        model_spec(preset, 10, **hparams)


def test_every_preset_has_a_caption():
    for preset in MODEL_PRESETS.values():
        assert preset.caption and preset.title


# -- networks given as layers -------------------------------------------------------------------

def conv(name, **params):
    return LayerSpec("conv", name, {"filters": 4, "kernel_size": 3, **params})


def dense(name, units=10, **params):
    return LayerSpec("dense", name, {"units": units, "activation": "softmax", **params})


FLAT = LayerSpec("flatten", "flatten")


@pytest.fixture(scope="module")
def keras():
    """Imported before Hypothesis runs: TensorFlow's import raises the recursion limit, which
    Hypothesis warns about when it happens inside an example."""
    import keras

    return keras


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(network=valid_networks())
def test_random_valid_networks_match_keras(keras, network):
    layers, shape, classes = network
    keras.backend.clear_session()  # 25 models in one session would slow each later build
    model = build_model(layers, shape, classes)
    table = layer_table(layers, shape)
    assert [row.name for row in table] == [layer.name for layer in model.layers]
    for row, layer in zip(table, model.layers, strict=True):
        assert row.output_shape == tuple(layer.output.shape[1:]), row.name
        assert row.parameters == layer.count_params(), row.name
    assert count_parameters(layers, shape) == model.count_params()


def test_shapes_and_counts_by_hand():
    # 9x9x2: a 3x5 kernel, strides (2, 1), "valid": (9-3)//2+1 = 4 rows, (9-5)//1+1 = 5 cols.
    layers = [conv("c", kernel_size=(3, 5), strides=(2, 1), filters=6),
              LayerSpec("batchnorm", "bn"),
              LayerSpec("pool", "p", {"pool_size": (2, 3), "padding": "same"}),
              LayerSpec("global_pool", "g", {"operation": "max"}),
              dense("out", 3)]
    rows = layer_table(layers, (9, 9, 2))
    assert [r.output_shape for r in rows] == [(4, 5, 6), (4, 5, 6), (2, 2, 6), (6,), (3,)]
    # conv 3*5*2*6+6; batchnorm gamma, beta, moving mean and variance per channel; 6*3+3.
    assert [r.parameters for r in rows] == [186, 24, 0, 0, 21]


def test_a_dense_net_on_a_flat_row_such_as_iris():
    layers = [dense("hidden", 8, activation="relu"), FLAT, dense("out", 3)]
    rows = layer_table(layers, (4,))
    # flatten on an already flat row is allowed and changes nothing
    assert [r.output_shape for r in rows] == [(8,), (8,), (3,)]
    assert count_parameters(layers, (4,)) == (4 * 8 + 8) + (8 * 3 + 3)


def test_missing_params_take_keras_defaults():
    rows = layer_table([conv("c"), LayerSpec("pool", "p"), FLAT, dense("out")], (10, 10, 1))
    # Conv2D: strides 1, "valid" (10 -> 8); MaxPooling2D: 2x2, strides 2 (8 -> 4).
    assert [r.output_shape for r in rows[:2]] == [(8, 8, 4), (4, 4, 4)]


def test_presets_are_written_with_keras_argument_names():
    for preset in MODEL_PRESETS:
        for layer in model_spec(preset, 10):
            assert set(layer.params) <= set(REQUIRED_PARAMS[layer.kind]) | set(
                LAYER_DEFAULTS[layer.kind]), layer
            if layer.kind == "conv":
                assert layer.params["activation"] == "relu"


TOO_MANY = [conv(f"conv_{i}", padding="same") for i in range(1, 200)] + [FLAT, dense("out")]


@pytest.mark.parametrize("layers,shape,name,words", [
    ([conv("conv_1"), conv("conv_2"), conv("conv_3"), FLAT, dense("out")], (6, 6, 1),
     "conv_3", "a 3x3 kernel does not fit the 2x2 image"),
    ([LayerSpec("pool", "pool_1", {"pool_size": 4}), LayerSpec("pool", "pool_2",
                                                             {"pool_size": 4}), FLAT,
      dense("out")], (8, 8, 1), "pool_2", "4x4 pooling window does not fit the 2x2"),
    ([conv("conv_1", kernel_size=(1, 5)), FLAT, dense("out")], (8, 4, 1), "conv_1",
     "1x5 kernel does not fit the 8x4"),
    ([conv("conv_1"), dense("out")], (4,), "conv_1", "flat row of 4 numbers"),
    ([FLAT, LayerSpec("pool", "pool_1"), dense("out")], (8, 8, 1), "pool_1", "flat row"),
    ([FLAT, LayerSpec("global_pool", "gap"), dense("out")], (8, 8, 1), "gap", "flat row"),
    ([conv("conv_1"), dense("out")], (8, 8, 1), "out", "flatten or global_pool"),
    ([LayerSpec("lstm", "rnn"), dense("out")], (4,), "rnn", "no layer kind 'lstm'"),
    ([LayerSpec("conv", "c", {"filters": 4}), FLAT, dense("out")], (8, 8, 1), "c",
     "needs kernel_size"),
    ([LayerSpec("dense", "out")], (4,), "out", "needs units"),
    ([LayerSpec("dropout", "d"), dense("out")], (4,), "d", "needs rate"),
    ([conv("c", filters=0), FLAT, dense("out")], (8, 8, 1), "c", "filters must be a whole"),
    ([conv("c", filters=2.5), FLAT, dense("out")], (8, 8, 1), "c", "filters must be a whole"),
    ([conv("c", filters=True), FLAT, dense("out")], (8, 8, 1), "c", "filters must be a whole"),
    ([dense("out", -3)], (4,), "out", "units must be a whole"),
    ([conv("c", kernel_size=0), FLAT, dense("out")], (8, 8, 1), "c", "kernel_size must"),
    ([conv("c", kernel_size=(3,)), FLAT, dense("out")], (8, 8, 1), "c", "kernel_size must"),
    ([conv("c", strides=0), FLAT, dense("out")], (8, 8, 1), "c", "strides must"),
    ([LayerSpec("dropout", "d", {"rate": 1.0}), dense("out")], (4,), "d", "below 1"),
    ([LayerSpec("dropout", "d", {"rate": -0.1}), dense("out")], (4,), "d", "at least 0"),
    ([dense("out", activation="banana")], (4,), "out", "no activation 'banana'"),
    ([conv("c", padding="full"), FLAT, dense("out")], (8, 8, 1), "c", "padding must be"),
    ([LayerSpec("pool", "p", {"operation": "median"}), FLAT, dense("out")], (8, 8, 1), "p",
     "operation must be"),
    # The old preset name: silently ignoring it would pool with the default size.
    ([LayerSpec("pool", "p", {"size": 3}), FLAT, dense("out")], (8, 8, 1), "p",
     "no setting 'size'"),
    ([LayerSpec("flatten", "f", {"units": 3}), dense("out")], (4,), "f", "takes none"),
    ([conv("twin", padding="same"), conv("twin", padding="same"), FLAT, dense("out")],
     (8, 8, 1), "twin", "two layers are called twin"),
    ([LayerSpec("flatten", "image"), dense("out")], (4,), "image", "belongs to the network's"),
    (TOO_MANY, (8, 8, 1), "conv_41", "at most 40 layers and this one has 201"),
])
def test_invalid_stacks_raise_one_sentence_naming_the_layer(layers, shape, name, words):
    with pytest.raises(ValueError) as caught:
        layer_table(layers, shape)
    message = str(caught.value)
    assert message.startswith(f"{name}: ") and words in message, message
    assert message.endswith(".") and ". " not in message and "\n" not in message


@pytest.mark.parametrize("layers,shape,words", [
    ([], (4,), "no layers"),
    ([{"kind": "dense"}], (4,), "Layer 1 is a dict"),
    ([LayerSpec("dense", "two words", {"units": 3})], (4,), "Layer 1: its name"),
    ([dense("out")], (28, 28), "input shape"),
    ([dense("out")], (0,), "input shape"),
])
def test_stacks_without_a_layer_to_name_still_get_one_sentence(layers, shape, words):
    with pytest.raises(ValueError, match=words) as caught:
        layer_table(layers, shape)
    assert str(caught.value).endswith(".") and ". " not in str(caught.value)


def test_whole_floats_and_numpy_numbers_are_read_as_python_ints():
    import numpy as np

    settings = layer_settings(conv("c", filters=np.int64(8), kernel_size=[3, 3.0]))
    assert settings["filters"] == 8 and type(settings["filters"]) is int
    assert settings["kernel_size"] == (3, 3) and all(type(v) is int
                                                     for v in settings["kernel_size"])


def test_check_output_layer():
    check_output_layer([FLAT, dense("out", 10)], 10)
    with pytest.raises(ValueError, match="out: the last layer has 5 units but the data has 10"):
        check_output_layer([FLAT, dense("out", 5)], 10)
    with pytest.raises(ValueError, match="drop: the last layer must be the output"):
        check_output_layer([dense("out", 10), LayerSpec("dropout", "drop", {"rate": 0.1})], 10)


def test_network_hparams_take_only_optimizer_settings():
    assert network_hparams({}) == {"optimizer": "adam", "learning_rate": 1e-3, "momentum": 0.9}
    assert network_hparams({"optimizer": "sgd", "learning_rate": 0.1})["optimizer"] == "sgd"
    with pytest.raises(ValueError, match="dense_units"):
        network_hparams({"dense_units": 32})
    with pytest.raises(ValueError, match="learning rate"):
        network_hparams({"learning_rate": 0})


def test_model_titles():
    assert model_title("mnist_cnn") == "MNIST CNN"
    assert model_title((FLAT, dense("out"))) == CUSTOM_TITLE == "Your network"


def test_a_layer_s_output_reads_with_separators_and_open_sizes():
    from cnn_core.models.specs import shape_text

    assert shape_text((7, 7, 32)) == "7 x 7 x 32"
    assert shape_text((1568,)) == "1,568"
    assert shape_text((None, None, 16)) == "any x any x 16"
