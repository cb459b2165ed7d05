"""Whether MobileNetV2's ImageNet weights can be used, and fetching them the ordinary Keras
way, without importing Keras in this process.

`keras.applications.MobileNetV2` (through `transfer_models.load_base`) runs in a short-lived
subprocess with a hard time limit, after a quick connection check so offline users are not
kept waiting, as `dataset_download` fetches data sets. Env CNN_CLASSROOM_OFFLINE=1 forbids it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cnn_core import config
from cnn_core.jobs.dataset_download import _host_reachable, downloads_allowed
from cnn_core.jobs.transfer_models import (
    MOBILENET_WEIGHTS_FILE,
    keras_model_dirs,
    mobilenet_weights_cached,
)

log = logging.getLogger(__name__)

MOBILENET_HOST = "storage.googleapis.com"
# TensorFlow's import in the subprocess plus about 2 MB of weights on a slow link.
MOBILENET_TIMEOUT_S = 60.0
# A page asks on every rerun; the connection check is remembered this long.
REACHABLE_TTL_S = 300.0
NO_MOBILENET = ("MobileNetV2's ImageNet weights are not on this server and cannot be "
                "downloaded now, so train on the shipped base instead.")

_reachable: tuple[float, bool] | None = None
_fetch_lock = threading.Lock()  # one fetch per server; the others wait for it


def _download_possible() -> bool:
    """Downloads allowed and the weights' host answering (remembered for a few minutes)."""
    global _reachable
    if not downloads_allowed():
        return False
    if _reachable is None or time.monotonic() - _reachable[0] > REACHABLE_TTL_S:
        _reachable = (time.monotonic(),
                      _host_reachable(MOBILENET_HOST, config.CONNECT_CHECK_TIMEOUT_S))
    return _reachable[1]


def mobilenet_available() -> bool:
    """True when MobileNetV2's weights are in the Keras cache or can be fetched now; False
    at once when CNN_CLASSROOM_OFFLINE is set and they are not cached."""
    return mobilenet_weights_cached() or _download_possible()


def fetch_mobilenet(timeout_s: float = MOBILENET_TIMEOUT_S) -> bool:
    """Fetch MobileNetV2's ImageNet weights the ordinary Keras way, in a subprocess with a
    hard time limit (Keras is not imported here); True when they are in the cache after.

    False quickly when offline (CNN_CLASSROOM_OFFLINE, or no answer from the host). One
    fetch at a time per server: a learner who asks while another's fetch runs waits for it.
    Keras writes straight to the cached file name and checks no hash for these weights, so
    the subprocess fetches into a fresh folder beside the cache, and the file moves into the
    cache only once it opens as HDF5: other sessions never see a half-written file, and a
    cut-off one never passes for the weights.
    """
    if mobilenet_weights_cached():
        return True
    if not _download_possible():
        return False
    if not _fetch_lock.acquire(timeout=timeout_s + 10):
        return mobilenet_weights_cached()
    try:
        return mobilenet_weights_cached() or _fetch_into_cache(timeout_s)
    finally:
        _fetch_lock.release()


def _fetch_into_cache(timeout_s: float) -> bool:
    for cache in keras_model_dirs():
        try:
            cache.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".mobilenet-", dir=cache.parent))
        except OSError:
            continue  # a read-only cache: Keras' own fallback folder may be writable
        try:
            fetched = _run_keras_fetch(staging, timeout_s)
            if fetched is None or not _opens_as_hdf5(fetched):
                return False
            os.replace(fetched, cache / MOBILENET_WEIGHTS_FILE)
            return True
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return False


def _run_keras_fetch(keras_home: Path, timeout_s: float) -> Path | None:
    """Keras fetches the weights with KERAS_HOME=keras_home; the file, or None."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
               KERAS_HOME=str(keras_home))
    code = "from cnn_core.jobs.transfer_models import load_base; load_base('mobilenet_v2')"
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=timeout_s, check=False, cwd=config.REPO_ROOT)
    except subprocess.TimeoutExpired:
        log.warning("Fetching MobileNetV2's weights took over %.0f s; stopped it.", timeout_s)
        return None
    except OSError as err:
        log.warning("Could not start fetching MobileNetV2's weights: %s", err)
        return None
    if done.returncode != 0:
        log.warning("Fetching MobileNetV2's weights failed: %s", done.stderr.strip()[-500:])
    fetched = keras_home / "models" / MOBILENET_WEIGHTS_FILE
    return fetched if fetched.is_file() else None


def _opens_as_hdf5(path: Path) -> bool:
    """A whole HDF5 file (Keras' weights format): its superblock signature, and h5py can
    open it and list what it holds (a file cut off mid-download fails one or the other)."""
    try:
        with path.open("rb") as handle:
            if handle.read(8) != b"\x89HDF\r\n\x1a\n":
                return False
        import h5py

        with h5py.File(path, "r") as weights:
            return len(weights.keys()) > 0
    except Exception:  # noqa: BLE001 - h5py raises OSError, KeyError and more for damage
        return False
