"""Downloading a data set the ordinary Keras way, without importing Keras in this process.

`keras.datasets.<name>.load_data()` runs in a short-lived subprocess with a hard time limit,
after a quick connection check so offline users are not kept waiting; the caller then reads
the Keras cache with `cnn_core.data.formats`. Env CNN_CLASSROOM_OFFLINE=1 forbids it.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

from cnn_core import config
from cnn_core.data.formats import IDX_FILES

log = logging.getLogger(__name__)


def keras_dirs() -> list[Path]:
    """Keras' dataset cache; Keras itself uses /tmp/.keras when the home folder is read-only."""
    dirs = [config.keras_datasets_dir()]
    if not os.environ.get("KERAS_HOME") and not os.access(Path.home(), os.W_OK):
        dirs.append(Path("/tmp/.keras/datasets"))
    return dirs


def downloads_allowed(download: bool | None = None) -> bool:
    """False when `download=False` or env CNN_CLASSROOM_OFFLINE is set (it beats True)."""
    offline = os.environ.get(config.OFFLINE_ENV, "").strip().lower() not in ("", "0", "false")
    return download is not False and not offline


def _host_reachable(host: str, timeout: float) -> bool:
    """A TCP connection to host:443 within `timeout` seconds (DNS included, hence the thread)."""
    if os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy"):
        return True  # only the proxy can tell; let the download try
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


_KERAS_TARGETS = {  # what an interrupted download leaves behind, per data set
    "mnist": ["mnist.npz"],
    "fashion_mnist": [f"fashion-mnist/{stem}.gz" for stem in IDX_FILES],
    "cifar10": ["cifar-10-batches-py-target_archive", "cifar-10-batches-py-target"],
}


def download(name: str) -> bool:
    """Run `keras.datasets.<name>.load_data()` in a subprocess with a hard time limit; True if
    it finished. A download cut off by the limit is deleted so it cannot be mistaken for data."""
    if not _host_reachable(config.DOWNLOAD_HOSTS[name], config.CONNECT_CHECK_TIMEOUT_S):
        return False
    timeout = (config.DOWNLOAD_TIMEOUT_S
               + config.DOWNLOAD_SIZES_MB[name] / config.DOWNLOAD_MIN_MB_PER_S)
    targets = [d / t for d in keras_dirs() for t in _KERAS_TARGETS[name]]
    existed = {t for t in targets if t.exists()}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    code = f"import keras; keras.datasets.{name}.load_data()"
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        log.warning("Downloading %s took over %.0f s; stopped it.", name, timeout)
        for target in set(targets) - existed:
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            elif target.exists():
                target.unlink(missing_ok=True)
        return False
    except OSError as err:
        log.warning("Could not start the download of %s: %s", name, err)
        return False
    if done.returncode != 0:
        log.warning("Downloading %s failed: %s", name, done.stderr.strip()[-500:])
    return done.returncode == 0
