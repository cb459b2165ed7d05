"""The server settings a class depends on."""

from __future__ import annotations

from pathlib import Path

import pytest

# The standard library reads TOML from Python 3.11 on; 3.10 skips these two checks.
tomllib = pytest.importorskip("tomllib", reason="Python 3.11 or later reads TOML")


CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


def test_no_full_garbage_collection_after_every_script_run():
    # With thirty polling panels, Streamlit's post-run gc.collect(2) froze every page.
    settings = tomllib.loads(CONFIG.read_text())
    assert settings["runner"]["postScriptGC"] is False


def test_the_server_neither_watches_files_nor_reports_usage():
    settings = tomllib.loads(CONFIG.read_text())
    assert settings["server"]["fileWatcherType"] == "none"
    assert settings["browser"]["gatherUsageStats"] is False
