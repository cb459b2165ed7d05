"""Training jobs on a Ray cluster, for a school that outgrows one server.

Chosen with `CNN_CLASSROOM_RAY_ADDRESS` (`local` starts a Ray on this machine; `auto` joins
the cluster this machine belongs to; `ray://host:10001` connects as a client); Ray is
imported only then. The queue in front is the same `JobQueue` as the local pool's, so
learners see the same place in line; its slots are what the cluster can run at once. Each
job runs in its own Ray actor that asks for its CPUs and a fraction of a GPU (so several
learners share one card), streams progress back through `poll`, and returns the saved
model's bytes, because the node that trained it may not share a disk with this server (the
run's TensorBoard files come back inside the result, as `TrainResult.tensorboard_zip`).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cnn_core.config import REPO_ROOT
from cnn_core.jobs.job_queue import (
    SHUT_DOWN_WHILE_RUNNING,
    SHUT_DOWN_WHILE_WAITING,
    JobQueue,
    PooledJob,
)
from cnn_core.jobs.spawning import MALLOC_ARENAS

ADDRESS_ENV = "CNN_CLASSROOM_RAY_ADDRESS"
CPUS_ENV = "CNN_CLASSROOM_RAY_CPUS_PER_JOB"
GPUS_ENV = "CNN_CLASSROOM_RAY_GPUS_PER_JOB"
# A classroom CNN uses a small part of a modern card: four learners share one by default.
DEFAULT_GPU_SHARE = 0.25
POLL_S = 0.5
# Variables a job needs on the nodes, copied from this server's environment when set.
FORWARDED_ENV = ("CNN_CLASSROOM_DATA", "CNN_CLASSROOM_OFFLINE", "CNN_CLASSROOM_CACHE",
                 "KERAS_HOME")
# Never uploaded to a cluster with the code.
UPLOAD_EXCLUDES = [".git", ".venv", "data", "test-artifacts", "bench/results", "**/__pycache__"]


def configured_address() -> str | None:
    value = os.environ.get(ADDRESS_ENV, "").strip()
    return value or None


def job_slots(resources: dict[str, float], cpus_per_job: float, gpus_per_job: float) -> int:
    """How many jobs the cluster runs at once with these requests (at least one)."""
    if cpus_per_job <= 0:
        raise ValueError("Each Ray job needs a positive number of CPUs.")
    slots = math.floor(resources.get("CPU", 0) / cpus_per_job + 1e-9)
    if gpus_per_job > 0:
        slots = min(slots, math.floor(resources.get("GPU", 0) / gpus_per_job + 1e-9))
    return max(1, int(slots))


def job_request(resources: dict[str, float], cpus: str | None = None,
                gpus: str | None = None) -> tuple[float, float]:
    """(CPUs, GPUs) each job asks for: settings first, else 1 CPU and a share of a GPU
    when the cluster has GPUs."""
    try:
        cpu_count = float(cpus) if cpus else 1.0
        gpu_share = float(gpus) if gpus else (DEFAULT_GPU_SHARE if resources.get("GPU") else 0.0)
    except ValueError:
        raise ValueError(f"{CPUS_ENV} and {GPUS_ENV} must be numbers such as 1 or 0.25.") \
            from None
    if not (cpu_count > 0 and 0 <= gpu_share <= 8):
        raise ValueError(f"{CPUS_ENV} must be above 0 and {GPUS_ENV} between 0 and 8.")
    return cpu_count, gpu_share


def init_arguments(address: str) -> dict[str, Any]:
    """Keyword arguments for `ray.init`: a local Ray sees this checkout on its path; a
    remote cluster gets the code uploaded as the job's working directory."""
    env_vars = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
    env_vars["TF_CPP_MIN_LOG_LEVEL"] = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")
    # As the local pool's workers limit theirs (spawning.limit_malloc_arenas): about 130 MB
    # less per training process. Ray sets these before it starts a worker process, which is
    # when glibc reads this one.
    env_vars["MALLOC_ARENA_MAX"] = os.environ.get("MALLOC_ARENA_MAX", str(MALLOC_ARENAS))
    common = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True}
    if address == "local":
        env_vars["PYTHONPATH"] = str(REPO_ROOT)
        return {**common, "num_cpus": os.cpu_count() or 1,
                "object_store_memory": 200 * 1024 * 1024,
                "runtime_env": {"env_vars": env_vars}}
    return {**common, "address": address,
            "runtime_env": {"env_vars": env_vars, "working_dir": str(REPO_ROOT),
                            "excludes": UPLOAD_EXCLUDES}}


def deliverable_result(result: Any, model_bytes: bytes | None, model_path: str) -> Any | None:
    """The result to hand to the learner's job once a run on the cluster has ended.

    A result with a model (a TrainResult) needs the model's bytes, written to `model_path`
    on this server, or it is not delivered (the job then ends without one). A result that
    carries no model file (the iris network's, every picture in plain arrays) goes as it is.
    """
    if result is None:
        return None
    if not hasattr(result, "model_path"):
        return result
    if not model_bytes:
        return None
    Path(model_path).write_bytes(model_bytes)
    return replace(result, model_path=model_path)


class JobRunner:
    """The actor body: runs one job on a Ray node (made a Ray actor by `RayExecutor`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[tuple[str, Any]] = []
        self._stop = threading.Event()

    def _send(self, kind: str, payload: Any) -> None:
        with self._lock:
            if kind == "progress" and self._messages and self._messages[-1][0] == "progress":
                self._messages[-1] = (kind, payload)  # only the newest progress matters
            else:
                self._messages.append((kind, payload))

    def run(self, request, model_name: str) -> tuple[str | None, bytes | None]:
        from cnn_core.jobs.worker import run_job

        folder = tempfile.mkdtemp(prefix="cnn-classroom-ray-")
        try:
            path = Path(folder) / Path(model_name).name
            error = run_job(request, str(path), self._send, self._stop)
            return error, (path.read_bytes() if error is None and path.is_file() else None)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def poll(self) -> list[tuple[str, Any]]:
        with self._lock:
            messages, self._messages = self._messages, []
        return messages

    def stop(self) -> None:
        self._stop.set()


@dataclass
class _RayRun:
    job_ref: weakref.ref
    actor: Any
    result_ref: Any
    started: float
    model_path: str
    killed: bool = False
    stopped: bool = False  # a learner's Stop: it trained less than asked


class RayExecutor(JobQueue):
    """The training queue in front of a Ray cluster."""

    def __init__(self, address: str, cpus_per_job: str | None = None,
                 gpus_per_job: str | None = None):
        import ray

        self._ray = ray
        self._started_ray = not ray.is_initialized()
        if self._started_ray:
            ray.init(**init_arguments(address))
        resources = ray.cluster_resources()
        self.cpus_per_job, self.gpus_per_job = job_request(
            resources, cpus_per_job or os.environ.get(CPUS_ENV),
            gpus_per_job or os.environ.get(GPUS_ENV))
        super().__init__(job_slots(resources, self.cpus_per_job, self.gpus_per_job))
        self.executor_name = (
            f"Ray cluster at {address} ({resources.get('CPU', 0):g} CPUs, "
            f"{resources.get('GPU', 0):g} GPUs; each job asks for {self.cpus_per_job:g} CPU"
            + (f" and {self.gpus_per_job:g} GPU" if self.gpus_per_job else "") + ")")
        self._actor_class = ray.remote(max_concurrency=2)(JobRunner)
        self._runs: dict[int, _RayRun] = {}

    # -- the executor's part of the queue --------------------------------------------------
    def _free_slot(self) -> int | None:
        return next((n for n in range(self.slots) if n not in self._runs), None)

    def _launch(self, slot: int, job: PooledJob) -> None:
        request, model_path = job.task()
        actor = self._actor_class.options(num_cpus=self.cpus_per_job,
                                          num_gpus=self.gpus_per_job).remote()
        run = _RayRun(weakref.ref(job, lambda _ref: actor.stop.remote()), actor,
                      actor.run.remote(request, Path(model_path).name), time.monotonic(),
                      model_path)
        self._runs[slot] = run
        job.on_started(0)
        threading.Thread(target=self._watch, args=(slot, run), daemon=True,
                         name=f"ray-job-{slot}").start()

    def _running_jobs(self) -> list[tuple[float, PooledJob | None]]:
        return [(run.started, run.job_ref()) for run in self._runs.values()]

    def _alive(self) -> int:
        return len(self._runs)

    def stop_job(self, job: PooledJob) -> None:
        for run in list(self._runs.values()):
            if run.job_ref() is job:
                run.stopped = True
                run.actor.stop.remote()

    def kill_job(self, job: PooledJob) -> None:
        for run in list(self._runs.values()):
            if run.job_ref() is job:
                run.killed = True
                with contextlib.suppress(Exception):
                    self._ray.kill(run.actor)

    def close(self) -> None:
        with self._lock:
            waiting = self._close_line()
            runs = list(self._runs.values())
        for job in waiting:
            job.on_ended(SHUT_DOWN_WHILE_WAITING)
        for run in runs:
            with contextlib.suppress(Exception):
                self._ray.kill(run.actor)
        if self._started_ray:
            self._ray.shutdown()

    # -- watching a job ------------------------------------------------------------------------
    def _forward(self, run: _RayRun, messages: list[tuple[str, Any]]) -> None:
        job = run.job_ref()
        if job is None:
            return
        for kind, payload in messages:
            if kind != "result":  # the result waits for the model's bytes
                job.on_message(kind, payload)

    def _watch(self, slot: int, run: _RayRun) -> None:
        ray = self._ray
        result = None
        error: str | None = None
        while True:
            try:
                messages = ray.get(run.actor.poll.remote(), timeout=60)
            except Exception:  # noqa: BLE001 - a dead actor or node ends up below
                messages = []
            result = next((p for k, p in messages if k == "result"), result)
            self._forward(run, messages)
            done, _ = ray.wait([run.result_ref], timeout=POLL_S)
            if done:
                break
        try:
            error, model_bytes = ray.get(run.result_ref)
            for kind, payload in ray.get(run.actor.poll.remote(), timeout=60):
                result = payload if kind == "result" else result
                self._forward(run, [(kind, payload)])
        except Exception as exc:  # noqa: BLE001 - every failure becomes one sentence
            model_bytes = None
            if run.killed:
                error = "Training was stopped before the model could be saved."
            if self._closed:  # its actor killed by close(), not lost
                error = SHUT_DOWN_WHILE_RUNNING
            error = error or ("The training job was lost on the cluster "
                              f"({type(exc).__name__}), perhaps out of memory or stopped; "
                              "please train again.")
        job = run.job_ref()
        if job is not None and error is None:
            try:
                delivered = deliverable_result(result, model_bytes, run.model_path)
            except OSError as exc:  # a full disk, or the session's folder swept meanwhile
                delivered = None
                error = (f"The trained model could not be saved on this server "
                         f"({exc.strerror or type(exc).__name__}); please train again.")
            if delivered is not None:
                job.on_message("result", delivered)
        with self._lock:
            self._runs.pop(slot, None)
        self._record_duration(time.monotonic() - run.started,
                              job if error is None and not run.stopped else None)
        with contextlib.suppress(Exception):
            ray.kill(run.actor)
        if job is not None:
            job.on_ended(error)
        self._dispatch()
