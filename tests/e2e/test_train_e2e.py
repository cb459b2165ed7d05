"""Real browser, offline learner: train 1 epoch on the bundled MNIST subset, see the results."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import open_page

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_train_one_epoch_on_the_bundled_subset(page, bundled_app_url, artifacts_dir):
    open_page(page, bundled_app_url, "Train_a_CNN")
    main = page.locator("[data-testid='stMain']")
    page.get_by_text("bundled subset").first.wait_for()
    page.get_by_test_id("stExpander").get_by_text("Settings", exact=True).click()
    epochs = page.get_by_label("Epochs")
    epochs.fill("1")  # clicking Train right after typing must still use 1 epoch
    page.get_by_role("button", name="Train", exact=True).click()
    # Live progress: the bar's text and the curves appear while it trains.
    page.get_by_text(re.compile(r"Epoch 1 of 1, batch \d+ of \d+")).first.wait_for(timeout=90_000)
    page.locator("[data-testid='stPlotlyChart']").first.wait_for()
    page.screenshot(path=str(artifacts_dir / "train-live.png"))
    accuracy = page.locator("[data-testid='stMetric']").filter(has_text="Test accuracy")
    accuracy.wait_for(timeout=180_000)
    value = float(re.search(r"([\d.]+)%", accuracy.inner_text()).group(1))
    assert value > 90, f"test accuracy {value}% after one epoch on 6,000 digits"
    assert "6,000 images, 1 epoch" in main.inner_text()
    # Validation on 600 held-out training digits, test once on the 1,000 test digits.
    assert page.locator("[data-testid='stMetric']").filter(
        has_text="Validation accuracy").count() == 1
    assert "600 images held out of the training set" in main.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(artifacts_dir / "train-results.png"), full_page=True)
