"""Real browser: Image kernels settings outlive a trip to Home, live in the address bar, and a
link opened in a new browser shows them again; a teacher's link locks, hides and sets a task."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.e2e.conftest import choose, go_to, open_page, query, wait_for_idle

pytestmark = pytest.mark.e2e


def selected(page, label: str) -> str:
    """The option a selectbox labelled `label` shows."""
    return page.locator(f"[data-testid='stSelectbox'] input[aria-label='{label}']").input_value()


def test_settings_outlive_home_live_in_the_url_and_open_in_a_new_browser(page, app_url, browser):
    # A busy machine draws the page's charts slowly; clicks wait until the page is still.
    page.set_default_timeout(90_000)
    open_page(page, app_url, "Image_kernels")
    page.get_by_text("Result: Sobel x").wait_for()
    choose(page, "Preset", "Emboss")
    choose(page, "Borders", "Reflect the edge")
    page.get_by_text("Result: Emboss").wait_for()
    assert query(page).items() >= {"kernel": "Emboss", "border": "reflect"}.items()
    linked = page.url

    go_to(page, "Home")
    page.get_by_text("Learning path").wait_for()
    assert query(page) == {}   # Home has no settings, so nothing of the kernels page is left
    go_to(page, "Pooling")
    assert "Emboss" not in page.url and "border" not in query(page)
    go_to(page, "Image kernels")
    assert selected(page, "Preset") == "Emboss" and selected(page, "Borders") == "Reflect the edge"
    page.get_by_text("Result: Emboss").wait_for()
    assert page.url == linked

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.set_default_timeout(90_000)
        other.goto(linked)
        wait_for_idle(other)
        other.get_by_text("Result: Emboss").wait_for()
        assert selected(other, "Preset") == "Emboss"
        assert selected(other, "Borders") == "Reflect the edge"
        assert other.url == linked
        assert other.get_by_test_id("stException").count() == 0
    finally:
        fresh.close()


def test_a_teachers_link_locks_hides_and_sets_a_task(page, app_url):
    task = "Make the vertical edges disappear: see www.example.org"
    page.set_default_timeout(90_000)
    open_page(page, app_url, "Image_kernels?" + urlencode(
        {"kernel": "Vertical edge", "lock": "kernel", "hide": "border", "task": task}))
    page.get_by_text("Result: Vertical edge").wait_for()
    preset = page.locator("[data-testid='stSelectbox'] input[aria-label='Preset']")
    assert preset.input_value() == "Vertical edge" and preset.is_disabled()
    assert page.locator("[data-testid='stSelectbox']").filter(has_text="Borders").count() == 0
    assert page.get_by_text("Result: Vertical edge").count() == 1
    top = page.get_by_test_id("stAlertContentInfo").first
    assert "Your task:" in top.inner_text()
    assert top.inner_text().replace("\u2060", "").endswith(task)
    assert top.locator("a").count() == 0   # the address in the task is text, not a link
    # The task is above the controls.
    controls_top = page.locator("[data-testid='stRadio']").first.bounding_box()["y"]
    assert top.bounding_box()["y"] < controls_top
    # The lock and the task stay in the learner's address bar, so a reload keeps them.
    assert query(page).items() >= {"lock": "kernel", "hide": "border"}.items()
