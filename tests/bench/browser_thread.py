"""Shared by the benches' browser tests: a real chromium driven by Playwright's async API."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM


def chromium_or_skip() -> str:
    """The chromium the benches launch (CNN_CLASSROOM_CHROMIUM, as bench/_browser reads it)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")
    return CHROMIUM


def run_in_a_thread_of_its_own(coroutine: Coroutine[Any, Any, Any], timeout: float = 120):
    """Run `coroutine` to its end and return its result. A thread of its own: the browser
    tests' session may hold Playwright's sync API open in this one, and the two cannot nest."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result(timeout=timeout)
