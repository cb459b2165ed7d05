"""Training speed through the real app against a bare model.fit, on full MNIST.

1. App: starts `streamlit run app.py`, opens the training page in headless chromium (run as an
   ordinary user's browser, `_browser.user_chromium`: at normal priority, as on one laptop, or
   with --browser-nice 19 at the lowest, processes and session, standing for a classroom where
   the browser runs on the learner's own computer; its live curves polling as a learner sees
   them, or with --watch away the home page shown while the big jobs train) through a link that
   sets the subset (default all 60,000 images) and the epochs (default 2), and trains the
   "MNIST CNN" preset with the page's other defaults: batch size 64, and 10% of the chosen
   images held out (stratified) as a validation split checked after every epoch, so 54,000
   images train and 6,000 validate; the 10,000 test images are evaluated once, at the end. It
   reads what the results section shows: the "Test accuracy" and "Validation accuracy" metrics,
   the line "Trained for ... s at ... images a second", and the history CSV it offers for
   download, whose `time_s` (seconds of training at the end of each epoch, its validation pass
   included) and `val_accuracy` give the time to 98% validation accuracy, at an epoch's end. It
   presses Train APP_RUNS times. Then it times kernel-page reruns in a second tab (preset
   change -> new result shown) while a second, short job trains (the smallest subset, 20
   epochs) and after it, against the same measurement before any training (separately, so the
   timing clicks do not slow the measured jobs).
2. Bare: the same model, batch size and data, split as the app's worker splits it
   (cnn_core.jobs.worker.prepare_data: the same training images and validation split),
   with a plain `model.fit` validating on that split in a subprocess; speed measured over the
   same span as the page's (start of training to the last batch, so the earlier epochs'
   validation passes count in both), in training images a second. Plain means one batch
   per call of Keras' compiled step, as the app trains on a CPU.

This machine's speed drifts by a quarter within minutes, so the two sides take turns: bare
fits, an app run, bare fits, and so on, ending with bare fits (the server and the page stay
open and idle meanwhile). Each app run is compared with the median of the plain fits just
before and just after it, and `ratio` (target >= 0.9) is the median of those comparisons.
About every other plain fit idles 4-5 s at an epoch's start (tf.data's autotuner, which the
app's pipelines do not use); a bare run's pauses over IDLE_GAP_S are left out of its speed and
printed. On a GPU the app trains several batches per call
(cnn_core.jobs.training.batches_per_call): there one bare fit in each turn trains that way
instead of plainly, and `overhead_ratio` is the app's median against theirs (null on a CPU,
where `ratio` is that already).

Data from CNN_CLASSROOM_DATA (default ../shared/data). The last line is JSON:
{"app_img_per_s", "bare_img_per_s", "ratio", "same_calls_img_per_s", "overhead_ratio",
"test_accuracy", "seconds_to_98", "val_accuracy", "app_runs_img_per_s", "run_ratios",
"bare_runs_img_per_s", "bare_runs_idle_s", "page_requests_per_s", "train_images", "epochs",
"browser_nice", "watch", "autogroup"}:
app_img_per_s and bare_img_per_s are medians; test_accuracy and val_accuracy the lowest of the
app runs, seconds_to_98 the longest (null when a run's validation accuracy never reached 98%);
autogroup whether Linux shares the CPU by session here (`_browser.autogroup_scheduling`);
page_requests_per_s how often the learner's page asked the server for a redraw from the click to
the job's end, in each app run (about 1 while it watches the live panel and keeps up). Targets on
a 2-core machine, with the defaults: ratio >= 0.9, test accuracy >= 0.985 after 2 epochs, 98%
validation accuracy after under 30 s of training.

Usage: python bench/train_mnist.py [--subset IMAGES] [--epochs N] [--runs N] [--browser-nice 0]
       [--watch page]
(a smoke run of the whole path: --subset 2000 --epochs 1 --runs 1; its figures mean nothing)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))
os.environ.setdefault("CNN_CLASSROOM_DATA", str(REPO_ROOT.parent / "shared" / "data"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from _browser import COUNT_REQUESTS_JS, autogroup_scheduling, user_chromium  # noqa: E402

from tests.e2e.conftest import CHROMIUM_ARGS, running_server  # noqa: E402

EPOCHS = 2
SUBSET = 60_000   # all of MNIST's training images (the page's slider at its end)
BATCH_SIZE = 64   # the page's default
# The second job, trained while the kernel page is timed: the smallest subset (1,800 images
# trained) for 20 epochs, several seconds at any speed this machine has had. With 3 it could
# end within a second or two, before the live panel's once-a-second redraw showed a batch, and
# the bench then waited for a progress line that never came.
SHORT_JOB_EPOCHS = 20
APP_RUNS = 3  # presses of Train, each between two turns of bare fits
PLAIN_RUNS_EACH_TURN = 1  # plus one with the app's batches per call (plain too on a CPU)
# A bare fit's pause between two batches longer than this is tf.data's autotuner holding up
# the next epoch's start (about 4-5 s; an epoch's end with its validation takes under 0.6 s
# here), and is left out of its speed: the baseline is Keras training, not Keras waiting.
IDLE_GAP_S = 2.0

# argv: batch size, epochs, subset (0: all), 1 to train with the app's batches per call (else
# one), idle gap. Prints JSON: training images a second (the idle waits left out), those waits
# in seconds, the batches per call, test and final validation accuracy, the training images.
BARE_FIT = """
import json, sys, time
import numpy as np, keras
from cnn_core import config
from cnn_core.data.pixels import to_model_input
from cnn_core.jobs.builder import build_model
from cnn_core.jobs.training import TrainConfig, batches_per_call, training_on_gpu
from cnn_core.jobs.worker import TrainRequest, prepare_data
batch, epochs, subset, app_calls = (int(a) for a in sys.argv[1:5])
IDLE_GAP_S = float(sys.argv[5])
request = TrainRequest("mnist", "mnist_cnn", {}, TrainConfig(epochs=epochs, batch_size=batch),
                       n_train=subset or None, validation_fraction=config.VALIDATION_FRACTION)
data = prepare_data(request)  # the app's own subset and validation split
keras.utils.set_random_seed(0)
model = build_model("mnist_cnn", (28, 28, 1), 10)
calls = batches_per_call(batch, training_on_gpu()) if app_calls else 1
model.steps_per_execution = calls
x, y = to_model_input(data.x_train), np.asarray(data.y_train)
xv, yv = to_model_input(data.x_val), np.asarray(data.y_val)
xt, yt = to_model_input(data.x_test), np.asarray(data.y_test)
class Clock(keras.callbacks.Callback):
    idle, end = 0.0, None
    def on_train_begin(self, logs=None): self.start = time.perf_counter()
    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        # The autotuner's wait, not training (the first batch's tracing always counts).
        if self.end is not None and now - self.end > IDLE_GAP_S:
            self.idle += now - self.end
        self.end = now
clock = Clock()
# Validation in batches as the app's (cnn_core.jobs.training.TrainingJob).
history = model.fit(x, y, batch_size=batch, epochs=epochs, validation_data=(xv, yv), verbose=0,
                    validation_batch_size=batch if calls > 1 else max(batch, 256),
                    callbacks=[clock])
model.steps_per_execution = 1
_, accuracy = model.evaluate(xt, yt, verbose=0)
seconds = clock.end - clock.start - clock.idle
print(json.dumps({"img_per_s": len(x) * epochs / seconds, "idle_s": clock.idle,
                  "batches_per_call": calls,
                  "accuracy": accuracy,
                  "val_accuracy": history.history["val_accuracy"][-1], "train_images": len(x)}))
"""


def kernel_page_latency(page, repeats: int = 5) -> float:
    """Median seconds from choosing another kernel preset to its result being shown."""
    presets = ["Sobel y", "Box blur 3x3", "Sharpen", "Emboss", "Sobel x"]
    # Chromium throttles background tabs' timers, which alone adds about 2 s here.
    page.bring_to_front()
    times = []
    for i in range(repeats):
        name = presets[i % len(presets)]
        page.locator("[data-testid='stSelectbox']").filter(has_text="Preset").first.click()
        start = time.perf_counter()
        page.get_by_role("option", name=name, exact=True).click()
        page.get_by_text(f"Result: {name}").wait_for(timeout=30_000)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _percent(metric) -> float:
    """A metric's value shown as "98.76%", as a fraction."""
    return round(float(re.search(r"([\d.]+)%", metric.inner_text()).group(1)) / 100, 4)


def train_once(page, watch: bool = True) -> dict:
    """Press Train on the open training page and read the run's results once shown. With
    `watch` False the learner looks at the home page while the job trains, and comes back
    when its queue line says nothing trains."""
    from tests.e2e.conftest import go_to, wait_for_idle

    finished = page.get_by_text(re.compile(r"^Finished: ")).first
    trained_line = page.get_by_text(re.compile(r"Trained for [\d,.]+ s at [\d,]+ images a "
                                               r"second")).first
    earlier = trained_line.inner_text() if trained_line.count() else None
    requests_before, clicked = page.evaluate("window.__requests"), time.monotonic()
    page.get_by_role("button", name="Train", exact=True).click()
    # An earlier run's "Finished" line gives way to the live panel, and comes back at the end;
    # its results stay below meanwhile, until the run after the job's end replaces them.
    finished.wait_for(state="detached", timeout=120_000)
    if not watch:
        go_to(page, "Home")
        page.get_by_text("Nothing is training now").first.wait_for(timeout=900_000)
        go_to(page, "Train a CNN")
    finished.wait_for(timeout=900_000)
    requests_per_s = ((page.evaluate("window.__requests") - requests_before)
                      / (time.monotonic() - clicked))
    # The results come with the run that brought "Finished" back, or just after it; a line
    # still the same after 30 s is the new run's, by chance to the tenth of a second.
    deadline = time.monotonic() + 30
    while (not trained_line.count() or trained_line.inner_text() == earlier) \
            and time.monotonic() < deadline:
        time.sleep(0.25)
    wait_for_idle(page)
    trained = trained_line.inner_text()
    metric = page.locator("[data-testid='stMetric']")
    accuracy = _percent(metric.filter(has_text="Test accuracy"))
    validation = _percent(metric.filter(has_text="Validation accuracy"))
    speed = float(re.search(r"at ([\d,]+) images a second", trained).group(1).replace(",", ""))
    with page.expect_download() as download:
        page.get_by_text("Download the training history (CSV)").click()
    history = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    # The results section has used Keras (in the inference process) for filters and feature
    # maps: done before the bare fits that follow.
    page.get_by_text(re.compile(r"conv_1\*?\*?: 28 x 28 x 16")).first.wait_for(timeout=120_000)
    # Every epoch has a val_accuracy: the page holds out 10% by default.
    reached = [float(row["time_s"]) for row in history if float(row["val_accuracy"]) >= 0.98]
    return {"img_per_s": speed, "accuracy": accuracy, "val_accuracy": validation,
            "seconds_to_98": reached[0] if reached else None, "requests_per_s": requests_per_s}


def run_app(url: str, subset: int, epochs: int, runs: int, between, browser_nice: int,
            watch: bool) -> dict:
    """The app's trainings, `between()` after each (the bare fits' turn), then the kernel
    page's reruns while a short job trains and after it; the browser at CPU priority
    `browser_nice`, the learner watching the live panel or not (train_once)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import open_page, wait_for_idle

    with sync_playwright() as playwright:
        # Its processes and its session alike (where the CPU is shared by session): one page
        # still keeps up at the lowest, which `page_requests_per_s` shows.
        browser = playwright.chromium.launch(
            executable_path=user_chromium(browser_nice, browser_nice), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      accept_downloads=True)
        context.add_init_script(COUNT_REQUESTS_JS)
        kernels = context.new_page()
        open_page(kernels, url, "Image_kernels")
        before = kernel_page_latency(kernels)

        page = context.new_page()
        # A link fills in the form (every setting it leaves out at its default); only the
        # Train button starts training.
        open_page(page, url, f"Train_a_CNN?subset={subset}&epochs={epochs}")
        trainings = []
        for _ in range(runs):
            trainings.append(train_once(page, watch))
            print(f"app:  {trainings[-1]['img_per_s']:,.0f} images/s, test accuracy "
                  f"{trainings[-1]['accuracy']:.4f}, validation accuracy "
                  f"{trainings[-1]['val_accuracy']:.4f}, 98% validation accuracy after "
                  f"{trainings[-1]['seconds_to_98']} s of training; the page asked the server "
                  f"{trainings[-1]['requests_per_s']:.2f} times a second", flush=True)
            between()
        # Kernel-page reruns while a second (shorter) job trains.
        slider = page.get_by_role("slider").first
        slider.focus()
        slider.press("Home")  # the smallest subset: a short job
        wait_for_idle(page)
        page.get_by_test_id("stExpander").get_by_text("Settings", exact=True).click()
        page.get_by_label("Epochs").fill(str(SHORT_JOB_EPOCHS))  # long enough to be seen
        page.get_by_label("Epochs").press("Enter")
        wait_for_idle(page)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text(re.compile(r"Epoch \d+ of \d+, batch [1-9]")).first.wait_for(
            timeout=120_000)
        during = kernel_page_latency(kernels)
        # The live panel replaced the last job's "Finished" line; it comes back at the end.
        page.get_by_text(re.compile(r"^Finished: ")).first.wait_for(timeout=300_000)
        page.get_by_text(re.compile(r"conv_1\*?\*?: 28 x 28 x 16")).first.wait_for(
            timeout=120_000)
        page.wait_for_timeout(2_000)
        after = kernel_page_latency(kernels)
        browser.close()
    return {"trainings": trainings,
            "kernel_rerun_s": {"before": before, "during": during, "after": after}}


def run_bare(subset: int, epochs: int, app_calls: bool = False) -> dict:
    done = subprocess.run([sys.executable, "-c", BARE_FIT, str(BATCH_SIZE), str(epochs),
                           str(subset), str(int(app_calls)), str(IDLE_GAP_S)],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT),
                               "CNN_CLASSROOM_OFFLINE": "1"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_bare_turn(subset: int, epochs: int) -> tuple[list[dict], list[dict]]:
    """(plain fits, fits with the app's batches per call) of one turn. Where the app trains
    one batch per call (on a CPU) the latter is a plain fit too."""
    runs = [run_bare(subset, epochs) for _ in range(PLAIN_RUNS_EACH_TURN)]
    runs.append(run_bare(subset, epochs, app_calls=True))
    return ([run for run in runs if run["batches_per_call"] == 1],
            [run for run in runs if run["batches_per_call"] > 1])


def speeds(runs: list[dict]) -> str:
    return ", ".join(f"{run['img_per_s']:,.0f}" + (f" (idle {run['idle_s']:.1f} s left out)"
                                                  if run["idle_s"] else "") for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=SUBSET,
                        help=f"training images to choose, 10%% of them held out to validate "
                             f"(2,000 to 60,000 in steps of 1,000; default {SUBSET:,})")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"default {EPOCHS}")
    parser.add_argument("--runs", type=int, default=APP_RUNS,
                        help=f"presses of Train, each between bare fits (default {APP_RUNS})")
    parser.add_argument("--browser-nice", type=int, default=0,
                        help="CPU niceness of the learner's browser: 0 (default) as on one "
                             "laptop, where it shares the cores with the server; 19 as in a "
                             "classroom, where it runs on the learner's own computer")
    parser.add_argument("--watch", choices=["page", "away"], default="page",
                        help="page (default): the learner watches the live panel while the "
                             "big jobs train; away: the learner looks at the home page "
                             "meanwhile and comes back for the results, so that the browser "
                             "draws nothing while they train")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    logs = REPO_ROOT / "bench" / "results"
    logs.mkdir(parents=True, exist_ok=True)
    turns = []  # (plain fits, fits with the app's batches per call), one per turn

    def bare_turn() -> None:
        plain, same_calls = run_bare_turn(args.subset, args.epochs)
        turns.append((plain, same_calls))
        print(f"bare: plain {speeds(plain)}; with the app's batches per call "
              f"{speeds(same_calls) or '(one: plain)'} images/s on "
              f"{plain[0]['train_images']:,} training images", flush=True)

    bare_turn()
    with running_server(logs / "train_mnist-server.log") as url:
        app = run_app(url, args.subset, args.epochs, args.runs, bare_turn,
                      args.browser_nice, args.watch == "page")
    rerun = app["kernel_rerun_s"]
    print(f"kernel page, preset change to result shown (median of 5): before training "
          f"{rerun['before']:.3f} s, while training {rerun['during']:.3f} s, after "
          f"{rerun['after']:.3f} s")
    trainings = app["trainings"]
    # Each app run against the plain fits of the turns on either side of it.
    run_ratios = [run["img_per_s"] / statistics.median(
        fit["img_per_s"] for fit in turns[i][0] + turns[i + 1][0])
        for i, run in enumerate(trainings)]
    plain = [fit for fits, _ in turns for fit in fits]
    same_calls = [fit for _, fits in turns for fit in fits]
    app_speed = statistics.median(run["img_per_s"] for run in trainings)
    same_speed = (statistics.median(fit["img_per_s"] for fit in same_calls) if same_calls
                  else None)
    reached = [run["seconds_to_98"] for run in trainings]
    print(f"plain fit: test accuracy {plain[-1]['accuracy']:.4f}, validation accuracy "
          f"{plain[-1]['val_accuracy']:.4f}; app / plain per run: "
          + ", ".join(f"{ratio:.3f}" for ratio in run_ratios))
    print(json.dumps({"app_img_per_s": round(app_speed, 1),
                      "bare_img_per_s": round(statistics.median(
                          fit["img_per_s"] for fit in plain), 1),
                      "ratio": round(statistics.median(run_ratios), 3),
                      "same_calls_img_per_s": same_speed and round(same_speed, 1),
                      "overhead_ratio": same_speed and round(app_speed / same_speed, 3),
                      "test_accuracy": min(run["accuracy"] for run in trainings),
                      "seconds_to_98": None if None in reached else max(reached),
                      "val_accuracy": min(run["val_accuracy"] for run in trainings),
                      "app_runs_img_per_s": [run["img_per_s"] for run in trainings],
                      "run_ratios": [round(ratio, 3) for ratio in run_ratios],
                      "bare_runs_img_per_s": [round(fit["img_per_s"], 1) for fit in plain],
                      "bare_runs_idle_s": [round(fit["idle_s"], 2) for fit in plain],
                      "train_images": plain[0]["train_images"],
                      "page_requests_per_s": [round(run["requests_per_s"], 2)
                                              for run in trainings],
                      "epochs": args.epochs, "browser_nice": args.browser_nice,
                      "watch": args.watch,
                      "autogroup": autogroup_scheduling()}))


if __name__ == "__main__":
    main()
