"""What can be checked of the Dockerfile without a Docker engine: the files it copies exist,
it runs as a non-root user with a health check, and its command serves the app here."""

from __future__ import annotations

import json
import re
import shlex
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in joined.splitlines()
            if line.strip().startswith(name + " ")]


def test_every_copied_path_exists():
    for args in instructions("COPY"):
        sources = [a for a in shlex.split(args) if not a.startswith("--")][:-1]
        for source in sources:
            assert (REPO_ROOT / source).exists(), source


def test_runs_as_non_root_on_8501_with_a_health_check():
    users = instructions("USER")
    assert users and users[-1] not in ("root", "0")
    assert "8501" in instructions("EXPOSE")
    assert "/_stcore/health" in instructions("HEALTHCHECK")[0]


def test_installs_the_pinned_requirements():
    assert any("requirements.txt" in run for run in instructions("RUN"))


@pytest.mark.slow
def test_its_command_serves_the_app_outside_docker(artifacts_dir):
    from tests.e2e.conftest import _free_port, _wait_healthy

    command = json.loads(instructions("CMD")[0])
    port = str(_free_port())
    command = [re.sub(r"8501", port, part).replace("0.0.0.0", "127.0.0.1") for part in command]
    import subprocess
    import sys

    assert command[0] == "streamlit"
    process = subprocess.Popen([sys.executable, "-m", *command], cwd=REPO_ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", process)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as response:
            assert response.read() == b"ok"
    finally:
        process.terminate()
        process.wait(timeout=15)
