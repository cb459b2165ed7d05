"""Real browser: the Precision and recall page's settings outlive a trip to Home, live in the
address bar, and open again in a new browser; a teacher's link locks and hides controls. The
digit task keeps it quick (no CIFAR-10 needed); nothing is trained."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import go_to, open_page, query, wait_for_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def settings(page) -> dict[str, str]:
    """What the controls show: task, share, training images, epochs, fix."""
    page.locator(".st-key-pr_train_epochs_mnist input").wait_for()
    return {
        "task": page.locator(".st-key-pr_task_name [data-testid='stRadioOption']"
                             "[data-selected='true']").inner_text(),
        "share": page.locator(".st-key-pr_task_share input[type='range']").get_attribute(
            "aria-valuetext"),
        "size": page.locator(".st-key-pr_train_size_mnist input[type='range']").get_attribute(
            "aria-valuetext"),
        "epochs": page.locator(".st-key-pr_train_epochs_mnist input").input_value(),
        "fix": page.locator(".st-key-pr_fix [data-testid='stRadioOption']"
                            "[data-selected='true']").inner_text(),
        "baseline": page.get_by_text(re.compile(r"finds none of the")).inner_text(),
    }


def test_settings_outlive_home_live_in_the_url_and_open_in_a_new_browser(page, app_url, browser):
    open_page(page, app_url, "Precision_and_recall?problem=mnist_8&size=1000")
    page.locator(".st-key-pr_train_epochs_mnist input").wait_for(timeout=90_000)
    share = page.locator(".st-key-pr_task_share input[type='range']")
    share.focus()
    share.press("End")  # 50% 8s
    wait_for_idle(page)
    epochs = page.locator(".st-key-pr_train_epochs_mnist input")
    epochs.fill("4")
    epochs.press("Enter")
    wait_for_idle(page)
    page.locator(".st-key-pr_fix").get_by_text("Oversampling the rare class").click()
    wait_for_idle(page)
    before = settings(page)
    assert before["task"] == "8 vs not 8 (MNIST digits)" and before["share"] == "50"
    # 1,000 fits the bundled data too, whose 50% task holds only 1,170 training images.
    assert (before["size"], before["epochs"]) == ("1,000", "4")
    assert before["fix"] == "Oversampling the rare class"
    assert query(page) == {"problem": "mnist_8", "share": "50", "size": "1000", "epochs": "4",
                           "fix": "oversample"}
    linked = page.url

    go_to(page, "Home")
    page.get_by_text("Learning path").wait_for()
    go_to(page, "Precision and recall")
    assert settings(page) == before
    assert page.url == linked

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.set_default_timeout(60_000)
        other.goto(linked)
        wait_for_idle(other)
        assert settings(other) == before
        assert other.url == linked
        assert other.get_by_test_id("stException").count() == 0
        assert other.get_by_text(re.compile(r"^Epoch \d+ of")).count() == 0  # nothing trains
    finally:
        fresh.close()


def test_a_teachers_link_locks_and_hides_controls(page, app_url):
    open_page(page, app_url, "Precision_and_recall?problem=mnist_8&share=10&lock=problem,share"
                             "&hide=fix,epochs&task=Why+is+95%25+accurate+useless%3F")
    page.locator(".st-key-pr_train_size_mnist").wait_for(timeout=90_000)
    page.get_by_text("Why is 95% accurate useless?").wait_for()
    share = page.locator(".st-key-pr_task_share input[type='range']")
    assert share.is_disabled() and share.get_attribute("aria-valuetext") == "10"
    assert page.locator(".st-key-pr_task_name input[type='radio']").first.is_disabled()
    assert page.locator(".st-key-pr_fix").count() == 0
    assert page.locator(".st-key-pr_train_epochs_mnist").count() == 0
    assert page.get_by_role("button", name="Retrain with this fix").is_enabled()
    page.get_by_test_id("stSidebar").get_by_text("Share this page").click()
    page.get_by_text("Trained models are not in the link").wait_for()
    assert page.get_by_test_id("stException").count() == 0
