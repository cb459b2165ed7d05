"""The device probe answers from a subprocess and never imports TensorFlow here."""

from __future__ import annotations

import sys

import pytest

from cnn_core.jobs.device import DeviceInfo, probe_device, visible_gpu_count


@pytest.mark.slow
def test_probe_reports_cpu_or_gpu_without_importing_tensorflow_here():
    info = probe_device()
    assert info.error is None, info.error
    assert info.tensorflow_version
    assert info.label.startswith(("CPU", "GPU"))


def test_labels():
    assert DeviceInfo(gpus=["NVIDIA H100"]).label == "GPU: NVIDIA H100"
    assert DeviceInfo().label == "CPU (no GPU found)"
    assert "unknown" in DeviceInfo(error="x").label


def test_probe_survives_a_missing_interpreter(monkeypatch):
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert probe_device(timeout=5).error


@pytest.mark.parametrize("visible, expected", [
    (None, 3), ("0", 1), ("0,2", 2), ("2,0,1", 3), ("", 0), ("-1", 0), ("0,-1,1", 1),
    ("0,1,2,3,4", 3),  # more ids than cards: only the cards the driver has
])
def test_gpus_are_counted_from_the_driver_and_cuda_visible_devices(tmp_path, visible, expected):
    for address in ("0000:01:00.0", "0000:02:00.0", "0000:03:00.0"):
        (tmp_path / address).mkdir()
    env = {} if visible is None else {"CUDA_VISIBLE_DEVICES": visible}
    assert visible_gpu_count(env, str(tmp_path)) == expected


def test_no_driver_means_no_gpu(tmp_path):
    assert visible_gpu_count({}, str(tmp_path / "missing")) == 0
    assert visible_gpu_count({"CUDA_VISIBLE_DEVICES": "0"}, str(tmp_path / "missing")) == 0


def test_a_gpu_machine_gets_slots_for_several_jobs_per_card(monkeypatch):
    """The queue's size on a GPU server follows the cards, not the cores."""
    from cnn_core.jobs import pool

    monkeypatch.setattr(pool, "visible_gpu_count", lambda: 1)
    monkeypatch.setattr(pool.os, "cpu_count", lambda: 2)
    sixteen_gb = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 16_000_000_000 // 4096}
    monkeypatch.setattr(pool.os, "sysconf", sixteen_gb.__getitem__)
    monkeypatch.delenv(pool.MAX_JOBS_ENV, raising=False)
    assert pool.machine_slots() == pool.JOBS_PER_GPU == 4
    monkeypatch.setattr(pool, "visible_gpu_count", lambda: 0)
    assert pool.machine_slots() == 1  # two cores: one job at a time
