"""Real browser: Pooling settings outlive a trip to Home, live in the address bar, and open again
in a new browser; a teacher's link locks and hides controls."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.e2e.conftest import checked, go_to, open_page, query, wait_for_idle

pytestmark = pytest.mark.e2e


def pick(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key}").get_by_text(option, exact=True).click()
    wait_for_idle(page)


def size_line(page) -> str:
    return page.get_by_test_id("stMain").locator("p").filter(has_text="Size:").first.inner_text()


def test_settings_outlive_home_live_in_the_url_and_open_in_a_new_browser(page, app_url, browser):
    page.set_default_timeout(60_000)  # a class's shared server can be busy
    open_page(page, app_url, "Pooling")
    pick(page, "pool_source", "Random grid")
    pick(page, "pool_mode", "average")
    pick(page, "pool_size", "3x3")
    page.get_by_text("8x8 → 3x3").first.wait_for()
    expected = size_line(page)
    assert query(page) == {"input": "Random grid", "mode": "avg", "window": "3"}
    linked = page.url

    go_to(page, "Home")
    page.get_by_text("Learning path").wait_for()
    go_to(page, "Pooling")
    page.get_by_text("8x8 → 3x3").first.wait_for()
    assert size_line(page) == expected
    assert (checked(page, "pool_source"), checked(page, "pool_mode"),
            checked(page, "pool_size")) == ("Random grid", "average", "3x3")
    assert page.url == linked

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.set_default_timeout(60_000)
        other.goto(linked)
        wait_for_idle(other)
        other.get_by_text("8x8 → 3x3").first.wait_for()
        assert size_line(other) == expected
        assert (checked(other, "pool_source"), checked(other, "pool_mode"),
                checked(other, "pool_size")) == ("Random grid", "average", "3x3")
        assert other.url == linked
        assert other.get_by_test_id("stException").count() == 0
    finally:
        fresh.close()


def test_a_teachers_link_locks_the_mode_and_hides_the_window(page, app_url):
    page.set_default_timeout(60_000)
    open_page(page, app_url, "Pooling?" + urlencode(
        {"mode": "avg", "window": "3", "lock": "mode", "hide": "window"}))
    page.get_by_text("Average pooled").first.wait_for()
    assert checked(page, "pool_mode") == "average"
    assert page.locator(".st-key-pool_mode input").first.is_disabled()
    assert page.locator(".st-key-pool_size").count() == 0
    assert not page.locator(".st-key-pool_stride input").first.is_disabled()
    assert query(page).items() >= {"lock": "mode", "hide": "window", "window": "3"}.items()
    assert page.get_by_test_id("stException").count() == 0
