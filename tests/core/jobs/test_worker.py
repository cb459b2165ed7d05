"""Training in a spawned worker process: results, stop, failures, binary tasks, no Keras here."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from cnn_core.jobs.job_queue import TRAINING_DONE
from cnn_core.jobs.training import TrainConfig
from cnn_core.jobs.worker import (
    BinaryTask,
    TrainingProcess,
    TrainRequest,
    evaluate_probabilities,
    prepare_data,
    run_job,
)
from cnn_core.models.specs import LayerSpec

pytestmark = pytest.mark.slow


def test_worker_trains_evaluates_and_saves(tmp_path):
    request = TrainRequest("mnist", "mnist_cnn", {"filters": 4, "dense_units": 32},
                           TrainConfig(epochs=1, batch_size=32), n_train=2_000,
                           validation_fraction=0.1)
    job = TrainingProcess(request, tmp_path).start()
    assert job.join(timeout=180), job.snapshot()
    assert job.error is None
    result = job.result
    assert (result.n_train, result.n_validation) == (1_800, 200) and not result.stopped
    assert (result.epochs_run, result.epochs) == (1.0, 1)
    assert result.probabilities.shape == (len(result.y_test), 10)
    assert result.test_accuracy > 0.5  # chance is 0.1; one short epoch of a tiny model
    assert (tmp_path / result.model_path.split("/")[-1]).is_file()
    assert result.device.startswith(("CPU", "GPU"))
    assert job.snapshot().status == "done" and not job.running


def test_stop_keeps_the_partial_model(tmp_path):
    request = TrainRequest("mnist", "dense_baseline", {}, TrainConfig(epochs=200, batch_size=32),
                           n_train=2_000)
    job = TrainingProcess(request, tmp_path).start()
    deadline = time.monotonic() + 120
    while job.snapshot().images_seen < 1_000 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.snapshot().status == "training"
    job.stop()
    assert job.join(timeout=30)
    assert job.error is None and job.result.stopped
    assert job.snapshot().status == "stopped"
    # The epochs actually run, counted from the images seen, not the epochs asked for.
    assert job.result.epochs == 200
    assert 1_000 / 2_000 <= job.result.epochs_run < 200
    assert job.result.test_accuracy > 0.5  # a partly trained model, still usable


def test_kill_is_a_hard_stop_and_reports_it(tmp_path):
    job = TrainingProcess(TrainRequest("mnist", "dense_baseline",
                                       config=TrainConfig(epochs=100)), tmp_path).start()
    time.sleep(1)
    job.kill()
    assert job.join(timeout=20)
    assert job.result is None and "stopped" in job.error


def test_bad_settings_come_back_as_a_message(tmp_path):
    job = TrainingProcess(TrainRequest("mnist", "mnist_cnn", {"dropout": 2.0}), tmp_path).start()
    assert job.join(timeout=120)
    assert job.result is None and "Dropout" in job.error
    assert job.snapshot().status == "failed"


def test_binary_task_data_is_imbalanced_on_both_splits():
    task = BinaryTask(positive_class=8, positive_fraction=0.05)
    data = prepare_data(TrainRequest("mnist", "mnist_cnn", binary=task))
    y, xt, yt, indices = data.y_train, data.x_test, data.y_test, data.test_indices
    assert data.num_classes == 2 and data.class_weight is None and len(data.y_val) == 0
    assert abs(y.mean() - 0.05) < 0.01 and abs(yt.mean() - 0.05) < 0.01
    from cnn_core.data.datasets import load_dataset

    full = load_dataset("mnist", download=False)
    np.testing.assert_array_equal(full.x_test[indices], xt)
    np.testing.assert_array_equal(full.y_test[indices] == 8, yt == 1)


@pytest.mark.parametrize("rebalance", ["class_weight", "oversample"])
def test_rebalancing(rebalance):
    task = BinaryTask(positive_class=8, positive_fraction=0.1, rebalance=rebalance)
    data = prepare_data(TrainRequest("mnist", "mnist_cnn", binary=task))
    y, weights = data.y_train, data.class_weight
    if rebalance == "class_weight":
        assert weights[1] / weights[0] == pytest.approx((1 - y.mean()) / y.mean())
    else:
        assert weights is None and y.mean() == pytest.approx(0.5, abs=0.001)


def test_server_side_modules_never_import_keras():
    code = (
        "import sys\n"
        "import cnn_core, cnn_core.jobs.worker, cnn_core.jobs.inference, cnn_core.jobs.training, "
        "cnn_core.models.specs, cnn_core.data.datasets, cnn_core.jobs.explain,"
        " cnn_core.models.reports\n"
        "import ui.train_ui, ui.results_ui, ui.services, ui.status, ui.home\n"
        "bad = [m for m in ('keras', 'tensorflow') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_one_evaluation_pass_gives_keras_loss_and_accuracy():
    import keras

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(200, 10)).astype(np.float32)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    probabilities[0] = np.eye(10)[3]  # a confident right answer: log(1) after clipping
    probabilities[1] = np.eye(10)[4]  # a confident wrong one: the clip keeps the loss finite
    labels = rng.integers(0, 10, size=200)
    labels[:2] = 3
    loss, accuracy = evaluate_probabilities(probabilities, labels)
    expected = keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
    assert loss == pytest.approx(float(expected), rel=1e-5)
    assert accuracy == pytest.approx(np.mean(probabilities.argmax(axis=1) == labels))


def test_validation_is_held_out_of_the_chosen_training_images():
    from cnn_core.data.datasets import load_dataset, subsample

    request = TrainRequest("mnist", "mnist_cnn", config=TrainConfig(seed=3), n_train=2_000,
                           validation_fraction=0.1)
    data = prepare_data(request)
    full = load_dataset("mnist", download=False)
    x_sub, y_sub = subsample(full.x_train, full.y_train, 2_000, seed=3)
    assert (len(data.y_train), len(data.y_val)) == (1_800, 200)
    train, held = {x.tobytes() for x in data.x_train}, {x.tobytes() for x in data.x_val}
    assert not train & held and train | held == {x.tobytes() for x in x_sub}
    shares = np.bincount(y_sub, minlength=10) / len(y_sub)
    assert np.all(np.abs(np.bincount(data.y_val, minlength=10) - 200 * shares) <= 1)
    np.testing.assert_array_equal(data.y_test, full.y_test)  # the test split is untouched


def test_history_validates_on_held_out_images_and_tests_once_with_progress(tmp_path):
    """In this process: the history's val_accuracy is the accuracy on the validation
    images, the result's test accuracy that on the test images, and the test pass reports
    progress (the bar no longer sits at "time left: 0 s"). The validation pass's progress is
    checked on the recorder in test_training.py: snapshots here are sampled every
    SEND_EVERY_S, and a fast machine validates 200 images between two samples."""
    import threading

    import keras

    from cnn_core.data.pixels import to_model_input

    request = TrainRequest("mnist", "dense_baseline", {"dense_units": 32},
                           TrainConfig(epochs=2, batch_size=64), n_train=1_000,
                           validation_fraction=0.2)
    messages = []
    path = str(tmp_path / "model.keras")
    assert run_job(request, path, lambda kind, payload: messages.append((kind, payload)),
                   threading.Event()) is None
    result = next(p for k, p in messages if k == "result")
    data = prepare_data(request)
    model = keras.models.load_model(path)
    on_val = model.predict(to_model_input(data.x_val), verbose=0).argmax(axis=1)
    assert result.history["val_accuracy"][-1] == pytest.approx(np.mean(on_val == data.y_val),
                                                               abs=1e-6)
    _, test_accuracy = evaluate_probabilities(result.probabilities, data.y_test)
    assert result.test_accuracy == test_accuracy and len(result.y_test) == len(data.y_test)
    statuses = [p for k, p in messages if k == "progress"]
    evaluating = [p for p in statuses if p.status == "evaluating"]
    assert evaluating and {p.check_total for p in evaluating} == {len(data.y_test)}
    assert all(p.epoch == 2 and p.images_seen == p.images_total for p in evaluating)
    # The pool frees the job's slot on this message: after the last batch, before the test.
    kinds = [kind for kind, _ in messages]
    assert kinds.count(TRAINING_DONE) == 1
    done = kinds.index(TRAINING_DONE)
    before = [p.status for k, p in messages[:done] if k == "progress"]
    after = [p.status for k, p in messages[done:] if k == "progress"]
    assert "training" in before and "evaluating" not in before
    assert "training" not in after and after[0] == "evaluating"
    # ... right after its last batch is told, so the queue reads its whole training time.
    last = [p for k, p in messages[:done] if k == "progress"][-1]
    assert last.images_seen == last.images_total and last.train_seconds > 0


def test_a_training_that_fails_never_says_it_trained(tmp_path, monkeypatch):
    """TRAINING_DONE tells the queue the job trained all it was asked to (its pace then
    times its kind of job), so a failure in training ends the job without it."""
    import threading
    import types

    import cnn_core.jobs.training as training

    class FailingTraining:
        """Fails at its first step, as a network too big for memory does."""

        def __init__(self, *args, **kwargs):
            self.recorder = types.SimpleNamespace(update=lambda **_: None)
            self.error = MemoryError("out of memory")

        def start(self):
            return self

        def join(self, timeout=None):
            return True

        def snapshot(self):
            return training.ProgressSnapshot(status="training")

    monkeypatch.setattr(training, "TrainingJob", FailingTraining)
    request = TrainRequest("mnist", "dense_baseline", {}, TrainConfig(epochs=2), n_train=500)
    messages = []
    error = run_job(request, str(tmp_path / "m.keras"),
                    lambda kind, payload: messages.append((kind, payload)), threading.Event())
    assert error == "Training ran out of memory; use a smaller subset, batch size or model."
    assert TRAINING_DONE not in [kind for kind, _ in messages]


def test_without_a_validation_share_the_test_set_is_not_used_during_training(tmp_path):
    """The precision-recall and shift lessons hold nothing out: no val_* history at all."""
    import threading

    request = TrainRequest("mnist", "dense_baseline", {}, TrainConfig(epochs=1),
                           n_train=1_000)
    messages = []
    assert run_job(request, str(tmp_path / "m.keras"),
                   lambda kind, payload: messages.append((kind, payload)),
                   threading.Event()) is None
    result = next(p for k, p in messages if k == "result")
    assert result.n_validation == 0 and "val_accuracy" not in result.history
    assert result.n_train == 1_000 and 0 < result.test_accuracy <= 1


CUSTOM = (
    LayerSpec("conv", "conv_1", {"filters": 4, "kernel_size": 3, "strides": 2,
                                 "activation": "relu"}),
    LayerSpec("batchnorm", "norm_1"),
    LayerSpec("pool", "pool_1", {"pool_size": 2, "operation": "average"}),
    LayerSpec("flatten", "flatten"),
    LayerSpec("dense", "digits", {"units": 10, "activation": "softmax"}),
)


def test_a_network_given_as_layers_trains_and_is_saved_whole(tmp_path):
    import threading

    import keras

    from cnn_core.jobs.builder import build_model

    request = TrainRequest("mnist", list(CUSTOM), {"learning_rate": 3e-3},
                           TrainConfig(epochs=1, batch_size=32), n_train=600)
    assert request.preset == CUSTOM and request.custom  # the list is frozen as a tuple
    messages = []
    path = str(tmp_path / "custom.keras")
    assert run_job(request, path, lambda kind, payload: messages.append((kind, payload)),
                   threading.Event()) is None
    result = next(p for k, p in messages if k == "result")
    assert result.n_train == 600 and result.probabilities.shape == (len(result.y_test), 10)
    assert result.test_accuracy > 0.2  # chance is 0.1
    saved = keras.models.load_model(path)
    built = build_model(CUSTOM, (28, 28, 1), 10)
    assert [layer.name for layer in saved.layers] == [layer.name for layer in CUSTOM]
    assert saved.count_params() == built.count_params()
    for mine, theirs in zip(saved.layers, built.layers, strict=True):
        assert type(mine) is type(theirs) and mine.get_config() == theirs.get_config()


def test_a_custom_request_crosses_to_worker_processes(tmp_path):
    """The pool pickles requests to its workers; a custom one needs no preset name."""
    import pickle

    request = TrainRequest("mnist", CUSTOM, config=TrainConfig(epochs=1))
    assert pickle.loads(pickle.dumps(request)) == request
    assert request.model_title == "Your network"
    job = TrainingProcess(request, tmp_path)
    assert "mnist-custom-" in job.model_path and "custom" in repr(job)
    preset = TrainRequest("mnist", "dense_baseline")
    assert (preset.custom, preset.model_title, preset.model_slug) == (
        False, "Dense baseline", "dense_baseline")


def test_a_custom_network_for_the_wrong_classes_comes_back_as_a_sentence(tmp_path):
    import threading

    task = BinaryTask(positive_class=8, positive_fraction=0.1)
    request = TrainRequest("mnist", CUSTOM, binary=task, config=TrainConfig(epochs=1),
                           n_train=500)
    messages = []
    error = run_job(request, str(tmp_path / "m.keras"),
                    lambda kind, payload: messages.append((kind, payload)), threading.Event())
    assert error == ("digits: the last layer has 10 units but the data has 2 classes; give it "
                     "2 units, one per class.")
    assert ("error", error) in messages
