"""Model presets: the hand-computed layer table agrees with Keras, layers are named."""

from __future__ import annotations

import pytest

from cnn_core.jobs.builder import build_model
from cnn_core.models.specs import (
    MODEL_PRESETS,
    count_parameters,
    dense_parameters,
    layer_table,
    model_spec,
)


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
