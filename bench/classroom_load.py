"""A classroom on one server: N learners press Train together, one more uses the kernel page.

Starts `streamlit run app.py` on 127.0.0.1 and opens one headless chromium context per
learner (its own browser session). Every learner opens Train a CNN; once all pages are open
they press Train on the default job (or on the smallest subset with --subset) at random
moments over `--stagger` seconds (5 by default). One more learner keeps changing the kernel
preset on Image kernels the whole time and times each change until the new result has been
drawn (the script run has finished), and the server's share of it: from the rerun request sent
to the script's run finished, as the browser's network stack saw the websocket frames. Memory
of the server plus all its descendants (training workers, the inference process) is sampled
every 0.5 s.

Per learner, from timestamps taken inside the page (a MutationObserver, so the Python side
polling 31 pages adds no error):
- wait: the Train click to the first "Epoch 1 of ..." progress (time in the queue plus the
  worker's start on the job);
- click to result: the click to the "Test accuracy" metric;
- its training time: the seconds from first to last batch that the results' caption gives;
- lost: an error on the page, or no result by the deadline.

ideal_s = sum of the jobs' training times / slots (the home page's "N jobs at a time"), the
time the class would take if the slots never idled and a job cost only its training;
ratio_to_ideal = class_done_s (first click to last result) / ideal_s.

Targets (issue 10): all finish, none lost; peak memory of the server and its workers at most
4 GB whatever the number of learners; kernel page p95 at most 1 s during the load; the whole
class done within 1.25x of ideal_s.

Notes: the browsers run on the same machine as the server. In a classroom each learner's
browser runs on their own computer: the server answers every page's requests but draws none
of them. Here the class's pages must still keep up (ask the server as often as a class would;
the report's `class_requests_per_s_p50`), so the class's browser can only be lowered so far.
Its processes run at the lowest CPU priority (--class-browser-nice 19); the kernel learner's
browser, whose page is timed, at normal priority; both as an ordinary user's browser runs,
unable to raise their priority (`_browser.user_chromium`). Where Linux schedules by session
(autogroup, on in most distributions; the JSON's `autogroup`), a priority holds only within a
session and each browser has a session of its own, so the class's browser then takes, as a
whole, as much as the server and its workers whenever it wants it: its drawing of thirty pages
costs the training a third of the cores, a real class's does not. Lowering its session too
(--class-session-nice 19, or 10) starves its pages instead: they asked the server about half
as often as they keep up, sent their clicks up to 20 s late, and the server did only part of
a class's work (README, 2026-12-02). The default runs the harder case. Other work on a shared
machine makes the timings noisy: compare runs made in the same conditions. Details of every
learner go to bench/results/classroom_load-<learners>.json, the server's log next to it.

Usage: python bench/classroom_load.py [--learners 30] [--subset] [--max-jobs N]
       [--timeout 2400] [--stagger 5] [--seed 0] [--class-browser-nice 19]
       [--class-session-nice 0]
The last line is JSON: {"learners", "finished", "lost", "peak_rss_mb", "wait_p50_s",
"wait_p95_s", "click_to_result_p95_s", "kernel_page_p95_s", "kernel_server_p95_s", "slots",
"sum_train_s", "class_done_s", "ideal_s", "ratio_to_ideal", "class_browser_nice",
"class_session_nice", "class_requests_per_s_p50", "autogroup"}. class_requests_per_s_p50: the
messages a class's page sent the server a second from its click to its result (median over
learners). A page asks at the live panel's pace (cnn_core.jobs.job_queue.refresh_seconds: from
every second while its job trains to every 6 s far back in line) when its browser keeps up,
and less when it is starved of CPU, sparing the server part of a real class's work: compare
runs of the same class.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from google.protobuf.message import DecodeError
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _browser import (  # noqa: E402
    CHROMIUM_ARGS,
    COUNT_REQUESTS_JS,
    IDLE_JS,
    REPO_ROOT,
    MemorySampler,
    Server,
    autogroup_scheduling,
    open_page,
    user_chromium,
    wait_for_idle,
)

sys.path.insert(0, str(REPO_ROOT))
from cnn_core.jobs.job_queue import (  # noqa: E402
    FAR_BACK_PLACE,
    FAR_BACK_REFRESH_S,
    LIVE_REFRESH_S,
    WAITING_REFRESH_S,
)

os.environ.setdefault("CNN_CLASSROOM_DATA", str(REPO_ROOT.parent / "shared" / "data"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

VIEWPORT = {"width": 1400, "height": 1000}
OPEN_AT_ONCE = 4          # pages opening together before the class starts (2 cores)
KERNEL_CHANGE_LIMIT_S = 60.0
KERNEL_PAUSE_S = 1.0      # a learner looks at each result for a moment
PRESETS = ["Sobel y", "Box blur 3x3", "Sharpen", "Emboss", "Laplacian", "Gaussian blur 3x3",
           "Prewitt x", "Mean blur 8x8", "Vertical edge", "Sobel x"]

# Installed in every training learner's page before the app loads. Records, in wall-clock
# seconds, the Train click, the first "Waiting" and "Epoch" progress, the result metric and
# any error, plus every distinct progress text (to check the queue's messages afterwards), and
# how many messages the page had sent the server at the click and at the result (counted by
# _browser.COUNT_REQUESTS_JS, installed before it; a panel's pace comes from
# cnn_core.jobs.job_queue.refresh_seconds).
OBSERVER_JS = """
(() => {
  const b = window.__bench = {click: null, waiting: null, epoch: null, result: null,
                              error: null, errorText: null, toast: null, messages: [],
                              requestsAtClick: null, requestsAtResult: null};
  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('button');
    if (b.click === null && button && button.textContent.trim().endsWith('Train')) {
      b.click = Date.now() / 1000;
      b.requestsAtClick = window.__requests;
    }
  }, true);
  const check = () => {
    if (b.click === null) return;
    const now = Date.now() / 1000;
    for (const bar of document.querySelectorAll('[data-testid="stProgress"]')) {
      const text = bar.textContent.trim();
      if (b.waiting === null && text.startsWith('Waiting')) b.waiting = now;
      if (b.epoch === null && /Epoch \\d+ of \\d+, batch/.test(text)) b.epoch = now;
      const last = b.messages.length ? b.messages[b.messages.length - 1][1] : null;
      if (text && text.replace(/[\\d,.]+/g, '#') !== (last || '').replace(/[\\d,.]+/g, '#')
          && b.messages.length < 400) b.messages.push([now, text]);
    }
    if (b.result === null) {
      for (const metric of document.querySelectorAll('[data-testid="stMetric"]')) {
        if (metric.textContent.includes('Test accuracy')) {
          b.result = now;
          b.requestsAtResult = window.__requests;
        }
      }
    }
    if (b.error === null) {
      const error = document.querySelector(
        '[data-testid="stAlertContentError"], [data-testid="stException"]');
      if (error) { b.error = now; b.errorText = error.textContent.slice(0, 400); }
    }
    if (b.toast === null) {
      const toast = document.querySelector('[data-testid="stToast"]');
      if (toast) b.toast = toast.textContent.slice(0, 300);
    }
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true,
                                                 characterData: true});
})();
"""
WAITING = re.compile(r"Waiting: (\d+)\w\w in line(?:, about (?:(\d+) min )?(\d+) s)?")


@dataclass
class Learner:
    index: int
    delay_s: float
    opened: bool = False
    asked: float | None = None  # when the script asked the browser to click Train
    click: float | None = None
    waiting: float | None = None
    epoch: float | None = None
    result: float | None = None
    error: float | None = None
    error_text: str | None = None
    toast: str | None = None
    messages: list = field(default_factory=list)
    images_per_s: float | None = None
    train_s: float | None = None
    requests_at_click: int | None = None
    requests_at_result: int | None = None
    reason: str = ""

    @property
    def finished(self) -> bool:
        return self.result is not None and self.error is None

    @property
    def wait_s(self) -> float | None:
        return self.epoch - self.click if self.epoch and self.click else None

    @property
    def click_to_result_s(self) -> float | None:
        return self.result - self.click if self.result and self.click else None

    @property
    def requests_per_s(self) -> float | None:
        """Messages the page sent the server a second, from the click to the result."""
        if self.requests_at_result is None or self.requests_at_click is None \
                or not self.click_to_result_s:
            return None
        return (self.requests_at_result - self.requests_at_click) / self.click_to_result_s

    def queue_positions(self) -> list[tuple[int, float | None]]:
        """(place in line, announced seconds) of each distinct waiting message shown."""
        shown = []
        for _, text in self.messages:
            match = WAITING.search(text)
            if match:
                place, minutes, seconds = match.groups()
                eta = None if seconds is None else int(minutes or 0) * 60 + int(seconds)
                shown.append((int(place), eta))
        return shown


@dataclass
class KernelSample:
    at: float
    seconds: float
    ok: bool
    during_load: bool
    server_seconds: float | None = None  # the server's share of `seconds` (ServerTurns)


class ServerTurns:
    """The server's share of a kernel change: from the browser sending the rerun request to
    the last "script finished" it received, as its network stack timed the page's websocket
    frames (Chrome DevTools Protocol). The rest of a change is the kernel learner's browser
    drawing the page, which in a classroom runs on the learner's own computer, not on the
    server's cores as here."""

    def __init__(self) -> None:
        self.reruns_sent: list[float] = []
        self.runs_finished: list[float] = []

    async def attach(self, page) -> None:
        session = await page.context.new_cdp_session(page)
        await session.send("Network.enable")
        session.on("Network.webSocketFrameSent", self.frame_sent)
        session.on("Network.webSocketFrameReceived", self.frame_received)

    def frame_sent(self, event: dict) -> None:
        if frame_message_kind(BackMsg, event) == "rerun_script":
            self.reruns_sent.append(event["timestamp"])

    def frame_received(self, event: dict) -> None:
        if frame_message_kind(ForwardMsg, event) == "script_finished":
            self.runs_finished.append(event["timestamp"])

    def clear(self) -> None:
        self.reruns_sent.clear()
        self.runs_finished.clear()

    def seconds(self) -> float | None:
        """Since clear(): first rerun sent to the last run finished after it (a run the
        script itself restarts counts in full), or None when either is missing."""
        if not self.reruns_sent:
            return None
        asked = self.reruns_sent[0]
        finished = [at for at in self.runs_finished if at >= asked]
        return max(finished) - asked if finished else None


def frame_message_kind(message_class, event: dict) -> str | None:
    """Which message a DevTools websocket frame event carries ("rerun_script",
    "script_finished", ...): Streamlit's frames are binary protobufs, base64 in the event."""
    response = event.get("response", {})
    if response.get("opcode") != 2:  # text frames are not Streamlit's messages
        return None
    try:
        message = message_class.FromString(base64.b64decode(response.get("payloadData", "")))
    except (ValueError, DecodeError):
        return None
    return message.WhichOneof("type")


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


async def read_slots(page, url: str) -> tuple[int, str]:
    """(N, the line) from the home page's "Training queue: <executor>, N jobs at a
    time. Now X training and Y waiting; ..." (or "Nothing is training now; ...")."""
    await page.goto(url, timeout=120_000)
    await page.get_by_text("Learning path").wait_for(timeout=120_000)
    status = page.get_by_test_id("stMarkdownContainer").filter(
        has_text="Training queue:").first
    await status.wait_for(timeout=60_000)
    text = await status.inner_text()
    match = re.search(r", (\d+) jobs? at a time\.", text)
    if not match:
        raise RuntimeError(f"no slot count on the home page: {text!r}")
    # Drop the icon's ligature name ("model_training") that precedes "Training queue".
    return int(match.group(1)), " ".join(text[text.find("Training queue"):].split())


async def train_learner(learner: Learner, browser, url: str, subset: bool,
                        opening: asyncio.Semaphore, ready, go: asyncio.Event,
                        deadline: float) -> None:
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(COUNT_REQUESTS_JS)
    await context.add_init_script(OBSERVER_JS)
    page = await context.new_page()
    try:
        async with opening:
            await open_page(page, url, "Train_a_CNN", timeout=180_000)
            if subset:
                slider = page.get_by_role("slider").first
                await slider.focus()
                await slider.press("Home")  # the smallest subset
                await wait_for_idle(page, 120_000)
        learner.opened = True
    except Exception as error:  # noqa: BLE001 - any failure to open is this learner's loss
        learner.reason = f"the page did not open: {first_line(error)}"
    finally:
        ready()
    if not learner.opened:
        return
    await go.wait()
    await asyncio.sleep(learner.delay_s)
    try:
        learner.asked = time.time()
        await page.get_by_role("button", name="Train", exact=True).click(timeout=120_000)
        while time.time() < deadline:
            state = await page.evaluate("() => [window.__bench.result, window.__bench.error]")
            if any(state):
                break
            await asyncio.sleep(1.0)
    except Exception as error:  # noqa: BLE001 - recorded as this learner's loss
        learner.reason = f"the browser failed: {first_line(error)}"
    try:
        state = await page.evaluate("() => window.__bench")
    except Exception as error:  # noqa: BLE001 - the page is gone: nothing more to read
        learner.reason = learner.reason or f"the page could not be read: {first_line(error)}"
        return
    for name in ("click", "waiting", "epoch", "result", "error", "toast", "messages"):
        setattr(learner, name, state[name])
    learner.requests_at_click = state["requestsAtClick"]
    learner.requests_at_result = state["requestsAtResult"]
    learner.error_text = state["errorText"]
    if learner.error is not None:
        learner.reason = f"error shown: {learner.error_text}"
    elif learner.result is None and not learner.reason:
        last = learner.messages[-1][1] if learner.messages else "no progress shown"
        learner.reason = f"no result by the deadline; last progress: {last}"
    if learner.result is not None:
        await read_training_time(page, learner)


async def read_training_time(page, learner: Learner) -> None:
    """Seconds of training and the speed, from the results' caption ("Trained for 12.3 s at
    3,456 images a second on CPU.")."""
    try:
        caption = page.get_by_text(re.compile(r"Trained for [\d,.]+ s at [\d,]+ images a second"))
        match = re.search(r"Trained for ([\d,.]+) s at ([\d,]+) images a second",
                          await caption.first.inner_text(timeout=60_000))
    except Exception as error:  # noqa: BLE001 - the timing is missing, the job still finished
        learner.reason = f"training time not read: {first_line(error)}"
        return
    learner.train_s = float(match.group(1).replace(",", ""))
    learner.images_per_s = float(match.group(2).replace(",", ""))


async def change_kernel(page, name: str, turns: ServerTurns) -> float:
    """Seconds from choosing preset `name` to its result drawn and the script run ended."""
    await page.locator("[data-testid='stSelectbox']").filter(has_text="Preset").first.click(
        timeout=KERNEL_CHANGE_LIMIT_S * 1000)
    turns.clear()
    start = time.perf_counter()
    await page.get_by_role("option", name=name, exact=True).click(
        timeout=KERNEL_CHANGE_LIMIT_S * 1000)
    await page.get_by_text(f"Result: {name}").first.wait_for(
        timeout=KERNEL_CHANGE_LIMIT_S * 1000)
    await page.wait_for_function(IDLE_JS, timeout=KERNEL_CHANGE_LIMIT_S * 1000)
    return time.perf_counter() - start


async def kernel_learner(page, url: str, samples: list[KernelSample], pages_open: asyncio.Event,
                         load: asyncio.Event, stop: asyncio.Event, baseline: int) -> None:
    """Keep changing the kernel preset until `stop`; the first `baseline` changes come once
    every page is open and before the class presses Train."""
    turns = ServerTurns()
    await turns.attach(page)
    await open_page(page, url, "Image_kernels", timeout=120_000)
    await pages_open.wait()
    current, turn = "Sobel x", 0
    while not stop.is_set():
        name = PRESETS[turn % len(PRESETS)]
        turn += 1
        if name == current:
            continue
        during = load.is_set()
        at = time.time()
        try:
            seconds, ok = await change_kernel(page, name, turns), True
            server_seconds = turns.seconds()
            current = name
        except Exception:  # noqa: BLE001 - a stalled page is what we measure
            seconds, ok, server_seconds = KERNEL_CHANGE_LIMIT_S, False, None
            with contextlib.suppress(Exception):
                await page.keyboard.press("Escape")
                await open_page(page, url, "Image_kernels", timeout=120_000)
                current = "Sobel x"
        samples.append(KernelSample(at, seconds, ok, during, server_seconds))
        if not during and len(samples) >= baseline:
            await load.wait()  # baseline done: wait for the class to start
        else:
            await asyncio.sleep(KERNEL_PAUSE_S)


async def run_class(args, url: str, learners: list[Learner], kernel: list[KernelSample],
                    info: dict, deadline: float) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=user_chromium(args.class_browser_nice, args.class_session_nice),
            args=CHROMIUM_ARGS)
        kernel_browser = await playwright.chromium.launch(executable_path=user_chromium(0),
                                                          args=CHROMIUM_ARGS)
        try:
            home = await (await browser.new_context(viewport=VIEWPORT)).new_page()
            info["slots"], info["executor"] = await read_slots(home, url)
            kernel_page = await (await kernel_browser.new_context(viewport=VIEWPORT)).new_page()
            gate, load, stop = asyncio.Event(), asyncio.Event(), asyncio.Event()
            kernel_task = asyncio.create_task(
                kernel_learner(kernel_page, url, kernel, gate, load, stop, baseline=5))
            opened = 0

            def ready() -> None:
                nonlocal opened
                opened += 1
                if opened == len(learners):
                    gate.set()

            opening = asyncio.Semaphore(OPEN_AT_ONCE)
            tasks = [asyncio.create_task(train_learner(learner, browser, url, args.subset,
                                                       opening, ready, load, deadline))
                     for learner in learners]
            await gate.wait()
            while len([s for s in kernel if not s.during_load]) < 5 and not kernel_task.done():
                await asyncio.sleep(0.5)  # the kernel baseline, with the pages open but idle
            info["class_start"] = time.time()
            load.set()
            print(f"{sum(learner.opened for learner in learners)} of {len(learners)} pages "
                  f"open; the class presses Train over {args.stagger:.0f} s", flush=True)
            await asyncio.gather(*tasks)
            info["class_end"] = time.time()
            stop.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(kernel_task, timeout=KERNEL_CHANGE_LIMIT_S + 10)
            # After the class, the home page should show an empty queue again.
            with contextlib.suppress(Exception):
                info["home_after"] = (await read_slots(home, url))[1]
        finally:
            await browser.close()
            await kernel_browser.close()


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def queue_notes(learners: list[Learner]) -> list[str]:
    """Anything odd in what the queue told learners: a place that grew, messages after start."""
    notes = []
    for learner in learners:
        places = [place for place, _ in learner.queue_positions()]
        if any(later > earlier for earlier, later in zip(places, places[1:], strict=False)):
            notes.append(f"learner {learner.index}: place in line went up: {places}")
        if learner.epoch is not None:
            late = [text for at, text in learner.messages
                    if at > learner.epoch and text.startswith("Waiting")]
            if late:
                notes.append(f"learner {learner.index}: 'Waiting' shown after training "
                             f"started: {late[0]!r}")
        if learner.toast:
            notes.append(f"learner {learner.index}: toast {learner.toast!r}")
    return notes


def server_log_problems(log_path: Path) -> list[str]:
    lines = log_path.read_text(errors="replace").splitlines() if log_path.exists() else []
    return [line for line in lines
            if re.search(r"Traceback|Error|Exception|Killed|WARNING", line)
            and "before absl::InitializeLog" not in line][:20]


def report(args, learners: list[Learner], kernel: list[KernelSample], info: dict,
           sampler: MemorySampler, log_path: Path) -> dict:
    finished = [learner for learner in learners if learner.finished]
    lost = [learner for learner in learners if not learner.finished]
    waits = [learner.wait_s for learner in finished if learner.wait_s is not None]
    to_result = [learner.click_to_result_s for learner in finished]
    clicks = [learner.click for learner in learners if learner.click]
    results = [learner.result for learner in finished]
    class_done = max(results) - min(clicks) if results and clicks else None
    trained = [learner.train_s for learner in finished if learner.train_s]
    sum_train = sum(trained) if trained else None
    slots = info.get("slots")
    ideal = sum_train / slots if sum_train and slots else None
    during = [s.seconds for s in kernel if s.during_load]
    before = [s.seconds for s in kernel if not s.during_load]
    server_during = [s.server_seconds for s in kernel
                     if s.during_load and s.server_seconds is not None]
    asking = [learner.requests_per_s for learner in finished
              if learner.requests_per_s is not None]

    print(f"\nServer: {info.get('executor', '?')}")
    print(f"{'#':>3} {'click s':>8} {'1st place':>9} {'said s':>7} {'wait s':>7} "
          f"{'result s':>9} {'train s':>8} {'img/s':>7}  outcome")
    start = min(clicks) if clicks else 0.0
    for learner in learners:
        shown = learner.queue_positions()
        place, eta = shown[0] if shown else (None, None)
        cells = [learner.click - start if learner.click else None, place, eta,
                 learner.wait_s, learner.click_to_result_s, learner.train_s,
                 learner.images_per_s]
        text = " ".join(f"{'-' if v is None else f'{v:.1f}':>{w}}"
                        for v, w in zip(cells, (8, 9, 7, 7, 9, 8, 7), strict=True))
        outcome = "finished" if learner.finished else "LOST: " + (
            learner.reason or "cut off by the global timeout")
        print(f"{learner.index:>3} {text}  {outcome}")
    lags = [learner.click - learner.asked for learner in learners
            if learner.click and learner.asked]
    print(f"\nfinished {len(finished)} of {len(learners)}, lost {len(lost)}; the browser "
          f"clicked Train {percentile(lags, 50)} s (p50), {percentile(lags, 100)} s (max) "
          "after being asked")
    asked = percentile(asking, 50)
    print(f"the class's pages asked the server {asked} times a second (p50; p5 "
          f"{percentile(asking, 5)}) from click to result: a page asks every "
          f"{LIVE_REFRESH_S:.0f} s while its job trains or starts next, every "
          f"{WAITING_REFRESH_S:.0f} s further back in line, every {FAR_BACK_REFRESH_S:.0f} s "
          f"from place {FAR_BACK_PLACE} on, and less when its browser is starved of CPU "
          "(compare runs of the same class)")
    print(f"peak memory of the server and its descendants: {sampler.peak_bytes / 1e6:,.0f} MB "
          f"(sum of RSS, {sampler.samples} samples; at most {sampler.peak_processes} "
          f"processes at once, {len(sampler.peak_by_pid)} seen in all)")
    for pid, size in sorted(sampler.peak_by_pid.items(), key=lambda item: -item[1])[:8]:
        print(f"  pid {pid:>7} peak {size / 1e6:7,.0f} MB  {sampler.labels.get(pid, '?')}")
    print(f"wait (click to first epoch): p50 {percentile(waits, 50)} s, p95 "
          f"{percentile(waits, 95)} s; click to result p50 {percentile(to_result, 50)} s, "
          f"p95 {percentile(to_result, 95)} s")
    print(f"kernel page, preset change to result drawn: before the class p50 "
          f"{percentile(before, 50)} s ({len(before)} changes); during it p50 "
          f"{percentile(during, 50)} s, p95 {percentile(during, 95)} s, max "
          f"{max(during) if during else None} ({len(during)} changes, "
          f"{sum(not s.ok for s in kernel)} over {KERNEL_CHANGE_LIMIT_S:.0f} s)")
    print(f"  of which the server (rerun sent to script finished, as the browser's network "
          f"saw them): p50 {percentile(server_during, 50)} s, p95 "
          f"{percentile(server_during, 95)} s ({len(server_during)} changes); the rest is "
          "the kernel learner's browser drawing the page on the server's cores")
    if class_done and ideal:
        print(f"class done in {class_done:.1f} s; sum of training {sum_train:.1f} s over "
              f"{slots} slot(s) = ideal {ideal:.1f} s; ratio {class_done / ideal:.2f} "
              "(target 1.25)")
    if "home_after" in info:
        print(f"home page afterwards: {info['home_after']}")
    for note in queue_notes(learners):
        print(f"queue: {note}")
    for line in server_log_problems(log_path):
        print(f"server log: {line}")

    detail = REPO_ROOT / "bench" / "results" / f"classroom_load-{len(learners)}.json"
    detail.write_text(json.dumps({"info": info, "learners": [asdict(x) for x in learners],
                                  "kernel": [asdict(s) for s in kernel]}, indent=1))
    print(f"details: {detail.relative_to(REPO_ROOT)}")
    return {"learners": len(learners), "finished": len(finished), "lost": len(lost),
            "peak_rss_mb": round(sampler.peak_bytes / 1e6, 1),
            "wait_p50_s": percentile(waits, 50), "wait_p95_s": percentile(waits, 95),
            "click_to_result_p95_s": percentile(to_result, 95),
            "kernel_page_p95_s": percentile(during, 95),
            "kernel_server_p95_s": percentile(server_during, 95), "slots": slots,
            "class_browser_nice": args.class_browser_nice,
            "class_session_nice": args.class_session_nice,
            "class_requests_per_s_p50": asked,
            "sum_train_s": round(sum_train, 2) if sum_train else None,
            "class_done_s": round(class_done, 2) if class_done else None,
            "ideal_s": round(ideal, 2) if ideal else None,
            "ratio_to_ideal": round(class_done / ideal, 3) if class_done and ideal else None,
            "autogroup": info.get("autogroup")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--subset", action="store_true",
                        help="train on the smallest subset (2,000 images) to be quicker")
    parser.add_argument("--max-jobs", type=int, default=None,
                        help="jobs at once (sets CNN_CLASSROOM_MAX_JOBS for the server)")
    parser.add_argument("--timeout", type=float, default=2400.0,
                        help="seconds for the whole run, server start included")
    parser.add_argument("--stagger", type=float, default=5.0,
                        help="the learners press Train over this many seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--class-browser-nice", type=int, default=19,
                        help="CPU niceness of the class's browser (its pages stand for the "
                             "learners' own computers); 0 runs it at the server's priority")
    parser.add_argument("--class-session-nice", type=int, default=0,
                        help="where Linux shares the CPU by session (autogroup): the nice of "
                             "the class's browser's session as a whole. 0 (default): its pages "
                             "keep up and ask the server as a class would; at 10 or 19 they "
                             "starve, ask about half as often, and the server's figures "
                             "flatter it")
    args = parser.parse_args()
    if args.learners < 1:
        parser.error("--learners must be at least 1")
    started = time.time()
    deadline = started + args.timeout
    rng = random.Random(args.seed)
    learners = [Learner(i + 1, rng.uniform(0, args.stagger)) for i in range(args.learners)]
    kernel: list[KernelSample] = []
    info: dict = {"args": vars(args)}
    logs = REPO_ROOT / "bench" / "results"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"classroom_load-{args.learners}-server.log"
    env = {"CNN_CLASSROOM_MAX_JOBS": str(args.max_jobs)} if args.max_jobs else {}
    server = Server(log_path, env)
    # If the browser side hangs past the deadline, end the server and this script anyway.
    def give_up() -> None:
        print(f"classroom_load: still running {args.timeout + 120:.0f} s after start; "
              "stopping the server and exiting", flush=True)
        server.stop()
        os._exit(3)

    watchdog = threading.Timer(args.timeout + 120, give_up)
    watchdog.daemon = True
    watchdog.start()
    sampler = MemorySampler(server.pid).start()
    try:
        server.wait_healthy()
        info["autogroup"] = autogroup = autogroup_scheduling()
        print(f"server up at {server.url} (pid {server.pid}); {args.learners} learners, "
              f"timeout {args.timeout:.0f} s; scheduling by session (autogroup): "
              f"{'unknown' if autogroup is None else 'on' if autogroup else 'off'}", flush=True)
        try:
            asyncio.run(asyncio.wait_for(
                run_class(args, server.url, learners, kernel, info, deadline),
                timeout=max(deadline - time.time() + 60, 1)))
        except asyncio.TimeoutError:
            print("classroom_load: the global timeout ended the run", flush=True)
    finally:
        sampler.stop()
        server.stop()
        watchdog.cancel()
    print(json.dumps(report(args, learners, kernel, info, sampler, log_path)))


if __name__ == "__main__":
    main()
