"""bench/classroom_load.py splits a kernel change into the server's share and the browser's:
the server's share is read from the page's websocket frames as DevTools reports them (binary
Streamlit protobufs, base64), from the rerun request to the last run finished after it. It
also counts what each class's page asks of the server, to tell a class whose starved browsers
spared the server work from a real one."""

from __future__ import annotations

import base64
import importlib.util
import sys
from pathlib import Path
from unittest import mock

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.bench.browser_thread import chromium_or_skip, run_in_a_thread_of_its_own

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def bench():
    """The script as a module, imported by path with its helper module beside it."""
    spec = importlib.util.spec_from_file_location("classroom_load", BENCH / "classroom_load.py")
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(sys.modules, {"classroom_load": module}), \
            mock.patch.object(sys, "path", [str(BENCH), *sys.path]):
        spec.loader.exec_module(module)
    return module


def _frame(message, at: float, opcode: int = 2) -> dict:
    """A DevTools Network.webSocketFrameSent/Received event carrying `message`."""
    payload = base64.b64encode(message.SerializeToString()).decode()
    return {"requestId": "1", "timestamp": at,
            "response": {"opcode": opcode, "mask": False, "payloadData": payload}}


def _rerun() -> BackMsg:
    message = BackMsg()
    message.rerun_script.page_script_hash = "kernels"
    return message


def _finished(status=ForwardMsg.FINISHED_SUCCESSFULLY) -> ForwardMsg:
    message = ForwardMsg()
    message.script_finished = status
    return message


def _delta() -> ForwardMsg:
    message = ForwardMsg()
    message.delta.new_element.markdown.body = "**Result: Sharpen**"
    return message


def test_frames_are_read_as_streamlits_messages(bench):
    assert bench.frame_message_kind(BackMsg, _frame(_rerun(), 1.0)) == "rerun_script"
    assert bench.frame_message_kind(ForwardMsg, _frame(_finished(), 1.0)) == "script_finished"
    assert bench.frame_message_kind(ForwardMsg, _frame(_delta(), 1.0)) == "delta"
    text = {"timestamp": 1.0, "response": {"opcode": 1, "payloadData": "hello"}}
    assert bench.frame_message_kind(ForwardMsg, text) is None
    garbage = {"timestamp": 1.0, "response": {"opcode": 2, "payloadData": "////"}}
    assert bench.frame_message_kind(ForwardMsg, garbage) is None


def test_the_servers_share_runs_from_the_rerun_to_the_last_run_finished(bench):
    turns = bench.ServerTurns()
    turns.frame_received(_frame(_finished(), 5.0))  # an earlier run, before this change
    turns.frame_sent(_frame(_rerun(), 10.0))
    turns.frame_received(_frame(_delta(), 10.1))
    turns.frame_received(_frame(_finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN), 10.2))
    turns.frame_received(_frame(_finished(), 10.35))  # the run the script restarted
    assert turns.seconds() == pytest.approx(0.35)
    turns.clear()
    assert turns.seconds() is None
    turns.frame_sent(_frame(_rerun(), 20.0))
    assert turns.seconds() is None  # no run finished yet: unknown, not zero


def test_a_learner_asks_the_server_as_often_as_its_page_sent(bench):
    learner = bench.Learner(index=1, delay_s=0.0, click=100.0, result=110.0,
                            requests_at_click=3, requests_at_result=23)
    assert learner.requests_per_s == pytest.approx(2.0)
    assert bench.Learner(index=2, delay_s=0.0, click=100.0).requests_per_s is None


async def _count_requests_in_a_page(bench, chromium: str) -> dict:
    """A page with the bench's observer: two messages sent before a Train click, three
    after, then a result shown."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium,
                                                   args=bench.CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.add_init_script(bench.COUNT_REQUESTS_JS)
            await page.add_init_script(bench.OBSERVER_JS)
            # A document of its own (set_content keeps the blank one, without init scripts).
            await page.goto("data:text/html,<button>Train</button>")
            # No server: send() on a socket still connecting throws, after the count.
            send = ("() => { const socket = new WebSocket('ws://127.0.0.1:9');"
                    " try { socket.send('x'); } catch (error) {} }")
            for _ in range(2):
                await page.evaluate(send)
            await page.get_by_role("button", name="Train").click()
            for _ in range(3):
                await page.evaluate(send)
            await page.evaluate("() => document.body.insertAdjacentHTML('beforeend',"
                                " '<div data-testid=\"stMetric\">Test accuracy 98%</div>')")
            await page.wait_for_function("() => window.__bench.result !== null")
            return await page.evaluate("() => window.__bench")
        finally:
            await browser.close()


@pytest.mark.e2e
def test_the_observer_counts_what_a_page_sends_from_the_click_to_the_result(bench):
    state = run_in_a_thread_of_its_own(_count_requests_in_a_page(bench, chromium_or_skip()))
    assert (state["requestsAtClick"], state["requestsAtResult"]) == (2, 5)
    assert state["click"] is not None and state["result"] >= state["click"]
