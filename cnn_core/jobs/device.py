"""Which device TensorFlow would train on, asked of a short-lived subprocess.

The Streamlit server must never import TensorFlow itself: once `keras` is in
`sys.modules`, Streamlit clears the Keras session and runs full garbage collections after
every rerun of every session. A subprocess answers once and exits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

_PROBE = """
import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf
gpus = tf.config.list_physical_devices("GPU")
names = []
for gpu in gpus:
    details = tf.config.experimental.get_device_details(gpu)
    names.append(details.get("device_name") or gpu.name)
print(json.dumps({"tensorflow": tf.__version__, "gpus": names}))
"""


@dataclass(frozen=True)
class DeviceInfo:
    gpus: list[str] = field(default_factory=list)
    tensorflow_version: str | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        """Plain words for the status box, e.g. 'GPU: NVIDIA H100' or 'CPU (no GPU found)'."""
        if self.error:
            return f"unknown ({self.error})"
        if self.gpus:
            return "GPU: " + ", ".join(self.gpus)
        return "CPU (no GPU found)"


def probe_device(timeout: float = 60.0) -> DeviceInfo:
    """Ask a fresh Python process which GPUs TensorFlow sees. Never raises."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                              timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return DeviceInfo(error="TensorFlow took too long to start")
    except OSError as exc:
        return DeviceInfo(error=f"could not start Python: {exc.strerror}")
    if done.returncode != 0:
        if "No module named" in done.stderr:
            return DeviceInfo(
                error="TensorFlow is not installed; run pip install -r requirements.txt")
        return DeviceInfo(error="TensorFlow failed to start")
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return DeviceInfo(error="TensorFlow gave no answer")
    return DeviceInfo(gpus=list(answer["gpus"]), tensorflow_version=answer["tensorflow"])


NVIDIA_GPUS_DIR = "/proc/driver/nvidia/gpus"  # one folder per card the driver sees


def visible_gpu_count(env: dict[str, str] | None = None,
                      gpus_dir: str = NVIDIA_GPUS_DIR) -> int:
    """NVIDIA GPUs a training worker may use, counted without TensorFlow or a subprocess, so
    the training queue can size itself while the server starts.

    CUDA_VISIBLE_DEVICES, when set, decides ("" or "-1" hides every card; TensorFlow stops
    at the first invalid entry too); otherwise every card the driver lists. 0 without a
    driver (a laptop, a CPU server, macOS)."""
    env = os.environ if env is None else env
    visible = env.get("CUDA_VISIBLE_DEVICES")
    try:
        installed = len(os.listdir(gpus_dir))
    except OSError:
        installed = 0
    if visible is None:
        return installed
    count = 0
    for entry in visible.split(","):
        entry = entry.strip()
        if not entry or entry.startswith("-"):
            break
        count += 1
    return min(count, installed)
