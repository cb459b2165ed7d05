"""Real browser: the Pooling page steps one cell at a time with every control agreeing, and
fits a 1024 x 768 projector."""

from __future__ import annotations

import pytest

from cnn_core.maths.pooling import pool2d
from tests.e2e.conftest import open_page, wait_for_idle
from tests.e2e.grid_player import (
    OVERFLOWING,
    OVERLAPPING_AXIS_TEXT,
    WINDOW_BOX,
    assert_consistent,
    input_values,
    shown_step,
    wait_for_step,
)

pytestmark = pytest.mark.e2e

@pytest.fixture
def projector(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def test_play_next_and_the_layout_on_a_projector(projector, app_url, artifacts_dir):
    page = projector
    open_page(page, app_url, "Pooling")
    plot = page.locator(".st-key-pool_animation .js-plotly-plot").first
    plot.wait_for()
    x = input_values(page, "pool")
    output = pool2d(x, 2, 2, "max")
    assert min(x.shape) >= 6  # the page opens on a map worth pooling
    assert_consistent(shown_step(page, "pool"), output)
    main = page.locator("[data-testid='stMain']")
    assert main.evaluate(OVERFLOWING) == []
    assert plot.evaluate(OVERLAPPING_AXIS_TEXT) == []
    page.locator(".st-key-pool_play button").click()
    wait_for_step(page, 3)
    page.locator(".st-key-pool_next button").click()
    wait_for_idle(page)
    page.wait_for_timeout(2_000)  # a tick already on its way must not move it on
    shown = shown_step(page, "pool")
    assert shown["step"] >= 4, shown
    assert_consistent(shown, output)
    assert plot.evaluate(WINDOW_BOX) == [shown["left"] - 0.5, shown["top"] - 0.5]
    assert main.evaluate(OVERFLOWING) == []  # the Pause/Play label swap fits too
    page.screenshot(path=str(artifacts_dir / "pooling-1024.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
