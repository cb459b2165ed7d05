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


@pytest.fixture(autouse=True)
def _no_keras_cleanup_between_script_runs(monkeypatch):
    """AppTest runs pages inside the pytest process, where core tests may have imported Keras.
    Streamlit then calls keras.backend.clear_session() after every script run, which would
    make page tests slower the later they run. The real server never imports Keras (pages
    use worker processes), so switching the hook off here hides nothing the app relies on.
    """
    from streamlit.runtime.scriptrunner import script_runner

    monkeypatch.setattr(script_runner, "_clean_problem_modules", lambda: None)
