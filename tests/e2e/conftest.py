"""Real-browser tests: one Streamlit server for the session, Debian's chromium via Playwright.

Never let Playwright download a browser: it fails here. We always launch /usr/bin/chromium.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CNN_CLASSROOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.e2e

# Playwright's waiting assertions give up after 5 s by default; a class's shared server (or a
# loaded CI) can take longer to draw a page, as the locators' own default here allows.
expect.set_options(timeout=30_000)

OPEN_LIST_TRIES = 3  # a selectbox's list, opened again when a rerun closed it (`choose`)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not become healthy in time")


@contextlib.contextmanager
def running_server(log_path: Path, **env: str) -> Iterator[str]:
    """`streamlit run app.py` on a free port with extra environment variables; yields its URL."""
    port = _free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1",
         "--browser.gatherUsageStats=false",
         # A closed test browser's session (and any job it started) goes after 10 s instead
         # of Streamlit's 120 s, so one test's training does not hold the queue for the next.
         "--server.disconnectedSessionTTL=10"],
        cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _worker_suffix() -> str:
    """Each pytest-xdist process starts its own servers; each keeps its own log."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"-{worker}" if worker else ""


@pytest.fixture(scope="session")
def app_url(artifacts_dir: Path) -> Iterator[str]:
    """The app with the local data folder (../shared/data in CI), shared by browser tests."""
    with running_server(artifacts_dir / f"streamlit-server{_worker_suffix()}.log") as url:
        yield url


@pytest.fixture(scope="session")
def bundled_app_url(artifacts_dir: Path, tmp_path_factory) -> Iterator[str]:
    """The app as a learner without internet or data folder sees it: bundled MNIST only."""
    empty = tmp_path_factory.mktemp("no-data")
    with running_server(artifacts_dir / f"streamlit-server-bundled{_worker_suffix()}.log",
                        CNN_CLASSROOM_DATA=str(empty), KERAS_HOME=str(empty / "keras"),
                        CNN_CLASSROOM_OFFLINE="1") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request, artifacts_dir: Path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    # A class's shared server, or a busy CI, can take longer than Playwright's 30 s to draw.
    page.set_default_timeout(60_000)
    yield page
    # Keep a picture of how every browser test ended, passing or not.
    name = request.node.name.replace("/", "_")
    # A failed screenshot must not hide the real failure.
    with contextlib.suppress(Exception):
        page.screenshot(path=str(artifacts_dir / f"{name}-end.png"), full_page=True)
    context.close()


def open_page(page, app_url: str, url_path: str) -> None:
    """Open a page of the app by its URL path and wait until Streamlit has finished running it.

    A deep link works on a fresh server too (test_deep_link_e2e.py): the pages live in
    app_pages/, so Streamlit never serves them as old-style pages that skip app.py.
    """
    page.goto(f"{app_url}/{url_path}")
    wait_for_idle(page)


def wait_for_idle(page, timeout: float = 60_000) -> None:
    """Wait until the app's script run has finished (no running indicator)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector("
        "'[data-testid=\"stStatusWidget\"] [data-testid=\"stStatusWidgetRunningIcon\"]')"
        " && document.querySelector('[data-testid=\"stMain\"]') !== null",
        timeout=timeout,
    )
    page.wait_for_timeout(300)


def eventually(read, expected, timeout_s: float = 30.0, every_ms: int = 250):
    """`read()` once it equals `expected` (polled), else its last value: a click's rerun may
    start after wait_for_idle has already seen an idle page, on a busy server."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(every_ms / 1000)
        value = read()
    return value


def choose(page, label: str, option: str) -> None:
    """Pick an option of the Streamlit selectbox labelled `label`.

    A rerun that redraws the page just as the list opens (the first run of a page on a busy
    server) closes the list again, and the option never shows: open it again, a few times.
    """
    box = page.locator("[data-testid='stSelectbox']").filter(has_text=label).first
    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(OPEN_LIST_TRIES - 1):
        box.click()
        try:
            wanted.wait_for(timeout=10_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
            wait_for_idle(page)
    else:
        box.click()
    wanted.click()
    wait_for_idle(page)


def query(page) -> dict[str, str]:
    """The page's settings as the address bar holds them now (the last value of each)."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def go_to(page, title: str) -> None:
    """In-app navigation through the sidebar: the same browser session (a reload is not)."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait_for_idle(page)


def checked(page, key: str) -> str:
    """The label of the option the radio with widget key `key` shows as chosen."""
    return page.locator(f".st-key-{key} label:has(input:checked)").inner_text().strip()
