"""The training queue and its warm workers: order, fairness, cancelling, crashes, recycling."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import cnn_core.jobs.pool as pool_module
from cnn_core.jobs.iris import IrisRequest
from cnn_core.jobs.job_queue import (
    FAR_BACK_PLACE,
    FAR_BACK_REFRESH_S,
    LIVE_REFRESH_S,
    WAITING_REFRESH_S,
    QueueError,
    Workload,
    estimated_wait,
    ordinal,
    refresh_seconds,
    waiting_message,
)
from cnn_core.jobs.pool import SPARE_WORKERS, WORKER_NICENESS, WorkerPool, default_slots
from cnn_core.jobs.training import ProgressSnapshot, TrainConfig
from cnn_core.jobs.worker import BinaryTask, TrainingProcess, TrainRequest
from tests.core.jobs.fake_worker import (
    FakeJob,
    environment_reporting_loop,
    fake_worker_loop,
    one_shot_loop,
)

GB = 1_000_000_000


def test_slots_follow_cores_memory_gpus_and_the_override():
    assert default_slots(2, 24 * GB) == 1
    assert default_slots(16, 128 * GB) == 8
    assert default_slots(64, 8 * GB) == (8 * GB - 2 * GB) // 1_200_000_000  # memory binds
    assert default_slots(16, 128 * GB, gpu_count=1) == 4
    assert default_slots(1, 1 * GB) == 1  # always at least one
    assert default_slots(2, 24 * GB, override="6") == 6
    for bad in ("0", "-2", "many"):
        with pytest.raises(ValueError, match="CNN_CLASSROOM_MAX_JOBS"):
            default_slots(2, 24 * GB, override=bad)


def test_queue_messages_read_like_a_sentence():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    assert waiting_message(3, 41) == "Waiting: 3rd in line, about 40 s. Training starts by itself."
    assert "about 2 min 05 s" in waiting_message(9, 124)
    assert waiting_message(1, None) == "Waiting: 1st in line. Training starts by itself."


def test_only_jobs_further_back_than_next_are_redrawn_slowly():
    assert FAR_BACK_REFRESH_S > WAITING_REFRESH_S > LIVE_REFRESH_S
    assert refresh_seconds(None) == LIVE_REFRESH_S  # training, starting or ended
    assert refresh_seconds(1) == LIVE_REFRESH_S  # starts next: show it start at once
    assert refresh_seconds(2) == refresh_seconds(FAR_BACK_PLACE - 1) == WAITING_REFRESH_S
    assert refresh_seconds(FAR_BACK_PLACE) == refresh_seconds(30) == FAR_BACK_REFRESH_S


def test_wait_estimate_counts_running_jobs_and_rounds_of_slots():
    # Two slots, busy for 15 s and 5 s more, jobs of 20 s in line: the 1st waits for the
    # first to free (5 s), the 2nd for the other (15 s), the 3rd one job after the first.
    assert estimated_wait([], 2, [15.0, 5.0]) == pytest.approx(5.0)
    assert estimated_wait([20.0], 2, [15.0, 5.0]) == pytest.approx(15.0)
    assert estimated_wait([20.0, 20.0], 2, [15.0, 5.0]) == pytest.approx(25.0)
    assert estimated_wait([], 1, [-3.0]) == pytest.approx(1.0)  # overdue: any moment
    assert estimated_wait([], 2, []) == 0.0  # a free slot: starts now


def test_wait_estimate_adds_each_job_ahead_by_its_own_length():
    # One slot free in 5 s; a 300-s job then a 10-s job in line: the third waits for both.
    assert estimated_wait([300.0, 10.0], 1, [5.0]) == pytest.approx(315.0)
    # Two slots: the long job holds one, and the short ones take turns on the other.
    assert estimated_wait([300.0, 10.0, 10.0], 2, [5.0, 6.0]) == pytest.approx(26.0)
    assert estimated_wait([300.0, 10.0, 10.0, 10.0], 2, [5.0, 6.0]) == pytest.approx(36.0)


def test_a_job_says_how_much_it_trains_and_which_jobs_share_its_pace(tmp_path):
    def workload(**request):
        request = TrainRequest(**{"dataset": "mnist", "preset": "mnist_cnn", **request})
        return TrainingProcess(request, tmp_path).workload()

    default = workload(config=TrainConfig(epochs=1), n_train=12_000)
    assert default.units == 12_000
    assert workload(config=TrainConfig(epochs=50), n_train=12_000) == Workload(default.kind,
                                                                               600_000)
    assert workload(config=TrainConfig(epochs=2)).units == 2 * 60_000  # all of MNIST
    assert workload(dataset="cifar10", preset="cifar_dcnn").kind != default.kind
    # Ways of training that change the pace per image, or the images behind the count, are
    # other kinds: the batch size, all of a data set (the full set or the bundled subset,
    # as the server has it), one class against the rest, inverted copies.
    others = [workload(config=TrainConfig(epochs=1, batch_size=16), n_train=12_000),
              workload(config=TrainConfig(epochs=1)),
              workload(config=TrainConfig(epochs=1), n_train=12_000,
                       binary=BinaryTask(positive_class=8, positive_fraction=0.1)),
              workload(config=TrainConfig(epochs=1, invert_copies=True), n_train=12_000)]
    assert len({default.kind, *(other.kind for other in others)}) == 5
    iris = TrainingProcess(IrisRequest(epochs=5), tmp_path).workload()
    assert iris.units == 5 and iris.kind != default.kind
    # Its training time comes from its progress, none before a batch.
    job = TrainingProcess(TrainRequest("mnist", "mnist_cnn"), tmp_path)
    assert job.training_seconds() is None
    job.on_message("progress", ProgressSnapshot(status="training", images_seen=640,
                                                train_seconds=1.5))
    assert job.training_seconds() == 1.5


def _quick_failure(tmp_path, owner=None, pool=None) -> TrainingProcess:
    """A job that loads data, then fails at once on a bad setting: fast, yet fully pooled."""
    return TrainingProcess(TrainRequest("mnist", "mnist_cnn", {"dropout": 2.0}), tmp_path,
                           owner=owner, pool=pool)


def _tiny(tmp_path, epochs=3, owner=None, pool=None) -> TrainingProcess:
    return TrainingProcess(TrainRequest("mnist", "dense_baseline", {},
                                        TrainConfig(epochs=epochs, batch_size=32), n_train=1_500),
                           tmp_path, owner=owner, pool=pool)


@pytest.mark.slow
def test_jobs_start_first_come_first_served_one_waiting_per_learner(pool, tmp_path):
    blocker = _tiny(tmp_path, epochs=50, owner="a", pool=pool).start()
    second = _quick_failure(tmp_path, owner="b", pool=pool).start()
    third = _quick_failure(tmp_path, owner="c", pool=pool).start()
    assert blocker.queue_position() is None  # running (or about to)
    assert (second.queue_position(), third.queue_position()) == (1, 2)
    assert third.snapshot().message.startswith("Waiting: 2nd in line, about")
    with pytest.raises(QueueError, match="already have a job waiting"):
        _quick_failure(tmp_path, owner="b", pool=pool).start()
    blocker.stop()
    assert blocker.join(60) and second.join(60) and third.join(60)
    assert blocker.started_at < second.started_at < third.started_at
    assert "Dropout" in second.error and "Dropout" in third.error


@pytest.mark.slow
def test_stopping_or_leaving_takes_a_job_out_of_the_queue(pool, tmp_path):
    blocker = _tiny(tmp_path, epochs=50, pool=pool).start()
    cancelled = _quick_failure(tmp_path, pool=pool).start()
    abandoned = _quick_failure(tmp_path, pool=pool).start()
    last = _quick_failure(tmp_path, pool=pool).start()
    cancelled.stop()
    assert cancelled.done and "waited in the queue" in cancelled.error
    assert cancelled.started_at is None
    del abandoned  # the learner's session is gone: nothing holds the handle any more
    gc.collect()
    assert last.queue_position() == 1
    blocker.stop()
    assert last.join(60) and last.started_at is not None


@pytest.mark.slow
def test_a_killed_worker_fails_its_job_and_the_queue_goes_on(pool, tmp_path):
    victim = _tiny(tmp_path, epochs=50, pool=pool).start()
    waiting = _tiny(tmp_path, pool=pool).start()
    deadline = time.monotonic() + 60
    while victim.snapshot().status != "training" and time.monotonic() < deadline:
        time.sleep(0.1)
    # Training runs at a lower CPU priority than the server, which answers every learner.
    assert os.getpriority(os.PRIO_PROCESS, victim.worker_pid) == min(
        os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS, 19)
    os.kill(victim.worker_pid, signal.SIGKILL)
    assert victim.join(30)
    assert victim.result is None and "crashed" in victim.error
    assert waiting.join(120), waiting.snapshot()
    assert waiting.error is None and waiting.result.test_accuracy > 0.3
    assert waiting.worker_pid != victim.worker_pid
    assert pool.status().workers_alive == 2  # its slot's worker and the spare, healed


class _TimedEnd(TrainingProcess):
    """A job handle that notes when the pool told it the job had ended."""

    ended_at: float | None = None

    def on_ended(self, error):
        self.ended_at = time.monotonic()
        super().on_ended(error)


@pytest.mark.slow
def test_the_next_job_starts_while_the_last_one_is_still_tested_and_saved(pool, tmp_path):
    """One slot, two warm workers: the slot frees when training ends, not when the job does.

    The worker's messages are read in order by one thread, so with the slot held until the
    job's end the second job would start after the first had ended."""
    assert SPARE_WORKERS == 1 and pool.status().workers_alive == pool.slots + 1
    request = TrainRequest("mnist", "dense_baseline", {}, TrainConfig(epochs=50, batch_size=32),
                           n_train=1_500)
    first = _TimedEnd(request, tmp_path, pool=pool).start()
    second = _TimedEnd(request, tmp_path, pool=pool).start()
    deadline = time.monotonic() + 60
    while first.snapshot().status != "training" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert second.queue_position() == 1 and pool.status().running == 1
    first.stop()  # ends its training after this batch; it is then tested and saved
    assert first.join(60) and first.error is None and first.result.stopped
    assert second.started_at is not None and second.started_at < first.ended_at
    assert second.worker_pid != first.worker_pid
    second.kill()
    assert second.join(60)


@pytest.mark.slow
def test_a_worker_over_its_memory_ceiling_is_replaced_after_its_job(tmp_path):
    pool = WorkerPool(slots=1, ceiling_mb=1)  # every worker is over 1 MB: recycle each time
    try:
        first = _tiny(tmp_path, pool=pool).start()
        assert first.join(120) and first.error is None
        deadline = time.monotonic() + 30
        while first.worker_pid in pool.worker_pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert first.worker_pid not in pool.worker_pids()  # retired and replaced
        second = _tiny(tmp_path, pool=pool).start()
        assert second.join(120) and second.error is None
        assert second.worker_pid != first.worker_pid
        assert pool.status().workers_alive == 2
        assert first.result.test_accuracy > 0.3 and second.result.test_accuracy > 0.3
    finally:
        pool.close()


@pytest.fixture
def fake_pool(monkeypatch):
    """Makes pools whose workers run `fake_worker_loop` (no TensorFlow: each starts in a
    fraction of a second), with a Stop grace of half a second; closes them after the test."""
    monkeypatch.setattr(pool_module, "_worker_loop", fake_worker_loop)
    monkeypatch.setattr(pool_module, "STOP_GRACE_S", 0.5)
    pools = []

    def make(slots=1, spare=0):
        pools.append(WorkerPool(slots=slots, spare=spare, ceiling_mb=10**6))
        return pools[-1]

    yield make
    for pool in pools:
        pool.close()


def _stop_and_wait(pool, job, timeout=10):
    pool.stop_job(job)
    assert job.ended.wait(timeout)


def test_a_stopped_job_that_has_ended_leaves_its_worker_warm(fake_pool):
    pool = fake_pool()
    first = FakeJob()
    pool.submit(first)
    assert first.started.wait(10)
    _stop_and_wait(pool, first)
    assert first.error is None
    time.sleep(pool_module.STOP_GRACE_S + 1.0)  # past the grace, and the reader's next look
    second = FakeJob()
    pool.submit(second)
    assert second.started.wait(10)
    assert second.worker_pid == first.worker_pid  # not killed idle, nor started again
    _stop_and_wait(pool, second)
    assert second.error is None


def test_a_stopped_job_gets_the_time_to_test_and_save_its_model(fake_pool):
    pool = fake_pool()
    job = FakeJob(save_s=3 * pool_module.STOP_GRACE_S)
    pool.submit(job)
    assert job.started.wait(10)
    _stop_and_wait(pool, job)
    assert job.error is None and "result" in job.messages


def test_a_job_that_ignores_stop_is_still_ended_after_the_grace(fake_pool, monkeypatch):
    monkeypatch.setattr(pool_module, "SAVE_GRACE_S", 1.0)
    pool = fake_pool()
    stubborn = FakeJob(heeds_stop=False)  # trains on, sending progress all the while
    assert _seconds_until_the_pool_ends_it(pool, stubborn) >= pool_module.STOP_GRACE_S
    hung = FakeJob(save_s=60)  # heeds the Stop, then never finishes its save
    assert _seconds_until_the_pool_ends_it(pool, hung) >= pool_module.SAVE_GRACE_S
    assert hung.worker_pid != stubborn.worker_pid


def _seconds_until_the_pool_ends_it(pool, job) -> float:
    """Start `job`, Stop it, and time how long the pool lets it run on before ending it."""
    pool.submit(job)
    assert job.started.wait(10)
    stopped_at = time.monotonic()
    _stop_and_wait(pool, job)
    assert "stopped before the model could be saved" in job.error
    return time.monotonic() - stopped_at


def test_a_worker_that_cannot_be_replaced_stalls_nothing_and_comes_back(fake_pool,
                                                                        monkeypatch):
    monkeypatch.setattr(pool_module, "SPAWN_RETRY_S", 0.2, raising=False)
    thread_errors = []
    monkeypatch.setattr(threading, "excepthook", thread_errors.append)
    pool = fake_pool(slots=1, spare=1)
    starts_fail = threading.Event()

    class FailingWorker(pool_module._Worker):
        def __init__(self, *args):
            if starts_fail.is_set():  # as after the out-of-memory killer struck
                raise OSError(24, "Too many open files")
            super().__init__(*args)

    monkeypatch.setattr(pool_module, "_Worker", FailingWorker)
    first, second = FakeJob(), FakeJob()
    pool.submit(first)
    pool.submit(second)
    assert first.started.wait(10) and not second.started.is_set()
    starts_fail.set()
    pool.kill_job(first)
    assert first.ended.wait(10) and "crashed" in first.error
    assert second.started.wait(5)  # on the spare, though no replacement could start
    assert second.worker_pid != first.worker_pid
    assert pool.status().workers_alive == 1
    starts_fail.clear()
    deadline = time.monotonic() + 10
    while pool.status().workers_alive < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.status().workers_alive == 2
    assert first.worker_pid not in pool.worker_pids()
    _stop_and_wait(pool, second)
    assert second.error is None
    assert not thread_errors


def test_a_job_that_trains_to_its_end_times_its_kind_and_a_stopped_one_does_not(fake_pool):
    pool = fake_pool()
    complete = FakeJob(train_s=0.5, work=Workload("one kind", 1_000))
    pool.submit(complete)
    assert complete.ended.wait(10) and complete.error is None
    stopped = FakeJob(work=Workload("another kind", 1_000))
    pool.submit(stopped)
    assert stopped.started.wait(10)
    _stop_and_wait(pool, stopped)
    # Twice the work of the complete job's kind: about twice its time in the slot...
    twice = pool.expected_seconds(FakeJob(work=Workload("one kind", 2_000)))
    assert 2 * 0.5 <= twice < 2 * 0.5 + 2.0
    # ... while a stopped job trained less than its work says: its kind is still untimed.
    assert pool.expected_seconds(FakeJob(work=Workload("another kind", 2_000))) == \
        pool.average_job_seconds


def test_a_job_that_ends_without_saying_it_trained_is_timed_only_when_it_succeeded(
        fake_pool, monkeypatch):
    """The iris network's jobs end without TRAINING_DONE; a failed job says nothing either."""
    monkeypatch.setattr(pool_module, "_worker_loop", one_shot_loop)
    pool = fake_pool()
    succeeded = FakeJob(task=(0.3, None), work=Workload("iris", 5))
    failed = FakeJob(task=(0.3, "Training ran out of memory."), work=Workload("custom", 5))
    for job in (succeeded, failed):
        pool.submit(job)
        assert job.ended.wait(10)
    assert failed.error == "Training ran out of memory." and succeeded.error is None
    assert 2 * 0.3 <= pool.expected_seconds(FakeJob(work=Workload("iris", 10))) < 2 * 0.3 + 2
    assert pool.expected_seconds(FakeJob(work=Workload("custom", 10))) == \
        pool.average_job_seconds


def test_a_job_that_cannot_be_handed_to_its_worker_ends_and_frees_the_worker(fake_pool):
    pool = fake_pool()
    unsendable = FakeJob()
    pool._workers[0].inbox.close()  # as a broken pipe would leave it
    unsendable_worker = pool._workers[0].process.pid
    pool.submit(unsendable)
    assert unsendable.ended.is_set() and "could not start this job" in unsendable.error
    job = FakeJob()
    pool.submit(job)  # a fresh worker takes it, in place of the one retired
    assert job.started.wait(10) and job.worker_pid != unsendable_worker
    _stop_and_wait(pool, job)
    assert job.error is None



def test_a_job_whose_task_cannot_cross_to_a_worker_ends_and_the_queue_goes_on(fake_pool):
    """A process queue pickles on a thread of its own, where a failure is only printed: the
    job would wait for ever for a worker that never got it, holding the slot."""
    pool = fake_pool()
    worker = pool._workers[0].process.pid
    unpicklable = FakeJob()
    unpicklable.task = lambda: (0.0, True, threading.Lock())
    pool.submit(unpicklable)
    assert unpicklable.ended.wait(10) and "could not start this job" in unpicklable.error
    job = FakeJob()
    pool.submit(job)
    assert job.started.wait(10) and job.worker_pid == worker  # the worker was fine: kept
    _stop_and_wait(pool, job)
    assert job.error is None


def test_closing_the_pool_ends_the_jobs_still_waiting_with_a_sentence(fake_pool):
    """Waiting jobs whose line is gone would otherwise say 'Waiting' for ever."""
    pool = fake_pool()
    running, waiting, following = FakeJob(), FakeJob(), FakeJob()
    pool.submit(running)
    assert running.started.wait(10)
    pool.submit(waiting)
    pool.submit(following, after=waiting)  # the same learner's next job
    pool.close()
    assert running.error == "The training service shut down before the job finished."
    for job in (waiting, following):
        assert job.ended.is_set() and not job.started.is_set()
        assert job.error == "The training service shut down before the job could start."

class ProbeJob(FakeJob):
    """Asks its worker for the value of CNN_CLASSROOM_PROBE."""

    def __init__(self):
        super().__init__()
        self.seen = None

    def task(self):
        return "CNN_CLASSROOM_PROBE"

    def on_message(self, kind, payload) -> None:
        if kind == "result":
            self.seen = payload


def test_a_replacement_worker_gets_the_environment_the_pool_started_with(monkeypatch):
    """A worker started minutes later is like the one it replaces, whatever the server's
    environment says by then (where the data sets are, for one)."""
    monkeypatch.setattr(pool_module, "_worker_loop", environment_reporting_loop)
    monkeypatch.setenv("CNN_CLASSROOM_PROBE", "when the pool started")
    pool = WorkerPool(slots=1, spare=0, ceiling_mb=10**6)
    try:
        monkeypatch.setenv("CNN_CLASSROOM_PROBE", "changed since")
        first = ProbeJob()
        pool.submit(first)
        assert first.ended.wait(10) and first.seen == "when the pool started"
        pool._workers[0].process.kill()  # the pool replaces it now
        pool._workers[0].process.join(5)
        second = ProbeJob()
        pool.submit(second)  # waits for the replacement: a dead worker takes no job
        assert second.ended.wait(20) and second.worker_pid != first.worker_pid
        assert second.seen == "when the pool started"
    finally:
        pool.close()


# A server (or a test session) exiting with a pool still open; its exit then takes a while
# after multiprocessing's own exit handler has terminated the workers.
EXIT_WITH_AN_OPEN_POOL = """
import atexit, time
atexit.register(time.sleep, 2)
import cnn_core.jobs.pool as pool_module
from tests.core.jobs.fake_worker import fake_worker_loop
pool_module._worker_loop = fake_worker_loop
spawn = pool_module.WorkerPool._spawn
def counted(self):
    print("worker started", flush=True)
    return spawn(self)
pool_module.WorkerPool._spawn = counted
pool = pool_module.WorkerPool(slots=1, spare=0, ceiling_mb=10**6)
time.sleep(0.5)
"""


def test_an_exiting_server_starts_no_replacement_for_the_workers_it_ends():
    """Its workers' ends at exit are not crashes: a replacement started then fails in the
    middle of the teardown, its semaphores already gone, and leaks them."""
    exited = subprocess.run([sys.executable, "-c", EXIT_WITH_AN_OPEN_POOL],
                            cwd=Path(__file__).resolve().parents[3], capture_output=True,
                            text=True, timeout=30)
    assert exited.returncode == 0, exited.stderr
    assert exited.stdout.count("worker started") == 1
    assert "Traceback" not in exited.stderr and "leaked" not in exited.stderr
