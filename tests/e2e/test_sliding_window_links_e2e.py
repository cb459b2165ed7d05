"""Real browser: Sliding window settings (a typed grid too) outlive a trip to Home, live in the
address bar, and open again in a new browser; a lesson link locks and hides controls."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import checked, choose, go_to, open_page, query, wait_for_idle

pytestmark = pytest.mark.e2e


def selected(page, key: str) -> str:
    return page.locator(f".st-key-{key} input").first.input_value()


def shapes(page) -> str:
    return page.get_by_test_id("stMain").locator("p").filter(has_text="Shapes:").first.inner_text()


def test_settings_outlive_home_live_in_the_url_and_open_in_a_new_browser(page, app_url, browser):
    page.set_default_timeout(60_000)  # a class's shared server can be busy
    open_page(page, app_url, "Sliding_window")
    choose(page, "Input grid", "Edit the numbers")
    page.locator(".st-key-sw_grid_cols input").fill("3")
    page.locator(".st-key-sw_grid_cols input").press("Enter")
    wait_for_idle(page)
    page.get_by_text("input 5x3").first.wait_for()
    page.locator(".st-key-sw_stride").get_by_text("2", exact=True).click()
    wait_for_idle(page)
    choose(page, "Preset", "Sobel y")
    page.get_by_text("output 2x1").first.wait_for()
    expected = shapes(page)
    assert query(page).items() >= {"input": "Edit the numbers", "stride": "2",
                                   "kernel": "Sobel y"}.items()
    assert query(page)["grid"].count(";") == 4  # five rows of the typed grid
    linked = page.url

    go_to(page, "Home")
    page.get_by_text("Learning path").wait_for()
    go_to(page, "Pooling")   # its own page, not a link: no note, none of these settings
    assert page.get_by_test_id("stAlertContentWarning").filter(has_text="link").count() == 0
    assert "stride" not in query(page)
    go_to(page, "Sliding window")
    page.get_by_text("output 2x1").first.wait_for()
    assert shapes(page) == expected
    assert selected(page, "sw_grid_source") == "Edit the numbers"
    assert page.locator(".st-key-sw_grid_cols input").input_value() == "3"
    assert checked(page, "sw_stride") == "2" and selected(page, "sw_kernel_preset") == "Sobel y"
    assert page.url == linked

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.set_default_timeout(60_000)
        other.goto(linked)
        wait_for_idle(other)
        other.get_by_text("output 2x1").first.wait_for()
        assert shapes(other) == expected
        assert selected(other, "sw_grid_source") == "Edit the numbers"
        assert checked(other, "sw_stride") == "2"
        assert selected(other, "sw_kernel_preset") == "Sobel y"
        assert other.url == linked
        assert other.get_by_test_id("stException").count() == 0
    finally:
        fresh.close()


def test_the_5x5_lesson_link_locks_the_kernel_and_hides_the_input(page, app_url):
    page.set_default_timeout(60_000)
    lesson = {"input": "Classic 5x5", "mode": "Preset", "kernel": "Vertical edge",
              "padding": "valid", "stride": "1", "step": "9", "lock": "kernel,padding",
              "hide": "input", "task": "Check the last output number by hand."}
    open_page(page, app_url, "Sliding_window?" + urlencode(lesson))
    # The browser draws only the open tab; on a busy server a rerun can leave another one open
    # for a moment, so open "Step by step" as a learner would and read the sum there.
    page.get_by_role("tab", name="Step by step").click()
    steps = page.get_by_role("tabpanel", name="Step by step")
    steps.get_by_text("Step 9 of 9").first.wait_for()
    expect(steps.get_by_test_id("stCode").first).to_have_text(re.compile(r"= -10\s*$"))
    assert page.locator(".st-key-sw_kernel_preset input").first.is_disabled()
    assert page.locator(".st-key-sw_padding input").first.is_disabled()
    assert page.locator(".st-key-sw_grid_source").count() == 0
    assert not page.locator(".st-key-sw_stride input").first.is_disabled()
    assert "Your task:" in page.get_by_test_id("stAlertContentInfo").first.inner_text()
    assert page.get_by_test_id("stException").count() == 0
