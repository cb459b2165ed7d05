"""AppTest helpers: pages are run as scripts from the repository root."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_page():
    """Run a page file (or app.py) in AppTest, with a timeout that allows for slow CI."""

    def run(relative_path: str, timeout: float = 60) -> AppTest:
        app = AppTest.from_file(str(REPO_ROOT / relative_path), default_timeout=timeout)
        return app.run()

    return run
