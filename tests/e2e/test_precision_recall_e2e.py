"""Real browser: train a tiny 8-vs-rest CNN, then move the threshold slider with the keyboard
and see the confusion-matrix counts change (no worker call: scores are kept in the session)."""

from __future__ import annotations

import re

import pytest

from cnn_core.data.datasets import load_dataset
from cnn_core.data.imbalance import imbalanced_split
from tests.e2e.conftest import open_page, wait_for_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

COUNTS = re.compile(r"At threshold ([\d.]+): TP = ([\d,]+), FP = ([\d,]+), FN = ([\d,]+), "
                    r"TN = ([\d,]+)")


def matrix_counts(page, threshold: str, timeout: float = 60_000) -> tuple[int, int, int, int]:
    caption = page.get_by_text(re.compile(rf"^At threshold {re.escape(threshold)}: TP = "))
    caption.wait_for(timeout=timeout)
    found = COUNTS.search(caption.inner_text())
    return tuple(int(v.replace(",", "")) for v in found.groups()[1:])


def test_threshold_slider_changes_the_confusion_matrix(page, app_url, artifacts_dir):
    open_page(page, app_url, "Precision_and_recall")
    main = page.locator("[data-testid='stMain']")
    # The page opens on the bird task (or says CIFAR-10 is missing); digits train fastest.
    main.get_by_text("8 vs not 8 (MNIST digits)", exact=True).click()
    wait_for_idle(page)
    main.get_by_text("finds none of the").wait_for()  # the "always no" baseline
    size = page.get_by_role("slider", name="Training images")
    size.focus()
    size.press("Home")  # the smallest subset: 1,000 images
    wait_for_idle(page)
    assert page.get_by_role("slider", name="Training images").get_attribute(
        "aria-valuetext") == "1,000"
    epochs = page.locator("input[aria-label='Epochs']")
    epochs.fill("1")
    epochs.press("Enter")
    wait_for_idle(page)
    page.get_by_role("button", name="Train the CNN").click()
    # The matrix appears once the job is done. Not the batch counter: 1,000 images on a warm
    # worker may train between two of the panel's once-a-second redraws, so it may never show;
    # a busy class server may also queue the job behind others first.
    before = matrix_counts(page, "0.5", timeout=300_000)
    # The server reads the same data folder as this process (or the bundled subset).
    _, y = imbalanced_split(load_dataset("mnist", download=False).y_test, 8, 0.05)
    assert sum(before) == len(y) and before[0] + before[2] == y.sum()  # TP + FN: every 8
    page.screenshot(path=str(artifacts_dir / "precision-recall-trained.png"))

    threshold = page.get_by_role("slider", name=re.compile("^Decision threshold"))
    threshold.focus()
    threshold.press("Home")  # 0.001: nearly everything counts as an 8
    lowest = matrix_counts(page, "0.001")
    assert lowest != before and sum(lowest) == len(y)
    assert lowest[0] >= before[0] and lowest[1] > before[1]  # more found, more false alarms
    # One step at a time, each drawn before the next key: a key pressed while the page reruns
    # can be lost (CI once stopped at 0.005).
    for step in ("0.002", "0.005", "0.01"):
        page.get_by_role("slider", name=re.compile("^Decision threshold")).press("ArrowRight")
        stepped = matrix_counts(page, step)
    assert stepped[0] <= lowest[0] and stepped[1] <= lowest[1]
    assert page.locator("[data-testid='stException']").count() == 0
    main.get_by_text("The metrics, with their formulas").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "precision-recall-threshold.png"), full_page=True)
