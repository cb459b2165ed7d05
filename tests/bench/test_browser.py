"""The browser benchmarks launch chromium as an ordinary user's browser runs, at the CPU
priority they ask for (bench/classroom_load.py: the class's pages at the lowest, as if each
learner's browser ran on their own computer; the timed pages at normal): checked on the
processes a real chromium starts, since chromium run as root raised them above normal
(nice -8) and back from a plain `nice`."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from tests.bench.browser_thread import chromium_or_skip, run_in_a_thread_of_its_own

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "_browser.py"


@pytest.fixture(scope="module")
def bench():
    """The benchmarks' browser helpers as a module, imported by path and not left in
    sys.modules, where its dataclasses look it up while it is read."""
    spec = importlib.util.spec_from_file_location("_browser", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(sys.modules, {"_browser": module}):
        spec.loader.exec_module(module)
    return module


def _chromium_kinds(bench) -> dict[int, str]:
    """This test's chromium processes (Playwright's driver is our child, chromium its child)
    and the kind of each: "browser", or the --type= chromium gives its helpers."""
    kinds = {}
    for pid in bench.tree_pids(os.getpid()):
        try:
            # Chromium rewrites its helpers' command lines as one string, spaces between.
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().replace("\0", " ")
            arguments = arguments.split()
        except OSError:  # ended meanwhile
            continue
        if arguments and "chrom" in Path(arguments[0]).name:
            kinds[pid] = next((argument.removeprefix("--type=") for argument in arguments
                               if argument.startswith("--type=")), "browser")
    return kinds


def _autogroup_line(pid: int | str = "self") -> str:
    """The session `pid` belongs to, as Linux writes it ("/autogroup-123 nice 19"; empty for
    the machine's first session, never setsid)."""
    return Path(f"/proc/{pid}/autogroup").read_text()


def _autogroup_nice(pid: int | str = "self") -> int | None:
    """The nice of the session `pid` belongs to where Linux shares the CPU by session, else
    None."""
    try:
        return int(_autogroup_line(pid).split()[-1])
    except (OSError, ValueError, IndexError):
        return None


async def _open_a_page_and_read_priorities(bench, niceness: int,
                                           session_niceness: int) -> dict[str, int]:
    """The lowest priority (nice) among chromium's processes of each kind, a page open, and
    under "session" the lowest of their sessions' (autogroup) nices, where there are any."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=bench.user_chromium(
            niceness, session_niceness),
                                                   args=bench.CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context()).new_page()
            await page.set_content("<h1>A learner's page</h1>")
            await page.wait_for_timeout(500)  # chromium sets priorities as processes start
            priorities: dict[str, int] = {}
            for pid, kind in _chromium_kinds(bench).items():
                with contextlib.suppress(ProcessLookupError):
                    nice = os.getpriority(os.PRIO_PROCESS, pid)
                    priorities[kind] = min(nice, priorities.get(kind, nice))
                session_nice = _autogroup_nice(pid)
                if session_nice is not None:
                    priorities["session"] = min(session_nice,
                                                priorities.get("session", session_nice))
            return priorities
        finally:
            await browser.close()


@pytest.mark.e2e
@pytest.mark.parametrize(("niceness", "session_niceness"), [(19, 19), (19, 0), (0, 0)])
def test_every_process_of_the_browser_keeps_the_priority_asked_for(bench, niceness,
                                                                   session_niceness):
    chromium_or_skip()
    session_nice_before = _autogroup_nice()
    priorities = run_in_a_thread_of_its_own(
        _open_a_page_and_read_priorities(bench, niceness, session_niceness))
    session = priorities.pop("session", None)
    assert {"browser", "renderer"} <= priorities.keys(), priorities
    assert min(priorities.values()) >= niceness, priorities
    if bench.autogroup_scheduling():
        # The browser's session weighs as asked; the session that launched it is unchanged.
        assert session == session_niceness, priorities
        assert _autogroup_nice() == session_nice_before, "the caller's session was lowered"


def test_the_benches_say_whether_the_cpu_is_shared_by_session(bench, tmp_path):
    """Where it is (autogroup), a browser's nice orders it only within its own session."""
    setting = tmp_path / "sched_autogroup_enabled"
    setting.write_text("1\n")
    assert bench.autogroup_scheduling(setting) is True
    setting.write_text("0\n")
    assert bench.autogroup_scheduling(setting) is False
    assert bench.autogroup_scheduling(tmp_path / "absent") is None


def test_a_browser_that_does_not_lead_its_session_leaves_the_callers_alone(bench, monkeypatch):
    """The wrapper lowers its session only where Playwright made it the session's leader:
    started from the caller's own session it would lower the caller with it."""
    if not bench.autogroup_scheduling():
        pytest.skip("this machine does not share the CPU by session")
    monkeypatch.setattr(bench, "CHROMIUM", "/bin/sh")  # the "browser" reports its session
    wrapper = bench.user_chromium(19, 19)
    report = [wrapper, "-c", "cat /proc/self/autogroup"]
    # Compared as written: a caller in the machine's first session (never setsid, as under
    # some CI runners) reads an empty line there, and its weight cannot be changed at all.
    before = _autogroup_line()
    inside = subprocess.run(report, capture_output=True, text=True, check=True).stdout
    assert inside == before and _autogroup_line() == before
    alone = subprocess.run(report, capture_output=True, text=True, check=True,
                           start_new_session=True).stdout
    assert alone.split()[-1:] == ["19"] and _autogroup_line() == before
