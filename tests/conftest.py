"""Shared test set-up: local data only, never a download.

The data folder is whatever CNN_CLASSROOM_DATA names (scripts/run_tests.sh sets it to
../shared/data when that exists); without it the tests see what a fresh clone sees: the bundled
MNIST subset and the data sets they generate themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "test-artifacts"
# Read once, before any test changes the environment for itself.
DATA_DIR = Path(os.environ["CNN_CLASSROOM_DATA"]) if os.environ.get("CNN_CLASSROOM_DATA") else None

os.environ["CNN_CLASSROOM_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The data folder holding the full MNIST (mnist.npz), for tests that compare with it."""
    if DATA_DIR is None or not (DATA_DIR / "mnist.npz").is_file():
        pytest.skip("needs the full data sets: set CNN_CLASSROOM_DATA to a folder holding "
                    "mnist.npz (Keras' layout) and cifar10_jpg.zip; CI uses ../shared/data")
    return DATA_DIR


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_collection_modifyitems(config, items):
    """With two test processes (pytest-xdist), browser tests first: they are the longest, and
    starting them early lets the many short tests fill the gaps at the end, instead of one
    process finishing a long browser test while the other waits."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # one process: the usual order, in which the browser tests run last
    items.sort(key=lambda item: "/e2e/" not in item.nodeid and "e2e" not in item.keywords)
