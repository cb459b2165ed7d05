"""The iris network as a job of the training queue: the request, its progress, result and stop."""

from __future__ import annotations

import pickle
import threading
import time

import pytest

from cnn_core.jobs.iris import IrisRequest, IrisResult, run_iris_job
from cnn_core.jobs.training import ProgressSnapshot
from cnn_core.jobs.worker import TrainingProcess, run_job


def test_a_request_reads_like_any_job_and_pickles():
    request = IrisRequest(hidden_units=8, epochs=30, seed=3)
    assert (request.dataset, request.model_slug) == ("iris", "iris_dense")
    assert (request.config.epochs, request.config.batch_size, request.config.seed) == (30, 16, 3)
    assert request.model_title == "Iris network (4 -> 8 -> 3)"
    assert pickle.loads(pickle.dumps(request)) == request


def test_a_handle_waits_with_the_requests_epochs(tmp_path):
    job = TrainingProcess(IrisRequest(epochs=12), tmp_path)
    assert job.snapshot().status == "queued" and job.snapshot().epochs == 12
    assert job.model_path.startswith(str(tmp_path))


@pytest.mark.parametrize("settings, message", [
    ({"hidden_units": 0}, "hidden units must be a whole number from 1 to 256"),
    ({"epochs": 1001}, "epochs must be a whole number from 1 to 1000"),
    ({"epochs": 2.0}, "epochs must be a whole number"),
    ({"batch_size": 121}, "batch size must be a whole number from 1 to 120"),
    ({"test_fraction": 0.9}, "test share must be between"),
    ({"learning_rate": -1.0}, "learning rate must be above 0"),
])
def test_bad_settings_are_refused_when_the_request_is_made(settings, message):
    with pytest.raises(ValueError, match=message):
        IrisRequest(**settings)


class Recorder:
    """A `send` that keeps every message, as the worker's outbox would."""

    def __init__(self):
        self.messages: list[tuple[str, object]] = []

    def __call__(self, kind, payload):
        self.messages.append((kind, payload))

    def of(self, kind: str) -> list:
        return [payload for k, payload in self.messages if k == kind]


@pytest.mark.slow
def test_progress_arrives_as_snapshots_and_the_result_last():
    send = Recorder()
    request = IrisRequest(hidden_units=6, epochs=5, seed=1)
    assert run_job(request, "unused.keras", send, threading.Event()) is None
    snapshots = send.of("progress")
    assert all(isinstance(s, ProgressSnapshot) for s in snapshots)
    assert snapshots[0].status == "loading"
    final = snapshots[-1]
    # 120 training flowers in batches of 16: 8 iterations per epoch.
    assert (final.status, final.epochs, final.batches_per_epoch) == ("done", 5, 8)
    assert (final.images_seen, final.images_total) == (600, 600)
    assert len(final.history["loss"]) == 5 and final.curve  # per batch, as for a CNN
    assert final.device.startswith(("CPU", "GPU"))
    [result] = send.of("result")
    assert isinstance(result, IrisResult) and not result.stopped
    assert result.epochs_run == 5 and result.test_loss > 0
    assert final.history["loss"] == pytest.approx(result.history["loss"])


@pytest.mark.slow
def test_a_stop_request_ends_training_after_the_epoch_in_progress():
    send, stop = Recorder(), threading.Event()
    stop.set()
    run_iris_job(IrisRequest(epochs=200), send, stop)
    [result] = send.of("result")
    assert result.stopped and result.epochs_run == 1
    assert send.of("progress")[-1].status == "stopped"


@pytest.mark.slow
def test_the_iris_network_trains_through_the_queue(pool, tmp_path):
    job = TrainingProcess(IrisRequest(), tmp_path, owner="learner", pool=pool).start()
    assert job.join(180), job.snapshot()
    assert job.error is None, job.error
    assert isinstance(job.result, IrisResult)
    assert job.result.test_accuracy >= 0.9  # the material quotes about 95%
    assert job.snapshot().status == "done" and not job.running
    assert job.result.epochs_run == IrisRequest().epochs


@pytest.mark.slow
def test_stop_works_for_an_iris_job_in_the_queue(pool, tmp_path):
    job = TrainingProcess(IrisRequest(epochs=1000), tmp_path, owner="a", pool=pool).start()
    waiting = TrainingProcess(IrisRequest(epochs=2), tmp_path, owner="b", pool=pool).start()
    deadline = time.monotonic() + 120
    while job.snapshot().images_seen < 120 * 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.snapshot().status == "training"
    assert waiting.queue_position() == 1
    assert waiting.snapshot().message.startswith("Waiting: 1st in line")
    job.stop()
    assert job.join(30)
    assert job.error is None and job.result.stopped
    assert 3 <= job.result.epochs_run < 1000
    assert job.snapshot().status == "stopped"
    assert waiting.join(60) and waiting.error is None and waiting.result.epochs_run == 2
