"""A job for a network given as layers: the Train page's "Started with" line and the results'
title read its request without a preset name to look up (the builder itself is tested in
test_network_builder.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from cnn_core.jobs.training import TrainConfig
from cnn_core.jobs.worker import TrainRequest, TrainResult
from cnn_core.models.specs import LayerSpec
from ui.train_ui import report_from, request_summary, started_with

LAYERS = (LayerSpec("flatten", "flatten"),
          LayerSpec("dense", "digits", {"units": 10, "activation": "softmax"}))


def custom_request(**hparams) -> TrainRequest:
    return TrainRequest("mnist", LAYERS, hparams, TrainConfig(epochs=1, batch_size=32),
                        n_train=600)


def test_the_started_with_line_names_your_network():
    summary = request_summary(custom_request(optimizer="sgd", learning_rate=0.01))
    assert summary == ("Started with: MNIST · Your network (2 layers) · 600 images · 1 epoch, "
                       "batches of 32 · SGD with momentum 0.9, learning rate 0.01 · "
                       "no augmentation.")
    preset = TrainRequest("mnist", "dense_baseline", {}, TrainConfig(epochs=1, batch_size=32),
                          n_train=600)
    assert started_with(custom_request(), preset).endswith(
        " The settings above differ: Train uses them next time.")
    assert started_with(custom_request(), custom_request()) == request_summary(custom_request())


def test_the_report_of_a_custom_network_is_titled_your_network():
    result = TrainResult(
        model_path="m.keras", history={}, test_loss=0.5, test_accuracy=0.9,
        y_test=np.zeros(3, int), probabilities=np.full((3, 10), 0.1, np.float32),
        test_indices=np.arange(3), n_train=600, stopped=False, device="CPU",
        images_per_second=1.0, train_seconds=1.0, epochs_run=1.0, epochs=1)
    job = SimpleNamespace(request=custom_request(), result=result)
    data = SimpleNamespace(name="mnist", info=SimpleNamespace(title="MNIST"),
                           class_names=[str(i) for i in range(10)])
    assert report_from(job, data).title.startswith("Your network on MNIST (600 images")
