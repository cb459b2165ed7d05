"""keras_code: the copyable source, run as it is, builds the very model build_model builds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from cnn_core.jobs.builder import build_model
from cnn_core.jobs.keras_code import keras_code, python_literal
from cnn_core.models.specs import LayerSpec, model_spec
from tests.core.models.network_strategies import valid_networks

MIXED = [
    LayerSpec("conv", "conv_a", {"filters": 4, "kernel_size": (3, 5), "strides": (2, 1),
                                 "padding": "same", "activation": "relu"}),
    LayerSpec("batchnorm", "norm"),
    LayerSpec("pool", "pool_a", {"pool_size": 2, "strides": 1, "operation": "average"}),
    LayerSpec("conv", "conv_b", {"filters": 6, "kernel_size": 3}),
    LayerSpec("global_pool", "gmp", {"operation": "max"}),
    LayerSpec("dropout", "drop", {"rate": 0.3}),
    LayerSpec("dense", "output", {"units": 10, "activation": "softmax"}),
]
IRIS = [LayerSpec("dense", "hidden", {"units": 8, "activation": "relu"}),
        LayerSpec("dense", "species", {"units": 3, "activation": "softmax"})]


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def run_code(code: str):
    namespace: dict = {}
    exec(compile(code, "<keras_code>", "exec"), namespace)
    return namespace["model"]


def assert_same_model(copied, built):
    assert copied.count_params() == built.count_params()
    assert [layer.name for layer in copied.layers] == [layer.name for layer in built.layers]
    for mine, theirs in zip(copied.layers, built.layers, strict=True):
        assert type(mine) is type(theirs)
        assert mine.output.shape == theirs.output.shape, mine.name
        assert mine.get_config() == theirs.get_config(), mine.name
    assert copied.loss == built.loss == "sparse_categorical_crossentropy"
    assert type(copied.optimizer) is type(built.optimizer)
    assert float(copied.optimizer.learning_rate) == pytest.approx(
        float(built.optimizer.learning_rate))


@pytest.mark.slow
@pytest.mark.parametrize("layers,shape,classes,optimizer,rate", [
    (model_spec("mnist_cnn", 10), (28, 28, 1), 10, "adam", 1e-3),
    (MIXED, (20, 20, 3), 10, "sgd", 0.01),
    (IRIS, (4,), 3, "adadelta", 1.0),
])
def test_the_code_builds_what_build_model_builds(keras, layers, shape, classes, optimizer,
                                                  rate):
    keras.backend.clear_session()
    code = keras_code(layers, shape, classes, optimizer=optimizer, learning_rate=rate)
    copied = run_code(code)
    built = build_model(layers, shape, classes, optimizer=optimizer, learning_rate=rate)
    assert_same_model(copied, built)
    assert copied.input_shape == (None, *shape)
    if optimizer == "sgd":
        assert copied.optimizer.momentum == built.optimizer.momentum == pytest.approx(0.9)


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(network=valid_networks(max_hidden=4))
def test_random_networks_copy_exactly(keras, network):
    layers, shape, classes = network
    keras.backend.clear_session()
    assert_same_model(run_code(keras_code(layers, shape, classes)),
                      build_model(layers, shape, classes))


def test_the_code_reads_like_keras_io():
    code = keras_code(MIXED, (20, 20, 3))
    assert "import keras\nfrom keras import layers\n" in code
    assert 'keras.Input(shape=(20, 20, 3), name="image")' in code
    assert ('layers.Conv2D(4, kernel_size=(3, 5), strides=(2, 1), padding="same", '
            'activation="relu", name="conv_a")') in code
    assert 'layers.Conv2D(6, kernel_size=3, name="conv_b")' in code  # defaults left out
    assert 'layers.AveragePooling2D(pool_size=2, strides=1, name="pool_a")' in code
    assert 'layers.Dropout(0.3, name="drop")' in code
    assert "keras.optimizers.Adam(learning_rate=0.001)" in code


def test_a_flat_input_is_a_one_tuple():
    assert "keras.Input(shape=(4,)," in keras_code(IRIS, (4,))
    assert python_literal((4,)) == "(4,)" and python_literal('say "hi"') == '"say \\"hi\\""'


def test_invalid_networks_get_the_layer_table_sentence():
    with pytest.raises(ValueError, match="hidden: a dense layer needs a flat row"):
        keras_code(IRIS, (8, 8, 1))
    with pytest.raises(ValueError, match="species: the last layer has 3 units"):
        keras_code(IRIS, (4,), num_classes=10)
    with pytest.raises(ValueError, match="optimizer"):
        keras_code(IRIS, (4,), optimizer="rmsprop")
