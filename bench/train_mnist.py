"""Training speed through the real app against a bare model.fit, on full MNIST.

1. App: starts `streamlit run app.py`, opens the training page in headless chromium (its
   live curves polling as a learner sees them), trains the "MNIST CNN" preset on all
   60,000 images for 2 epochs with the page's default batch size, and reads the speed
   and test accuracy the page reports, and the history CSV it offers for download.
   Then it times kernel-page reruns in a second tab (preset change -> new result shown)
   while a second, short job trains and after it, against the same measurement before any
   training (separately, so the timing clicks do not slow the measured job).
2. Bare: the same model, data and batch size with a plain `model.fit` in a subprocess,
   speed measured over the same span (first batch to last batch) as the page's; run once
   before and once after the app, and averaged, because this machine's speed drifts.

Data from CNN_CLASSROOM_DATA (default ../shared/data). The last line is JSON:
{"app_img_per_s", "bare_img_per_s", "ratio", "test_accuracy", "seconds_to_98"}.
Targets on a 2-core machine: ratio >= 0.9, test accuracy >= 0.985 after 2 epochs,
98% reached in under 30 s of training.

Usage: python bench/train_mnist.py
"""

from __future__ import annotations

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
os.environ.setdefault("CNN_CLASSROOM_DATA", str(REPO_ROOT.parent / "shared" / "data"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

EPOCHS = 2
BATCH_SIZE = 64  # the page's default

BARE_FIT = """
import json, sys, time
import numpy as np, keras
from cnn_core.data.datasets import load_dataset
from cnn_core.jobs.builder import build_model
from cnn_core.data.pixels import to_model_input
data = load_dataset("mnist", download=False)
keras.utils.set_random_seed(0)
model = build_model("mnist_cnn", (28, 28, 1), 10)
x, y = to_model_input(data.x_train), np.asarray(data.y_train)
xt, yt = to_model_input(data.x_test), np.asarray(data.y_test)
class Clock(keras.callbacks.Callback):
    def on_train_begin(self, logs=None): self.start = time.perf_counter()
    def on_train_batch_end(self, batch, logs=None): self.end = time.perf_counter()
clock = Clock()
model.fit(x, y, batch_size=int(sys.argv[1]), epochs=int(sys.argv[2]), validation_data=(xt, yt),
          verbose=0, callbacks=[clock])
_, accuracy = model.evaluate(xt, yt, verbose=0)
seconds = clock.end - clock.start
print(json.dumps({"img_per_s": len(x) * int(sys.argv[2]) / seconds, "accuracy": accuracy}))
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


def run_app(url: str, downloads: Path) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import open_page, wait_for_idle

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      accept_downloads=True)
        kernels = context.new_page()
        open_page(kernels, url, "Image_kernels")
        before = kernel_page_latency(kernels)

        page = context.new_page()
        open_page(page, url, "Train_a_CNN")
        slider = page.get_by_role("slider").first
        slider.focus()
        slider.press("End")  # all 60,000 images
        wait_for_idle(page)
        page.get_by_test_id("stExpander").get_by_text("Settings", exact=True).click()
        page.get_by_label("Epochs").fill(str(EPOCHS))
        page.get_by_label("Epochs").press("Enter")
        wait_for_idle(page)
        page.get_by_role("button", name="Train", exact=True).click()
        metric = page.locator("[data-testid='stMetric']")
        metric.filter(has_text="Test accuracy").wait_for(timeout=900_000)
        accuracy = float(re.search(r"([\d.]+)%", metric.filter(
            has_text="Test accuracy").inner_text()).group(1)) / 100
        speed = float(re.search(r"([\d,]+) img/s", metric.filter(
            has_text="Training speed").inner_text()).group(1).replace(",", ""))
        with page.expect_download() as download:
            page.get_by_text("Download the training history (CSV)").click()
        history = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        # Kernel-page reruns while a second (shorter) job trains, then once the results
        # section has used Keras (in the inference process) for filters and feature maps.
        page.get_by_text(re.compile(r"conv_1\*?\*?: 28 x 28 x 16")).first.wait_for(
            timeout=120_000)
        slider.focus()
        slider.press("Home")  # the smallest subset: a short job
        wait_for_idle(page)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text(re.compile(r"Epoch 1 of \d+, batch [1-9]")).first.wait_for(
            timeout=120_000)
        during = kernel_page_latency(kernels)
        page.get_by_text(re.compile(r"2,000 images")).first.wait_for(timeout=300_000)
        page.get_by_text(re.compile(r"conv_1\*?\*?: 28 x 28 x 16")).first.wait_for(
            timeout=120_000)
        page.wait_for_timeout(2_000)
        after = kernel_page_latency(kernels)
        browser.close()
    reached = [float(row["time_s"]) for row in history if float(row["val_accuracy"]) >= 0.98]
    return {"img_per_s": speed, "accuracy": accuracy,
            "seconds_to_98": reached[0] if reached else None,
            "kernel_rerun_s": {"before": before, "during": during, "after": after}}


def run_bare() -> dict:
    done = subprocess.run([sys.executable, "-c", BARE_FIT, str(BATCH_SIZE), str(EPOCHS)],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    logs = REPO_ROOT / "bench" / "results"
    logs.mkdir(parents=True, exist_ok=True)
    # This machine's speed drifts by tens of percent over minutes (shared host), so the bare
    # run goes both before and after the app run, and the ratio uses their mean.
    bare_before = run_bare()
    print(f"bare (before): {bare_before['img_per_s']:,.0f} images/s")
    with running_server(logs / "train_mnist-server.log") as url:
        app = run_app(url, logs)
    print(f"app:  {app['img_per_s']:,.0f} images/s, test accuracy {app['accuracy']:.4f}, "
          f"98% validation accuracy after {app['seconds_to_98']} s of training")
    rerun = app["kernel_rerun_s"]
    print(f"kernel page, preset change to result shown (median of 5): before training "
          f"{rerun['before']:.3f} s, while training {rerun['during']:.3f} s, after "
          f"{rerun['after']:.3f} s")
    bare_after = run_bare()
    print(f"bare (after): {bare_after['img_per_s']:,.0f} images/s, test accuracy "
          f"{bare_after['accuracy']:.4f}")
    bare_speed = (bare_before["img_per_s"] + bare_after["img_per_s"]) / 2
    print(json.dumps({"app_img_per_s": round(app["img_per_s"], 1),
                      "bare_img_per_s": round(bare_speed, 1),
                      "ratio": round(app["img_per_s"] / bare_speed, 3),
                      "test_accuracy": app["accuracy"],
                      "seconds_to_98": app["seconds_to_98"]}))


if __name__ == "__main__":
    main()
