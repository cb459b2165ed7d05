"""Shared by the browser benchmarks: the app's server, its memory, and async page helpers.

The server starts in its own process group, so that stopping it also ends the worker and
inference processes it spawned, even if it hangs while shutting down. Memory is the sum over
the server and all its descendants (psutil when installed, else /proc).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CNN_CLASSROOM_CHROMIUM", "/usr/bin/chromium")
# Every learner has a browser of their own, in front: no tab may have its timers throttled
# (Streamlit's live panels poll from the browser).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]


def user_chromium(niceness: int = 0, session_niceness: int = 0) -> str:
    """The chromium to launch, as an ordinary user's browser runs: at CPU priority `niceness`
    (Unix `nice`; 0 is normal, 19 the lowest) and unable to raise it.

    Run as root, chromium raises its own processes' priority (its main and GPU processes to
    nice -8, each page's renderer back to 0), which no ordinary user's browser can: a page
    timed that way would be drawn ahead of the server, and a `nice` meant to keep the
    class's pages out of the way would lower nothing. The wrapper first takes away the right
    to raise a priority (CAP_SYS_NICE), which chromium's pages never need.

    Where Linux shares the CPU by session (autogroup_scheduling), a process's nice orders it
    only within its session, and Playwright starts the browser as a session of its own:
    `session_niceness` is then that session's (/proc/self/autogroup), how the browser as a
    whole weighs against the server. Set only when the wrapper leads its session, so that a
    wrapper started otherwise cannot lower its caller's."""
    lines = ["#!/bin/sh"]
    if session_niceness > 0 and autogroup_scheduling():
        # Field 6 of /proc/PID/stat is the session: this shell's own pid when it leads one.
        lines.append(f'[ "$(cut -d")" -f2- /proc/$$/stat | cut -d" " -f5)" = "$$" ] && '
                     f"echo {session_niceness} 2>/dev/null > /proc/self/autogroup")
    steps = []
    if os.geteuid() == 0 and shutil.which("setpriv"):
        steps.append("setpriv --bounding-set -sys_nice --inh-caps -sys_nice")
    if niceness > 0:
        steps.append(f"nice -n {niceness}")
    if not steps and len(lines) == 1:
        return CHROMIUM
    lines.append(f'exec {" ".join(steps)} {shlex.quote(CHROMIUM)} "$@"')
    wrapper = Path(tempfile.mkdtemp(prefix="cnn_classroom_chromium_")) / "chromium"
    wrapper.write_text("\n".join(lines) + "\n")
    wrapper.chmod(0o755)
    return str(wrapper)


AUTOGROUP_SETTING = Path("/proc/sys/kernel/sched_autogroup_enabled")


def autogroup_scheduling(setting: Path = AUTOGROUP_SETTING) -> bool | None:
    """Whether Linux schedules by session here (autogroup; None where it cannot be read).

    Then a `nice` orders processes only within their session, and sessions share the CPU
    evenly whenever they all want it (unless a session is given a nice of its own, as
    user_chromium does): a priority given to the workers counts against the server only."""
    try:
        return setting.read_text().strip() != "0"
    except OSError:
        return None


# Installed in a page before the app loads: counts the messages it sends the server
# (window.__requests). A live panel asks for its redraws from the browser's own timer, so a
# browser starved of CPU asks less often and spares the server work a learner's would not.
COUNT_REQUESTS_JS = """
(() => {
  const send = WebSocket.prototype.send;
  window.__requests = 0;
  WebSocket.prototype.send = function (data) {
    window.__requests += 1;
    return send.call(this, data);
  };
})();
"""

IDLE_JS = ("() => !document.querySelector("
           "'[data-testid=\"stStatusWidget\"] [data-testid=\"stStatusWidgetRunningIcon\"]')"
           " && document.querySelector('[data-testid=\"stMain\"]') !== null")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`streamlit run app.py` on a free 127.0.0.1 port; `stop()` ends its whole process group."""

    def __init__(self, log_path: Path, env: dict[str, str] | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
             f"--server.port={self.port}", "--server.address=127.0.0.1",
             "--browser.gatherUsageStats=false"],
            cwd=REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})}, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.process.returncode}; "
                                   f"see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("streamlit did not become healthy in time")

    def stop(self) -> None:
        """SIGTERM to the group, then SIGKILL to whatever of it is left after 15 s."""
        group = self.process.pid  # start_new_session: the group id is the server's pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self._log.close()


def tree_pids(root: int) -> list[int]:
    """`root` and all its descendants now, from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                # The command name may hold spaces or brackets: fields start after the last ')'.
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children[ppid].append(int(entry))
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        stack.extend(children.get(pid, []))
    return pids


def _rss_bytes_proc(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def tree_rss(root: int) -> dict[int, int]:
    """Resident bytes of `root` and of each of its descendants now, by pid."""
    try:
        import psutil
    except ImportError:
        return {pid: _rss_bytes_proc(pid) for pid in tree_pids(root)}
    try:
        processes = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
    except psutil.NoSuchProcess:
        return {}
    sizes = {}
    for process in processes:
        with contextlib.suppress(psutil.Error):
            sizes[process.pid] = process.memory_info().rss
    return sizes


def process_label(pid: int) -> str:
    """A short name for a process of the server's tree, from its command line."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            words = handle.read().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    line = " ".join(words)
    if "streamlit" in line:
        return "streamlit server"
    if "resource_tracker" in line:
        return "multiprocessing resource tracker"
    if "-c" in words and "device" in line.lower():
        return "device probe (cnn_core.jobs.device, short-lived)"
    if "spawn_main" in line:
        return "spawned worker (training or inference)"
    return line[:60]


@dataclass
class MemorySampler:
    """Samples `tree_rss(root)` every `interval` s on a thread, keeping the peak."""

    root: int
    interval: float = 0.5
    peak_bytes: int = 0
    peak_processes: int = 0
    samples: int = 0
    peak_by_pid: dict[int, int] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = tree_rss(self.root)
            self.samples += 1
            self.peak_bytes = max(self.peak_bytes, sum(sizes.values()))
            self.peak_processes = max(self.peak_processes, len(sizes))
            for pid, size in sizes.items():
                if pid not in self.labels:
                    self.labels[pid] = process_label(pid)
                self.peak_by_pid[pid] = max(self.peak_by_pid.get(pid, 0), size)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


async def wait_for_idle(page, timeout: float = 60_000) -> None:
    """Wait until the app's script run has finished (no running indicator)."""
    await page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    await page.wait_for_function(IDLE_JS, timeout=timeout)
    await page.wait_for_timeout(300)


async def open_page(page, url: str, url_path: str, timeout: float = 60_000) -> None:
    """Open a page by its URL path. Visit the home page once per server first (see
    tests/e2e/conftest.py: a deep link before app.py ever ran is served without navigation)."""
    await page.goto(f"{url}/{url_path}", timeout=timeout)
    await wait_for_idle(page, timeout)
