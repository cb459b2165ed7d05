"""The Ray executor: slots from cluster resources, and a tiny job on a local Ray."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from cnn_core.jobs.iris import IrisRequest, IrisResult
from cnn_core.jobs.ray_executor import (
    ADDRESS_ENV,
    configured_address,
    deliverable_result,
    init_arguments,
    job_request,
    job_slots,
)
from cnn_core.jobs.spawning import MALLOC_ARENAS
from cnn_core.jobs.training import TrainConfig
from cnn_core.jobs.worker import TrainingProcess, TrainRequest


def test_slots_come_from_the_cluster_and_each_jobs_request():
    assert job_slots({"CPU": 16.0}, 1.0, 0.0) == 16
    assert job_slots({"CPU": 16.0, "GPU": 2.0}, 1.0, 0.25) == 8  # fractional GPUs bind
    assert job_slots({"CPU": 4.0, "GPU": 2.0}, 1.0, 0.25) == 4   # here the CPUs do
    assert job_slots({"CPU": 0.5}, 1.0, 0.0) == 1                # never less than one
    with pytest.raises(ValueError):
        job_slots({"CPU": 4.0}, 0.0, 0.0)


def test_each_job_asks_for_a_cpu_and_a_share_of_a_gpu_when_there_is_one():
    assert job_request({"CPU": 8.0}) == (1.0, 0.0)
    assert job_request({"CPU": 8.0, "GPU": 1.0}) == (1.0, 0.25)
    assert job_request({"CPU": 8.0, "GPU": 1.0}, cpus="2", gpus="0.5") == (2.0, 0.5)
    for cpus, gpus in (("0", None), ("many", None), ("1", "-1")):
        with pytest.raises(ValueError, match="CNN_CLASSROOM_RAY"):
            job_request({"CPU": 8.0}, cpus=cpus, gpus=gpus)


def test_local_ray_sees_this_checkout_and_a_cluster_gets_the_code(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setenv("CNN_CLASSROOM_DATA", "/data")
    local = init_arguments("local")
    assert local["runtime_env"]["env_vars"]["CNN_CLASSROOM_DATA"] == "/data"
    assert "PYTHONPATH" in local["runtime_env"]["env_vars"] and "address" not in local
    remote = init_arguments("ray://head:10001")
    for arguments in (local, remote):  # as the local pool's workers limit theirs
        assert arguments["runtime_env"]["env_vars"]["MALLOC_ARENA_MAX"] == str(MALLOC_ARENAS)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # an operator's own setting is kept
    assert init_arguments("auto")["runtime_env"]["env_vars"]["MALLOC_ARENA_MAX"] == "4"
    assert remote["address"] == "ray://head:10001"
    assert ".git" in remote["runtime_env"]["excludes"]
    assert remote["runtime_env"]["working_dir"] == local["runtime_env"]["env_vars"]["PYTHONPATH"]


def test_the_address_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    assert configured_address() is None
    monkeypatch.setenv(ADDRESS_ENV, "  ")
    assert configured_address() is None
    monkeypatch.setenv(ADDRESS_ENV, "auto")
    assert configured_address() == "auto"


@dataclass(frozen=True)
class WithModel:
    model_path: str
    tensorboard_zip: bytes | None = None


def test_a_result_comes_back_with_its_model_or_needs_none(tmp_path):
    server_copy = tmp_path / "model.keras"
    assert deliverable_result(WithModel("/node/model.keras"), b"model", str(server_copy)) == \
        WithModel(str(server_copy))
    assert server_copy.read_bytes() == b"model"
    # The history's event files travel inside the result, whichever node trained it.
    assert deliverable_result(WithModel("/node/model.keras", b"PK"), b"model",
                              str(server_copy)).tensorboard_zip == b"PK"
    # A model that did not come back: no result that points at a missing file.
    assert deliverable_result(WithModel("/node/model.keras"), None, str(tmp_path / "x")) is None
    assert not (tmp_path / "x").exists()
    # The iris network's result carries every picture as arrays and no model file.
    plain = object()
    assert deliverable_result(plain, None, str(tmp_path / "y")) is plain
    assert deliverable_result(None, b"model", str(tmp_path / "z")) is None


@pytest.mark.slow
def test_a_tiny_job_trains_on_a_local_ray_and_its_model_comes_back(tmp_path):
    pytest.importorskip("ray", reason="pip install -r requirements.txt installs ray")
    from cnn_core.jobs.ray_executor import RayExecutor

    executor = RayExecutor("local", cpus_per_job="1", gpus_per_job="0")
    try:
        assert executor.slots >= 1 and "Ray cluster" in executor.status().executor
        request = TrainRequest("mnist", "dense_baseline", {},
                               TrainConfig(epochs=2, batch_size=32), n_train=1_500)
        job = TrainingProcess(request, tmp_path / "server", pool=executor).start()
        statuses = set()
        deadline = time.monotonic() + 240
        while not job.done and time.monotonic() < deadline:
            statuses.add(job.snapshot().status)
            time.sleep(0.2)
        assert job.done, job.snapshot()
        assert job.error is None, job.error
        assert "training" in statuses or "loading" in statuses  # progress streamed back
        assert job.result.model_path == job.model_path
        assert (tmp_path / "server").joinpath(job.model_path.split("/")[-1]).is_file()
        assert job.result.test_accuracy > 0.3 and len(job.result.history["accuracy"]) == 2
        assert job.result.tensorboard_zip.startswith(b"PK")  # the history, zipped on the node
        # The neurons page's iris network goes through the same executor, with no model file.
        iris = TrainingProcess(IrisRequest(epochs=5), tmp_path / "server", pool=executor).start()
        assert iris.join(120), iris.snapshot()
        assert iris.error is None, iris.error
        assert isinstance(iris.result, IrisResult) and iris.result.epochs_run == 5
        assert iris.snapshot().status == "done"
        # A model that cannot be written on this server (its session's folder swept
        # meanwhile) ends its job with a sentence, and the job's slot frees.
        swept = tmp_path / "swept"
        lost = TrainingProcess(replace(request, config=TrainConfig(epochs=1, batch_size=32)),
                               swept, pool=executor)
        shutil.rmtree(swept)
        lost.start()
        assert lost.join(120), lost.snapshot()
        assert "could not be saved on this server" in lost.error
        assert lost.snapshot().status == "failed" and executor.status().running == 0
        # Ray's worker processes start with glibc's arenas limited, as the pool's workers.
        import ray

        def _arenas_at_process_start() -> str | None:
            """MALLOC_ARENA_MAX as the process started with it (what glibc read), where Linux
            says. Defined here, so Ray sends it by value (the worker need not import tests)."""
            start = Path("/proc/self/environ")
            if not start.exists():
                return os.environ.get("MALLOC_ARENA_MAX")
            settings = dict(item.split(b"=", 1) for item in start.read_bytes().split(b"\0")
                            if b"=" in item)
            value = settings.get(b"MALLOC_ARENA_MAX")
            return value.decode() if value is not None else None

        read_setting = ray.remote(num_cpus=0)(_arenas_at_process_start)
        expected = os.environ.get("MALLOC_ARENA_MAX", str(MALLOC_ARENAS))
        assert ray.get(read_setting.remote(), timeout=60) == expected
    finally:
        executor.close()
