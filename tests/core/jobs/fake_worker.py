"""A stand-in for the pool's worker loop, and jobs for it: the pool's own bookkeeping (stops,
graces, replacements) tested in a fraction of a second per worker, without TensorFlow.

The loop lives in a module of its own because the pool's spawned processes import it."""

from __future__ import annotations

import threading
import time

from cnn_core.jobs.job_queue import TRAINING_DONE, Workload


def fake_worker_loop(inbox, outbox, stop_event, ceiling_mb: int) -> None:
    """Each task is (save_s, heeds_stop, train_s): "train" until stopped (sending progress, or
    ignoring the stop when heeds_stop is False) or for train_s seconds when it is not None,
    then take save_s seconds to "test and save"."""
    while True:
        task = inbox.get()
        if task is None:
            return
        save_s, heeds_stop, train_s = task
        end = None if train_s is None else time.monotonic() + train_s
        while not (heeds_stop and stop_event.is_set()) and (end is None
                                                           or time.monotonic() < end):
            outbox.put(("progress", None))
            time.sleep(0.1)
        outbox.put((TRAINING_DONE, None))
        time.sleep(save_s)
        outbox.put(("result", "saved"))
        outbox.put(("job_end", (None, False)))


class FakeJob:
    """What the pool needs of a job handle, noting what it is told."""

    owner = None

    def __init__(self, save_s: float = 0.0, heeds_stop: bool = True,
                 train_s: float | None = None, work: Workload | None = None, task=None):
        self._task = task if task is not None else (save_s, heeds_stop, train_s)
        self._work = work
        self.worker_pid: int | None = None
        self.messages: list[str] = []
        self.error: str | None = None
        self.started = threading.Event()
        self.ended = threading.Event()

    def task(self):
        return self._task

    def seconds_left(self):
        return None

    def workload(self):
        return self._work

    def training_seconds(self):
        return None

    def on_started(self, worker_pid: int) -> None:
        self.worker_pid = worker_pid
        self.started.set()

    def on_message(self, kind, payload) -> None:
        self.messages.append(kind)

    def on_ended(self, error) -> None:
        self.error = error
        self.ended.set()


def environment_reporting_loop(inbox, outbox, stop_event, ceiling_mb: int) -> None:
    """Each task is the name of an environment variable; the "result" is its value here."""
    import os

    while True:
        name = inbox.get()
        if name is None:
            return
        outbox.put(("result", os.environ.get(name)))
        outbox.put(("job_end", (None, False)))


def one_shot_loop(inbox, outbox, stop_event, ceiling_mb: int) -> None:
    """Each task is (train_s, error): "train" train_s seconds, then end with `error` (None:
    success) without ever saying TRAINING_DONE, as the iris network's jobs and failures do."""
    while True:
        task = inbox.get()
        if task is None:
            return
        train_s, error = task
        time.sleep(train_s)
        outbox.put(("job_end", (error, False)))
