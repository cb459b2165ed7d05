"""The device probe answers from a subprocess and never imports TensorFlow here."""

from __future__ import annotations

import sys

import pytest

from cnn_core.jobs.device import DeviceInfo, probe_device


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
