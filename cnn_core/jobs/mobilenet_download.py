"""Whether MobileNetV2's ImageNet weights can be used, and fetching them the ordinary Keras
way, without importing Keras in this process.

`keras.applications.MobileNetV2` (through `transfer_models.load_base`) runs in a short-lived
subprocess with a hard time limit, after a quick connection check so offline users are not
kept waiting, as `dataset_download` fetches data sets. Env CNN_CLASSROOM_OFFLINE=1 forbids it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

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

    False quickly when offline (CNN_CLASSROOM_OFFLINE, or no answer from the host).
    """
    if mobilenet_weights_cached():
        return True
    if not _download_possible():
        return False
    targets = [folder / MOBILENET_WEIGHTS_FILE for folder in keras_model_dirs()]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    code = "from cnn_core.jobs.transfer_models import load_base; load_base('mobilenet_v2')"
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=timeout_s, check=False, cwd=config.REPO_ROOT)
    except subprocess.TimeoutExpired:
        log.warning("Fetching MobileNetV2's weights took over %.0f s; stopped it.", timeout_s)
        # Keras writes straight to the cached name and checks no hash for these weights, so
        # a cut-off file would pass for the weights from then on.
        for target in targets:
            target.unlink(missing_ok=True)
        return False
    except OSError as err:
        log.warning("Could not start fetching MobileNetV2's weights: %s", err)
        return False
    if done.returncode != 0:
        log.warning("Fetching MobileNetV2's weights failed: %s", done.stderr.strip()[-500:])
    return mobilenet_weights_cached()
