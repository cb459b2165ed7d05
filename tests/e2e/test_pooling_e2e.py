"""Real browser: the Pooling page loads, shows the pooled size and follows the options."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_for_idle

pytestmark = pytest.mark.e2e


def test_pooling_page_shows_the_pooled_size_and_the_kept_number(page, app_url, artifacts_dir):
    open_page(page, app_url, "Pooling")
    main = page.locator("[data-testid='stMain']")
    page.get_by_text("5x5 → 2x2 (25 numbers → 4)").wait_for()
    figure = page.locator(".st-key-pool_animation .js-plotly-plot").first
    figure.wait_for()
    assert figure.locator(".gtitle").text_content() == "output (0, 0): max(-11, 0, -14, -3) = 0"
    assert "Parameters to learn" in main.inner_text()
    page.locator(".st-key-pool_stride").get_by_text("1", exact=True).click()
    wait_for_idle(page)
    page.get_by_text("5x5 → 4x4 (25 numbers → 16)").wait_for()
    page.locator(".st-key-pool_source").get_by_text("Edge map of a photo").click()
    page.get_by_text("28x28 → 27x27").wait_for(timeout=60_000)
    page.locator(".st-key-pool_stride").get_by_text("2", exact=True).click()
    page.get_by_text("28x28 → 14x14 (784 numbers → 196)").wait_for(timeout=60_000)
    wait_for_idle(page)
    page.set_viewport_size({"width": 1400, "height": 2700})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts_dir / "pooling-photo-edges.png"))
    assert page.locator("[data-testid='stException']").count() == 0
