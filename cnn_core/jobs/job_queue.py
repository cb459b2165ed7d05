"""A first-come, first-served training queue with a fixed number of slots.

The queue semantics every executor shares (the local pool of warm worker processes, and
the Ray cluster): at most `slots` jobs run at once, the rest wait in order of arrival,
one waiting job per learner, and the queue holds jobs only weakly, so a learner whose
session ends leaves the queue. An executor says which slot is free and how to launch a
job on it; the queue decides which job goes next and tells learners their place.
"""

from __future__ import annotations

import heapq
import logging
import statistics
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger(__name__)

# Until the queue has timed a job, assume a default MNIST run takes this long.
DEFAULT_JOB_SECONDS = 20.0
# Paces kept per kind of job (the latest few), and kinds kept: a class trains a handful of
# kinds, and learners' own networks all count as one kind per data set.
PACES_PER_KIND = 10
MAX_KINDS = 64
# What a worker says when a job's training has ended and only its test and save remain: the
# job no longer needs its training slot, so the next one may start beside it.
TRAINING_DONE = "training_done"


class QueueError(ValueError):
    """A job the queue cannot take (the sentence is shown to the learner)."""


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# What a learner reads when the server stops under their job.
SHUT_DOWN_WHILE_WAITING = "The training service shut down before the job could start."
SHUT_DOWN_WHILE_RUNNING = "The training service shut down before the job finished."


def launch_failure(exc: BaseException) -> str:
    """The sentence a learner reads when the executor could not start their job."""
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
    return (f"The training service could not start this job ({detail}); please try again "
            "in a moment, or tell your teacher if it keeps happening.")


def about(seconds: float) -> str:
    """'about 40 s', 'about 1 min 15 s': a wait to the nearest 5 s, never under 5 s."""
    rounded = max(5, int(round(seconds / 5.0)) * 5)
    return (f"about {rounded // 60} min {rounded % 60:02d} s" if rounded >= 60
            else f"about {rounded} s")


def waiting_message(position: int, eta_seconds: float | None) -> str:
    """'Waiting: 3rd in line, about 40 s' for the live panel."""
    text = f"Waiting: {ordinal(position)} in line"
    if eta_seconds is not None:
        text += f", {about(eta_seconds)}"
    return text + ". Training starts by itself."


# A live panel redraws once a second while its job trains or starts next. Further back in
# line the place changes only when some job ends, seconds apart at best, so a slower redraw
# costs a waiting learner nothing and spares the server: thirty learners waiting are thirty
# reruns a second otherwise, on the same cores as the kernel page and the training. From
# FAR_BACK_PLACE on, a job is at least four jobs from its start, and redraws slower still.
LIVE_REFRESH_S = 1.0
WAITING_REFRESH_S = 3.0
FAR_BACK_REFRESH_S = 6.0
FAR_BACK_PLACE = 6


def refresh_seconds(position: int | None) -> float:
    """Seconds between redraws of a job's live panel, given its place in line (None: not
    waiting, so it trains, starts or has ended)."""
    if position is None or position <= 1:
        return LIVE_REFRESH_S
    return WAITING_REFRESH_S if position < FAR_BACK_PLACE else FAR_BACK_REFRESH_S


def estimated_wait(ahead: list[float], slots: int, running_left: list[float]) -> float:
    """Seconds until a job starts behind the jobs `ahead` of it in line.

    ahead: the expected length of each job before it, in their order. running_left: the
    seconds each running job has left. Slots free as running jobs end; each job ahead takes
    the first slot to free and holds it for its own length.
    """
    free = [max(left, 1.0) for left in running_left]
    free += [0.0] * max(0, slots - len(free))
    heapq.heapify(free)
    for length in ahead:
        heapq.heappush(free, heapq.heappop(free) + max(length, 0.0))
    return free[0] if free else 0.0


@dataclass(frozen=True)
class Workload:
    """How much a job trains, to tell how long it will take before it has started.

    Jobs of one `kind` (the same request type, data set and network) train at one pace per
    unit; `units` is epochs times training images, so a 50-epoch job counts 50 times a
    one-epoch job of its kind rather than as an average job.
    """

    kind: str
    units: float


class PooledJob(Protocol):
    """What the pool needs of a job handle (cnn_core.jobs.worker.TrainingProcess)."""

    owner: str | None

    def task(self) -> tuple[Any, ...]: ...
    def seconds_left(self) -> float | None: ...
    def workload(self) -> Workload | None: ...
    def training_seconds(self) -> float | None: ...
    def on_started(self, worker_pid: int) -> None: ...
    def on_message(self, kind: str, payload: Any) -> None: ...
    def on_ended(self, error: str | None) -> None: ...


@dataclass
class PoolStatus:
    """What the home page shows: the executor and the queue now."""

    executor: str
    slots: int
    running: int
    waiting: int
    workers_alive: int

    @property
    def full(self) -> bool:
        """Every slot is taken or jobs already wait: a new job would wait too."""
        return self.running >= self.slots or self.waiting > 0


def queue_summary(status: PoolStatus, new_job_wait_s: float | None) -> str:
    """The queue now in a sentence, for the home page: 'Now 2 training and 3 waiting; a job
    started now would begin in about 1 min 10 s.' new_job_wait_s: JobQueue.new_job_wait()
    (only read when the queue is full)."""
    waiting = f"{status.waiting} waiting" if status.waiting else "none waiting"
    text = (f"Now {status.running} training and {waiting}; " if status.running or status.waiting
            else "Nothing is training now; ")
    if not status.full:
        return text + "a job started now would begin at once."
    if new_job_wait_s is None:
        return text + "a job started now would wait its turn."
    return text + f"a job started now would begin in {about(new_job_wait_s)}."


class JobQueue(ABC):
    """FIFO admission in front of `slots` places to run; subclasses launch and watch jobs."""

    executor_name = "Job queue"

    def __init__(self, slots: int):
        if slots < 1:
            raise ValueError("A training queue needs at least one slot.")
        self.slots = slots
        self._lock = threading.RLock()
        self._waiting: deque[weakref.ref] = deque()
        # (job in line, job that joins the line when it leaves): a learner's second job,
        # kept here so that it is queued even while the learner is on another page.
        self._followers: list[tuple[weakref.ref, weakref.ref]] = []
        self._durations: deque[float] = deque(maxlen=20)
        # By kind of job, recent complete trainings' (seconds in the slot besides training,
        # seconds of training per workload unit): the first (loading data, building the
        # network, tracing its first step) is the same for a short job as for a long one.
        self._timings: dict[str, deque[tuple[float, float]]] = {}
        self._closed = False

    def _close_line(self) -> list[PooledJob]:
        """Close the queue (lock held): no job starts from now on. Returns the jobs that were
        waiting, in line or behind their learner's other job, for the executor to end."""
        self._closed = True
        waiting = [ref() for ref in [*self._waiting, *(f for _, f in self._followers)]]
        self._waiting.clear()
        self._followers.clear()
        return [job for job in waiting if job is not None]

    # -- what an executor provides -------------------------------------------------------
    @abstractmethod
    def _free_slot(self) -> Any | None:
        """A place where a job can start now, or None."""

    @abstractmethod
    def _launch(self, slot: Any, job: PooledJob) -> None:
        """Start `job` on `slot` (called with the lock held)."""

    @abstractmethod
    def _running_jobs(self) -> list[tuple[float, PooledJob | None]]:
        """(time.monotonic() at its start, its job while a session holds it) of each running
        job."""

    def _running_started(self) -> list[float]:
        return [started for started, _ in self._running_jobs()]

    def _alive(self) -> int:
        return self.slots

    # -- the queue -------------------------------------------------------------------------
    def submit(self, job: PooledJob, after: PooledJob | None = None) -> None:
        """Queue a job; it starts by itself when a slot is free.

        after: a job of the same learner that may still wait in line. Then `job` joins the
        line as soon as `after` leaves it (starts, or is cancelled, when `job` takes its
        place), so the learner never waits with two; if `after` no longer waits, now.
        """
        with self._lock:
            if self._closed:
                raise QueueError("The training service is shutting down; try again shortly.")
            self._prune()
            place = None if after is None else self._place(after)
            follows = place is not None
            if job.owner is not None and any(
                    (other := ref()) is not None and other.owner == job.owner
                    and not (follows and other is after)
                    for ref in [*self._waiting, *(f for _, f in self._followers)]):
                raise QueueError("You already have a job waiting in the queue; stop it "
                                 "before starting another.")
            if follows:
                # The very reference in the line, so that _prune can find the first's place.
                self._followers.append((self._waiting[place], weakref.ref(job)))
                return
            self._waiting.append(weakref.ref(job))
            self._dispatch()

    def cancel(self, job: PooledJob) -> bool:
        """Take a waiting job out of the queue; False if it is not waiting (running or done).
        A job that was to follow it takes its place."""
        with self._lock:
            for pair in list(self._followers):
                if pair[1]() is job:
                    self._followers.remove(pair)
                    return True
            place = self._place(job)
            if place is None:
                return False
            followers = self._followers_of(job)
            if followers:
                self._waiting[place] = weakref.ref(followers[0])
                self._waiting.extend(weakref.ref(f) for f in followers[1:])
            else:
                del self._waiting[place]
            self._dispatch()
            return True

    def following(self, job: PooledJob) -> bool:
        """True while `job` waits for another job of its learner to leave the line."""
        with self._lock:
            return any(f() is job for _, f in self._followers)

    def _place(self, job: PooledJob) -> int | None:
        """Index of `job` in the line (0 starts next), or None."""
        return next((i for i, ref in enumerate(self._waiting) if ref() is job), None)

    def _followers_of(self, job: PooledJob) -> list[PooledJob]:
        """The jobs that were to follow `job`, taken out of the followers."""
        pairs = [pair for pair in self._followers if pair[0]() is job]
        for pair in pairs:
            self._followers.remove(pair)
        return [f for _, ref in pairs if (f := ref()) is not None]

    def position(self, job: PooledJob) -> int | None:
        """1 for the next job to start; None when the job is not waiting."""
        with self._lock:
            self._prune()
            for place, ref in enumerate(self._waiting, start=1):
                if ref() is job:
                    return place
        return None

    def wait_estimate(self, position: int) -> float:
        """Seconds until the job at `position` in line (1 = next) starts: behind the jobs
        before it, each at its expected length (an average job's for places no job holds)."""
        with self._lock:
            self._prune()
            ahead = [ref() for ref in list(self._waiting)[:position - 1]]
            ahead += [None] * (position - 1 - len(ahead))
            return self._wait_behind(ahead)

    def new_job_wait(self) -> float:
        """Seconds a job submitted now would wait: behind every job in line, but ahead of a
        learner's second job still held aside (it joins the back when its first starts)."""
        with self._lock:
            self._prune()
            return self._wait_behind([ref() for ref in self._waiting])

    def _wait_behind(self, ahead: list[PooledJob | None]) -> float:
        now = time.monotonic()
        # A job's own pace tells its time left better than any estimate (a long job ahead
        # would otherwise promise "about 10 s" for a minute); before its first batch, its
        # expected length less the time it has run.
        running_left = []
        for started, job in self._running_jobs():
            own = job.seconds_left() if job is not None else None
            running_left.append(own if own is not None
                                else self.expected_seconds(job) - (now - started))
        return estimated_wait([self.expected_seconds(job) for job in ahead], self.slots,
                              running_left)

    def expected_seconds(self, job: PooledJob | None) -> float:
        """How long `job` will hold its slot: a job's start, then its workload at the recent
        pace of its kind of job; the average job's length when none of its kind has trained
        yet."""
        workload = job.workload() if job is not None else None
        with self._lock:
            timings = self._timings.get(workload.kind) if workload is not None else None
            if workload is None or not timings:
                return self.average_job_seconds
            return (statistics.median(start for start, _ in timings)
                    + statistics.median(pace for _, pace in timings) * workload.units)

    @property
    def average_job_seconds(self) -> float:
        with self._lock:
            if not self._durations:
                return DEFAULT_JOB_SECONDS
            return sum(self._durations) / len(self._durations)

    def status(self) -> PoolStatus:
        with self._lock:
            self._prune()
            return PoolStatus(executor=self.executor_name, slots=self.slots,
                              running=len(self._running_started()),
                              waiting=len(self._waiting) + len(self._followers),
                              workers_alive=self._alive())

    def _record_duration(self, seconds: float, completed: PooledJob | None = None) -> None:
        """Time a job that held its slot `seconds`. completed: the job, when it trained all
        it was asked to (not stopped, not failed), whose pace then tells its kind's."""
        workload = completed.workload() if completed is not None else None
        trained = completed.training_seconds() if completed is not None else None
        with self._lock:
            self._durations.append(seconds)
            if workload is None or workload.units <= 0:
                return
            if trained is None or not 0 < trained <= seconds:
                trained = seconds  # a job that does not say how long it trained: all is pace
            timings = self._timings.pop(workload.kind, None) or deque(maxlen=PACES_PER_KIND)
            timings.append((seconds - trained, trained / workload.units))
            self._timings[workload.kind] = timings  # the latest kind last, the oldest dropped
            while len(self._timings) > MAX_KINDS:
                del self._timings[next(iter(self._timings))]

    def _prune(self) -> None:
        for pair in list(self._followers):
            first_ref, follower_ref = pair
            if follower_ref() is None:
                self._followers.remove(pair)
            elif first_ref() is None:  # its session let go of the first: the follower
                self._followers.remove(pair)  # takes its place, as when it is cancelled
                place = next((i for i, ref in enumerate(self._waiting) if ref is first_ref),
                             None)
                if place is None:
                    self._waiting.append(follower_ref)
                else:
                    self._waiting[place] = follower_ref
        for ref in [r for r in self._waiting if r() is None]:
            self._waiting.remove(ref)

    def _dispatch(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._prune()
            while self._waiting:
                slot = self._free_slot()
                if slot is None:
                    return
                job = self._waiting.popleft()()
                if job is not None:
                    # It has its turn: the job that followed it joins the back of the line,
                    # before the launch, which may fail (an unreachable cluster).
                    self._waiting.extend(weakref.ref(f) for f in self._followers_of(job))
                    try:
                        self._launch(slot, job)
                    except Exception as exc:  # noqa: BLE001 - the learner gets one sentence
                        # Out of the line and on no slot, the job would wait forever and
                        # its learner could start no other; and this may be another
                        # learner's submit or a finished job's watcher, which must go on.
                        logger.exception("Could not launch a training job")
                        job.on_ended(launch_failure(exc))
