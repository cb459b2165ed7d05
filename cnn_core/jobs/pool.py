"""A classroom's training queue in front of a pool of warm worker processes.

Thirty learners pressing Train together must not start thirty TensorFlow processes: each
needs about 1 GB, and the out-of-memory killer would then end jobs or the server itself.
So at most `slots` jobs train at once, each in a worker process that imported TensorFlow
once and is reused across jobs (a fresh Keras session per job); the rest wait first come,
first served, one waiting job per learner.

The pool keeps one warm worker more than it has slots. A job leaves its slot when its
training ends (the worker says `TRAINING_DONE`), so the next job starts in the spare worker
while the previous one is still tested and saved: on one slot those seconds added up to a
third of a class's time (bench/classroom_load.py).

A worker that crashes, or grows past its memory ceiling, is replaced; its job (if any) ends
with a one-sentence failure and the queue goes on. The queue itself (order, fairness, the
place in line) is `cnn_core.jobs.job_queue.JobQueue`; a running job whose learner's session
is dropped is stopped so its slot frees.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import queue
import threading
import time
import weakref
from multiprocessing.reduction import ForkingPickler

from cnn_core.jobs.device import visible_gpu_count
from cnn_core.jobs.job_queue import (
    SHUT_DOWN_WHILE_RUNNING,
    SHUT_DOWN_WHILE_WAITING,
    TRAINING_DONE,
    JobQueue,
    PooledJob,
)
from cnn_core.jobs.spawning import exit_with_parent, limit_malloc_arenas, plain_main

logger = logging.getLogger(__name__)

# Each MNIST job peaks near 1 GB with TensorFlow loaded; keep a margin for the server itself.
MEMORY_PER_JOB_BYTES = 1_200_000_000
SERVER_RESERVE_BYTES = 2_000_000_000
# Jobs that share one GPU: small classroom models use a fraction of a card each.
JOBS_PER_GPU = 4
# A default MNIST job peaks at 1.1-1.5 GB resident, TensorFlow's shared libraries included;
# a worker still holding more than this after a job has grown (freed memory is rarely
# returned to the system) and is replaced. Too low a ceiling recycles every worker.
DEFAULT_WORKER_CEILING_MB = 2_500
# After a stop request, how long a job may take to finish its batch (and say its training
# ended) before its worker is killed (and replaced).
STOP_GRACE_S = 30.0
# How long a stopped job may then take to be tested and saved (the model Stop promises to
# keep). A default MNIST job needs seconds; an own-images transfer job's test set through
# MobileNet, its save and the TensorBoard zip, on two cores shared with a class and at a
# lower priority than the server, can take a minute or two. Five minutes covers that with
# room, yet frees a hung worker (and the gigabyte it holds) within a lesson.
SAVE_GRACE_S = 300.0
# How long the pool waits before it tries again to start a worker after a start failed
# (typically out of memory or file handles, just after the out-of-memory killer struck).
SPAWN_RETRY_S = 5.0
# Warm workers beyond the slots: one starts the next job while another tests and saves the
# last (about 0.5 GB more, TensorFlow's libraries being shared between workers).
SPARE_WORKERS = 1
# How much lower than the server's the workers' CPU priority is (Unix `nice`, 0 to 19): the
# lowest. Training is the one thing on the server that can always wait a moment, and at 10 a
# worker's two or three TensorFlow threads still weighed a third of the server whenever a
# learner's click needed it (the kernel page's p95 under a class, three pairs of runs in
# turns: 1.05 s, 1.10 s, 1.12 s at 10; 0.76 s, 0.84 s, 1.05 s at 19, the class done no later;
# bench/classroom_load.py). One learner's training beside their live page
# (bench/train_mnist.py) measured the same within the machine's drift; with nothing else to
# run, the priority costs training nothing.
WORKER_NICENESS = 19
MAX_JOBS_ENV = "CNN_CLASSROOM_MAX_JOBS"
CEILING_ENV = "CNN_CLASSROOM_WORKER_MAX_MB"

# Pools still open, closed when the interpreter exits (see `_close_at_exit`).
_open_pools: weakref.WeakSet[WorkerPool] = weakref.WeakSet()


def default_slots(cpu_count: int, memory_bytes: int, gpu_count: int = 0,
                  override: str | None = None) -> int:
    """How many jobs may train at once on this machine.

    Cores bound CPU training (TensorFlow already spreads one job over several threads, so
    one job per two cores), memory bounds everything, and a GPU takes a few jobs at once.
    `override` is the `CNN_CLASSROOM_MAX_JOBS` setting, a positive whole number.
    """
    if override not in (None, ""):
        try:
            value = int(override)
        except ValueError:
            raise ValueError(f"{MAX_JOBS_ENV} must be a whole number, not {override!r}.") from None
        if value < 1:
            raise ValueError(f"{MAX_JOBS_ENV} must be at least 1.")
        return value
    by_memory = max(1, (memory_bytes - SERVER_RESERVE_BYTES) // MEMORY_PER_JOB_BYTES)
    by_compute = gpu_count * JOBS_PER_GPU if gpu_count else max(1, cpu_count // 2)
    return int(max(1, min(by_memory, by_compute)))


def machine_slots() -> int:
    """`default_slots` for this machine: its cores, memory and visible NVIDIA GPUs."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = 8_000_000_000
    return default_slots(os.cpu_count() or 1, memory, visible_gpu_count(),
                         os.environ.get(MAX_JOBS_ENV))


class _Worker:
    """One warm process with its own inbox, outbox and stop flag."""

    def __init__(self, pool: WorkerPool, index: int):
        context = multiprocessing.get_context("spawn")
        self.index = index
        self.inbox = context.Queue()
        self.outbox = context.Queue()
        self.stop_event = context.Event()
        self.process = context.Process(
            target=_run_worker, name=f"cnn-classroom-worker-{index}", daemon=True,
            args=(pool.environment, _worker_loop, self.inbox, self.outbox, self.stop_event,
                  pool.ceiling_mb))
        self.job_ref: weakref.ref | None = None
        self.job_started: float = 0.0
        # True from a job's launch until its training ends (so only while busy); a slot is a
        # training worker.
        self.training = False
        # When a stopped job's worker is killed if the job has not ended by then; belongs to
        # the job now on the worker (cleared when it ends), so an idle worker is never killed.
        self.stop_deadline: float | None = None
        self.retired = False
        with plain_main():
            self.process.start()
        try:
            self.reader = threading.Thread(target=pool._read, args=(self,), daemon=True,
                                           name=f"worker-{index}-reader")
            self.reader.start()
        except BaseException:
            self.process.kill()  # unwatched, it would hold its memory until the server ends
            raise

    @property
    def busy(self) -> bool:
        return self.job_ref is not None

    def job(self):
        return self.job_ref() if self.job_ref is not None else None


class WorkerPool(JobQueue):
    """At most `slots` jobs training, in `slots + spare` warm workers; a FIFO queue in
    front, one waiting job per owner."""

    def __init__(self, slots: int | None = None, ceiling_mb: int | None = None,
                 spare: int = SPARE_WORKERS):
        super().__init__(slots or machine_slots())
        self.ceiling_mb = ceiling_mb or int(os.environ.get(CEILING_ENV,
                                                           DEFAULT_WORKER_CEILING_MB))
        workers = self.slots + max(0, spare)
        # Every worker the pool ever starts gets the environment the pool started with: a
        # replacement started minutes later must be like the worker it replaces, whatever
        # the server's process has set meanwhile (where data sets are, Keras' cache).
        self.environment = dict(os.environ)
        self.executor_name = (f"Local pool of {workers} worker process"
                              + ("es" if workers != 1 else ""))
        self._size = workers
        self._workers: list[_Worker] = []
        self._next_index = 0
        # Set when the pool has fewer workers than its size, or is closed.
        self._short = threading.Event()
        for _ in range(workers):
            self._workers.append(self._spawn())
        _close_at_exit(self)
        # Replacements start on a thread of their own: a process start takes a moment that
        # every learner's panel would wait on the lock for, and one that fails must neither
        # end a reader thread nor keep the queue from going on with the workers it has.
        self._keeper = threading.Thread(target=self._keep_workers, daemon=True,
                                        name="worker-pool-keeper")
        self._keeper.start()

    def _spawn(self) -> _Worker:
        with self._lock:
            self._next_index += 1
            index = self._next_index
        return _Worker(self, index)

    def _keep_workers(self) -> None:
        """Runs on the keeper thread: start workers in place of retired ones, retrying every
        SPAWN_RETRY_S while starting fails."""
        retry_s = None
        while True:
            self._short.wait(retry_s)
            self._short.clear()
            if self._closed:
                return
            retry_s = None if self._top_up() else SPAWN_RETRY_S

    def _top_up(self) -> bool:
        """Start workers until the pool has its size again; False if a start failed."""
        while True:
            with self._lock:
                if self._closed or len(self._workers) >= self._size:
                    return True
            try:
                worker = self._spawn()
            except Exception:  # noqa: BLE001 - the pool goes on with fewer workers meanwhile
                logger.exception("Could not start a training worker; trying again in %.0f s",
                                 SPAWN_RETRY_S)
                return False
            with self._lock:
                if not self._closed:
                    self._workers.append(worker)
                    self._dispatch()
                    continue
            worker.retired = True  # closed while it started
            worker.process.kill()
            return True

    # -- the executor's part of the queue --------------------------------------------------
    def _free_slot(self) -> _Worker | None:
        if len(self._running_started()) >= self.slots:
            return None
        return next((w for w in self._workers
                     if not w.busy and not w.retired and w.process.is_alive()), None)

    def _launch(self, worker: _Worker, job: PooledJob) -> None:
        # A process queue pickles on a thread of its own, where a failure is only printed and
        # the job would wait for ever on a worker that never got it: pickled here first, a
        # task that cannot cross ends its job with a sentence and leaves the worker as it was.
        task = job.task()
        ForkingPickler.dumps(task)
        worker.stop_event.clear()
        worker.stop_deadline = None
        worker.job_ref = weakref.ref(job, self._job_dropped(worker))
        worker.job_started = time.monotonic()
        worker.training = True
        try:
            worker.inbox.put(task)
        except BaseException:
            # Not handed over (the worker's inbox is closed):
            # the queue ends the job with a sentence, and the worker, which may be broken, is
            # retired for the keeper to replace. Marked busy, it held its slot for good.
            worker.job_ref, worker.training, worker.retired = None, False, True
            with contextlib.suppress(Exception):
                worker.process.kill()
            if worker in self._workers:
                self._workers.remove(worker)
            self._short.set()
            raise
        job.on_started(worker.process.pid or 0)

    def _running_jobs(self) -> list[tuple[float, PooledJob | None]]:
        return [(w.job_started, w.job()) for w in self._workers if w.training]

    def _alive(self) -> int:
        return sum(1 for w in self._workers if w.process.is_alive())

    def stop_job(self, job: PooledJob) -> None:
        """Ask the worker running `job` to stop after its current batch."""
        with self._lock:
            for worker in self._workers:
                if worker.job() is job:
                    self._request_stop(worker)

    def kill_job(self, job: PooledJob) -> None:
        """End the worker running `job` now; the pool replaces it."""
        with self._lock:
            for worker in self._workers:
                if worker.job() is job and worker.process.is_alive():
                    worker.process.kill()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.pid is not None]

    def close(self) -> None:
        """Stop every worker (tests and server shutdown)."""
        _open_pools.discard(self)
        with self._lock:
            waiting = self._close_line()
            workers, self._workers = self._workers, []
        self._short.set()  # the keeper sees the pool closed and starts nothing more
        for job in waiting:
            job.on_ended(SHUT_DOWN_WHILE_WAITING)
        for worker in workers:
            worker.retired = True
            job = worker.job()
            worker.job_ref = None
            if job is not None:
                job.on_ended(SHUT_DOWN_WHILE_RUNNING)
            if worker.process.is_alive():
                worker.process.kill()
            worker.process.join(timeout=5)

    @staticmethod
    def _request_stop(worker: _Worker) -> None:
        """Stop the job on `worker` after its batch; one that has already trained only has
        its test and save left, so it gets the longer bound at once."""
        worker.stop_event.set()
        if worker.stop_deadline is None:
            worker.stop_deadline = time.monotonic() + (STOP_GRACE_S if worker.training
                                                       else SAVE_GRACE_S)

    def _job_dropped(self, worker: _Worker):
        """A running job whose learner left: stop it so the slot frees soon."""
        def dropped(ref) -> None:
            # Without the lock: a garbage collection may run this on any thread, in the middle
            # of anything. The reference is the worker's own until the job ends.
            if worker.job_ref is ref:
                self._request_stop(worker)
        return dropped

    def _finish(self, worker: _Worker, error: str | None, retire: bool = False) -> None:
        with self._lock:
            # Retire first: the job's owner may submit again the moment it hears of the end.
            worker.retired = worker.retired or retire
            job = worker.job()
            if worker.training:  # ended before it said its training was done (or never says)
                self._training_ended(worker, completed=error is None
                                     and worker.stop_deadline is None)
            worker.job_ref = None
            # A Stop's grace was for its job: the idle worker stays warm for the next one.
            worker.stop_deadline = None
            worker.stop_event.clear()
        if job is not None:
            job.on_ended(error)

    def _training_ended(self, worker: _Worker, completed: bool = False) -> None:
        """The job on `worker` no longer trains: its slot frees. The queue's estimates time
        a job from launch to here, when the next one can start (called with the lock held).
        completed: it trained all it was asked to, so its pace is its kind's."""
        worker.training = False
        self._record_duration(time.monotonic() - worker.job_started,
                              worker.job() if completed else None)

    def _replace(self, worker: _Worker) -> None:
        """Drop a retired worker; the keeper starts its replacement, and meanwhile the queue
        goes on with the others (`_free_slot` only offers the workers in the list)."""
        with self._lock:
            worker.retired = True
            if worker in self._workers:
                self._workers.remove(worker)
            self._dispatch()
        self._short.set()

    def _end_if_overdue(self, worker: _Worker) -> None:
        """Kill the worker of a stopped job that has outlasted its grace. Under the lock, so
        that a job launched on the worker as its last job ends is never the one killed."""
        with self._lock:
            if (worker.busy and worker.stop_deadline is not None
                    and time.monotonic() > worker.stop_deadline):
                worker.process.kill()

    def _read(self, worker: _Worker) -> None:
        """Runs on the worker's reader thread: forward messages, notice ends and crashes."""
        while not worker.retired:
            # Checked on every message, not only when none came: a job that ignores Stop
            # still sends its progress more often than the reader waits for one.
            self._end_if_overdue(worker)
            try:
                kind, payload = worker.outbox.get(timeout=0.5)
            except queue.Empty:
                if not worker.process.is_alive():
                    self._worker_died(worker)
                    return
                continue
            except (EOFError, OSError):
                self._worker_died(worker)
                return
            if kind == "job_end":
                error, recycle = payload
                self._finish(worker, error, retire=recycle)
                if recycle:
                    worker.inbox.put(None)
                    worker.process.join(timeout=10)
                    self._replace(worker)
                    return
                self._dispatch()
                continue
            if kind == TRAINING_DONE:
                with self._lock:
                    if worker.training:
                        self._training_ended(worker, completed=worker.stop_deadline is None)
                    if worker.stop_deadline is not None:  # it heeded the Stop: now test, save
                        worker.stop_deadline = time.monotonic() + SAVE_GRACE_S
                    self._dispatch()
                continue
            job = worker.job()
            if job is not None:
                job.on_message(kind, payload)

    def _worker_died(self, worker: _Worker) -> None:
        if worker.retired:
            return
        worker.process.join(timeout=1)
        if worker.stop_event.is_set():
            error = "Training was stopped before the model could be saved."
        else:
            error = ("The training worker crashed (exit code "
                     f"{worker.process.exitcode}), perhaps out of memory; please train "
                     "again, with a smaller subset if it happens again.")
        self._finish(worker, error, retire=True)
        self._replace(worker)


def _close_at_exit(pool: WorkerPool) -> None:
    """Close `pool` when the interpreter exits, before multiprocessing's own exit handler.

    That handler terminates every daemonic child; a pool still open would take its workers'
    deaths for crashes and start replacements while the interpreter tears down, whose start
    then fails (their semaphores already gone) and leaks. Exit handlers run last registered
    first, and multiprocessing registered its own by the time a worker started: registered
    again now (once, wherever it was), ours runs before it.
    """
    _open_pools.add(pool)
    atexit.unregister(_close_pools_at_exit)
    atexit.register(_close_pools_at_exit)


def _close_pools_at_exit() -> None:
    for pool in list(_open_pools):
        with contextlib.suppress(Exception):  # exiting anyway: close the others still
            pool.close()


def _resident_mb() -> float:
    """This process's resident memory now, in MB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        return 0.0


def _run_worker(environment: dict[str, str], loop, *args) -> None:
    """A worker process's entry point: the pool's environment, then its loop."""
    os.environ.clear()
    os.environ.update(environment)
    loop(*args)


def _worker_loop(inbox, outbox, stop_event, ceiling_mb: int) -> None:
    """A warm worker: import TensorFlow once, then run one job after another."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    limit_malloc_arenas()  # before any thread of ours or TensorFlow's allocates
    exit_with_parent()
    # Training yields the CPU to the Streamlit server: a class's jobs then slow each other a
    # little instead of making every learner's clicks on the other pages wait for a core.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    from cnn_core.jobs.worker import configure_tensorflow, run_job

    configure_tensorflow(False)
    while True:
        task = inbox.get()
        if task is None:
            return
        request, model_path = task
        error = run_job(request, model_path, lambda kind, payload: outbox.put((kind, payload)),
                        stop_event)
        import gc

        import keras

        keras.backend.clear_session()
        gc.collect()
        recycle = _resident_mb() > ceiling_mb
        outbox.put(("job_end", (error, recycle)))
        if recycle:
            return

