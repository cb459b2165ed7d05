"""Fixtures shared by the job tests."""

from __future__ import annotations

import pytest

from cnn_core.jobs.pool import WorkerPool


@pytest.fixture(scope="module")
def pool():
    """A training queue with one warm worker, shared by a test module's jobs (a worker's
    TensorFlow start costs seconds) and closed after it."""
    pool = WorkerPool(slots=1)
    yield pool
    pool.close()
