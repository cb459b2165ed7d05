"""Real browser, Train a CNN: a learner starts a short run, visits Home and comes back while it
trains: the form keeps the values it was started with and the panel says what it trains with.
The address-bar link opens the same form in a new browser, where it trains nothing, and a
teacher's version of it locks and hides controls."""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import go_to, open_page, query, wait_for_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STARTED = ("Started with: MNIST · MNIST CNN (16 filters of 5x5, 128 dense units, dropout 0.4) · "
           "2,000 images, 10% of them held out to validate · 1 epoch, batches of 64")


def subset_slider(page):
    return page.get_by_test_id("stSlider").filter(has_text="Training subset").get_by_role(
        "slider")


def open_settings(page) -> None:
    page.get_by_test_id("stExpander").get_by_text("Settings", exact=True).click()


def test_a_run_keeps_its_settings_across_home_and_its_link_opens_elsewhere(page, browser,
                                                                           bundled_app_url,
                                                                           artifacts_dir):
    open_page(page, bundled_app_url, "Train_a_CNN")
    subset_slider(page).focus()
    subset_slider(page).press("Home")  # the smallest subset: 2,000 images
    wait_for_idle(page)
    open_settings(page)
    page.get_by_label("Epochs").fill("1")  # Train right after typing still uses 1 epoch
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(STARTED).wait_for()

    go_to(page, "Home")
    page.get_by_text("Learning path").wait_for()
    go_to(page, "Train a CNN")
    # Whether it still trains or has just finished, the page names the run's own settings.
    page.get_by_text(STARTED).first.wait_for()
    assert subset_slider(page).get_attribute("aria-valuetext") == "2,000"
    open_settings(page)
    assert page.get_by_test_id("stMain").get_by_label("Epochs").input_value() == "1"
    assert query(page) == {"subset": "2000", "epochs": "1"}

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.set_default_timeout(30_000)
        other.goto(page.url + "&" + urlencode({"lock": "epochs,subset", "hide": "zoom"}))
        wait_for_idle(other)
        # Waiting assertions: the status icon can lag the first run of a new session, and
        # what counts is what the page shows once that run has drawn it.
        expect(subset_slider(other)).to_have_attribute("aria-valuetext", "2,000", timeout=60_000)
        expect(subset_slider(other)).to_be_disabled()
        open_settings(other)
        epochs = other.get_by_test_id("stMain").get_by_label("Epochs")
        expect(epochs).to_have_value("1", timeout=60_000)
        expect(epochs).to_be_disabled()
        # The shifts box shows the augmentation part has been drawn; only then does a missing
        # zoom box mean it is hidden.
        expect(other.get_by_test_id("stCheckbox").filter(has_text="Random shifts")) \
            .to_have_count(1)
        assert other.get_by_test_id("stCheckbox").filter(has_text="Zoom").count() == 0
        # A link fills in the form; only the Train button trains.
        expect(other.get_by_text("Press Train to start")).to_have_count(1)
        assert other.get_by_text("Started with:").count() == 0
        assert other.get_by_test_id("stException").count() == 0
    finally:
        # The new browser's page is the one this test is about: keep its picture too.
        with contextlib.suppress(Exception):
            other.screenshot(path=str(artifacts_dir / "train-link-new-browser.png"),
                             full_page=True)
        fresh.close()
