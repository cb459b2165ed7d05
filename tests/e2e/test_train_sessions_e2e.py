"""Real browser: two tabs train at once without mixing results, a learner leaves the page and
comes back to a finished model, and saved models can be uploaded (or refused) for testing."""

from __future__ import annotations

import re

import pytest

from cnn_core.models.specs import pretrained_path
from tests.e2e.conftest import choose, go_to, open_page, wait_for_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def start_job(page, url: str, model: str | None, smallest_subset: bool) -> None:
    open_page(page, url, "Train_a_CNN")
    if smallest_subset:
        slider = page.get_by_role("slider").first
        slider.focus()
        slider.press("Home")
        # The slider sends its value a moment after the key: wait until the server has drawn
        # the page with it, or the Train click below may race it.
        page.get_by_text("Press Train to start. With 2,000 images").wait_for()
        wait_for_idle(page)
    if model:
        choose(page, "Model", model)
    page.get_by_test_id("stExpander").get_by_text("Settings", exact=True).click()
    page.get_by_label("Epochs").fill("1")
    page.get_by_role("button", name="Train", exact=True).click()
    # With fewer free workers than learners the job first waits its turn in the queue.
    page.get_by_text(re.compile(r"Epoch 1 of 1|Starting|Loading|Preparing|Waiting: ")).first \
        .wait_for(timeout=60_000)


def wait_for_results(page) -> str:
    page.locator("[data-testid='stMetric']").filter(has_text="Test accuracy").wait_for(
        timeout=240_000)
    return page.locator("[data-testid='stMain']").inner_text()


def test_two_tabs_train_at_once_and_leaving_the_page_keeps_the_job(browser, bundled_app_url,
                                                                     artifacts_dir):
    first = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    second = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    start_job(first, bundled_app_url, "Dense baseline", smallest_subset=False)
    start_job(second, bundled_app_url, None, smallest_subset=True)

    go_to(first, "Image kernels")  # leave while the job runs...
    first.get_by_text("Result: Sobel x").wait_for(timeout=90_000)  # two jobs share 2 cores
    first.wait_for_timeout(2_000)
    go_to(first, "Train a CNN")  # ...and come back to it

    first_text, second_text = wait_for_results(first), wait_for_results(second)
    titles = [line for line in (first_text + "\n" + second_text).splitlines()
              if " on MNIST (" in line or line.startswith("Started with")]
    assert "Dense baseline on MNIST (6,000 images, 1 epoch)" in first_text, titles
    assert "MNIST CNN on MNIST (2,000 images, 1 epoch)" in second_text, titles
    assert "MNIST CNN on MNIST" not in first_text and "Dense baseline" not in second_text
    for page in (first, second):
        assert page.locator("[data-testid='stException']").count() == 0
    second.screenshot(path=str(artifacts_dir / "train-second-tab.png"))
    first.context.close()
    second.context.close()


def test_upload_a_saved_model_and_a_broken_one(page, bundled_app_url, tmp_path):
    open_page(page, bundled_app_url, "Train_a_CNN")
    page.get_by_test_id("stExpander").get_by_text("Test a saved model").click()
    uploader = page.locator("input[type='file']").first
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"PK\x03\x04 definitely not a model")
    uploader.set_input_files(str(broken))
    error = page.locator("[data-testid='stAlertContentError']").first
    error.wait_for(timeout=120_000)
    assert "not a Keras model" in error.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0

    uploader.set_input_files(str(pretrained_path("mnist_cnn")))
    page.get_by_text("Uploaded model mnist_cnn.keras on MNIST").wait_for(timeout=120_000)
    accuracy = page.locator("[data-testid='stMetric']").filter(has_text="Test accuracy").first
    value = float(re.search(r"([\d.]+)%", accuracy.inner_text()).group(1))
    assert value > 98  # the shipped CNN on the bundled 1,000 test digits
