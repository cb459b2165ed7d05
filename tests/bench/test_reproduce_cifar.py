"""bench/reproduce_cifar.py asks the worker for the material's CIFAR-10 recipe: checked on its
request and on the worker's data preparation (on a few made-up photos), without training."""

from __future__ import annotations

import importlib.util
import os
import pickle
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from cnn_core import config
from cnn_core.data.datasets import DATASETS, Dataset
from cnn_core.data.pixels import model_input_shape
from cnn_core.data.splits import validation_size
from cnn_core.jobs import worker
from cnn_core.models.specs import MODEL_PRESETS, count_parameters, model_spec
from ui.train_link import augmentation_default

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "reproduce_cifar.py"
AUGMENTATIONS = ("shift", "flip", "rotate", "zoom")


@pytest.fixture(scope="module")
def bench():
    """The script as a module, imported by path; the data folder and import path it sets for
    itself are put back, so the other tests see the environment they expect."""
    spec = importlib.util.spec_from_file_location("reproduce_cifar", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ), mock.patch.object(sys, "path", list(sys.path)):
        spec.loader.exec_module(module)
    return module


def _ticked(train_config) -> set[str]:
    """The augmentations a TrainConfig turns on, by the Train page's names."""
    on = {"shift": train_config.shift, "flip": train_config.flip,
          "rotate": train_config.rotation, "zoom": train_config.zoom}
    return {name for name, value in on.items() if value}


@pytest.mark.parametrize("device", ["GPU", "CPU"])
@pytest.mark.parametrize("subset", [None, 4_500])
def test_recipe_request_is_the_recipe(bench, device, subset):
    epochs = bench.GPU_EPOCHS if device == "GPU" else bench.CPU_EPOCHS
    request = bench.recipe_request(epochs, subset, bench.BATCH_SIZE)
    assert isinstance(request, worker.TrainRequest)
    assert (request.dataset, request.preset) == ("cifar10", "cifar_dcnn")
    assert not request.custom and request.model_title == "CIFAR-10 DCNN"
    assert request.binary is None and request.n_train == subset
    train = request.config
    assert (train.epochs, train.batch_size, train.seed) == (epochs, 32, 0)
    # The recipe's augmentation, as the Train page ticks it for this data set and model.
    assert _ticked(train) == set(config.RECIPE_AUGMENTATION[("cifar10", "cifar_dcnn")])
    assert _ticked(train) == {name for name in AUGMENTATIONS
                              if augmentation_default(name, "cifar10", "cifar_dcnn")}
    assert train.shift == config.CIFAR_RECIPE_SHIFT == 0.1 and train.flip is True
    assert not train.invert_copies and not train.mixed_precision and train.augments
    assert request.validation_fraction == config.VALIDATION_FRACTION == 0.1
    # The checks the Train button makes before it queues a job.
    n_images = subset or DATASETS["cifar10"].n_train
    assert validation_size(n_images, request.validation_fraction) == n_images // 10
    # The preset's layers build for CIFAR-10 photos (counted without Keras).
    layers = model_spec(request.preset, 10, **request.hparams)
    assert count_parameters(layers, model_input_shape(DATASETS["cifar10"].image_shape)) > 0
    # A request travels to a worker process pickled.
    assert pickle.loads(pickle.dumps(request)) == request


def test_the_preset_is_the_material_dcnn(bench):
    defaults = MODEL_PRESETS[config.CIFAR_RECIPE_PRESET].defaults
    assert (defaults["optimizer"], defaults["learning_rate"]) == ("adam", 1e-3)
    assert (bench.GPU_EPOCHS, bench.BATCH_SIZE) == (100, 32)
    assert 1 <= bench.CPU_EPOCHS < bench.GPU_EPOCHS


def test_worker_prepares_the_recipe_data(bench, monkeypatch):
    """The worker's subset and validation split on 400 made-up CIFAR-sized photos."""
    rng = np.random.default_rng(0)
    fake = Dataset("cifar10", rng.integers(0, 256, (400, 32, 32, 3), dtype=np.uint8),
                   np.repeat(np.arange(10, dtype=np.uint8), 40),
                   rng.integers(0, 256, (50, 32, 32, 3), dtype=np.uint8),
                   np.repeat(np.arange(10, dtype=np.uint8), 5), list(config.CIFAR10_CLASSES))
    monkeypatch.setattr(worker, "_dataset_once", lambda name: fake)
    for subset, n_train, n_val in ((None, 360, 40), (200, 180, 20)):
        data = worker.prepare_data(bench.recipe_request(1, subset, bench.BATCH_SIZE))
        assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (n_train, n_val, 50)
        assert data.x_train.shape[1:] == (32, 32, 3) and data.num_classes == 10
        assert np.bincount(data.y_val, minlength=10).tolist() == [n_val // 10] * 10
        assert data.class_weight is None
