"""Real browser: the Draw and predict page's settings (input source, test image, shift) outlive
a trip to Home, live in the address bar, and open again in a new browser with the same answer;
a teacher's link locks and hides controls."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import eventually, go_to, open_page, query, wait_for_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MODEL_WAIT = 120_000  # the first answer starts the model process


def metric(page, label: str) -> str:
    tile = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return tile.locator("[data-testid='stMetricValue']").inner_text().strip()


def settings(page) -> dict[str, str]:
    """What the controls show, and what the network says about the digit they pick."""
    # .first: while a rerun replaces the chart, the old copy and the new one share the key.
    page.locator(".st-key-shift_curves [data-testid='stPlotlyChart']").first.wait_for(
        timeout=MODEL_WAIT)
    wait_for_idle(page, timeout=MODEL_WAIT)
    return {
        "source": page.locator(".st-key-draw_source [data-testid='stRadioOption']"
                               "[data-selected='true']").inner_text(),
        "index": page.locator(".st-key-draw_mnist_index input").input_value(),
        "dx": page.locator(".st-key-shift_dx input[type='range']").get_attribute(
            "aria-valuetext"),
        "says": metric(page, "The network says"),
        "label": metric(page, "True label"),
        "confidence": metric(page, "Confidence"),
    }


def test_settings_outlive_home_live_in_the_url_and_open_in_a_new_browser(page, app_url, browser):
    # A shift needs no new model call, so the test stays quick on a busy machine.
    open_page(page, app_url, "Draw_and_predict?source=mnist&index=8")
    shift = page.locator(".st-key-shift_dx input[type='range']")
    shift.wait_for(timeout=MODEL_WAIT)
    shift.focus()
    shift.press("End")  # moved as far right as the lesson goes
    wait_for_idle(page, timeout=MODEL_WAIT)
    # Once: a fresh clone's run read "0" here while the address bar already said dx=8 (the
    # press's rerun starting after the page looked idle). A slider that really went back
    # would still read "0" after this wait.
    eventually(lambda: shift.get_attribute("aria-valuetext"), "8")
    before = settings(page)
    assert (before["source"], before["index"], before["dx"]) == ("MNIST test image", "8", "8")
    assert query(page) == {"source": "mnist", "index": "8", "dx": "8"}
    linked = page.url

    go_to(page, "Home")
    page.get_by_text("Learning path").wait_for()
    go_to(page, "Draw and predict")
    assert settings(page) == before
    assert page.url == linked

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.set_default_timeout(60_000)
        other.goto(linked)
        wait_for_idle(other, timeout=MODEL_WAIT)
        assert settings(other) == before  # the same digit, the same answer
        assert other.url == linked
        assert other.get_by_test_id("stException").count() == 0
    finally:
        fresh.close()


def test_a_teachers_link_locks_and_hides_controls(page, app_url):
    open_page(page, app_url, "Draw_and_predict?source=mnist&index=3&lock=index&hide=source")
    index = page.locator(".st-key-draw_mnist_index input")
    index.wait_for(timeout=MODEL_WAIT)
    assert index.is_disabled() and index.input_value() == "3"
    assert page.locator(".st-key-draw_mnist_random button").is_disabled()
    assert page.locator(".st-key-draw_source").count() == 0
    page.locator("[data-testid='stMetric']").filter(has_text="True label").first.wait_for(
        timeout=MODEL_WAIT)
    page.get_by_test_id("stSidebar").get_by_text("Share this page").click()
    page.get_by_text("A drawing or an uploaded photo is not in the link").wait_for()
    assert page.get_by_test_id("stException").count() == 0
