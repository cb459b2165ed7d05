"""Real browser: the sliding-window player keeps every control on one step, and the page
fits a 1024 x 768 projector."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.config import CLASSIC_GRID, EDGE_GRID
from cnn_core.maths.convolution import convolve2d
from cnn_core.maths.kernels import PRESET_KERNELS
from cnn_core.maths.windows import padding_amounts
from tests.e2e.conftest import choose, eventually, open_page, wait_for_idle
from tests.e2e.grid_player import (
    OVERFLOWING,
    OVERLAPPING_AXIS_TEXT,
    assert_consistent,
    shown_step,
    wait_for_step,
)

pytestmark = pytest.mark.e2e

KERNEL = PRESET_KERNELS["Vertical edge"].matrix


@pytest.fixture
def projector(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def test_play_then_next_goes_on_from_the_played_step(projector, app_url, artifacts_dir):
    page = projector
    open_page(page, app_url, "Sliding_window")
    output = convolve2d(np.array(CLASSIC_GRID, dtype=float), KERNEL)
    first = shown_step(page, "sw")
    assert first["step"] == 1
    assert_consistent(first, output)
    page.locator(".st-key-sw_play button").click()
    wait_for_step(page, 3)
    page.locator(".st-key-sw_next button").click()  # Next pauses and moves on by one
    wait_for_idle(page)
    page.wait_for_timeout(2_000)  # a tick already on its way must not move it on
    shown = shown_step(page, "sw")
    assert shown["step"] >= 4, shown  # went on from the played step, not from step 1
    assert_consistent(shown, output)
    assert "Play" in page.locator(".st-key-sw_play button").inner_text()
    page.locator(".st-key-sw_back button").click()
    wait_for_idle(page)
    assert eventually(lambda: shown_step(page, "sw")["step"], shown["step"] - 1) == \
        shown["step"] - 1
    back = shown_step(page, "sw")
    assert_consistent(back, output)
    page.screenshot(path=str(artifacts_dir / "sliding-window-after-play.png"))
    assert page.locator("[data-testid='stException']").count() == 0


def test_the_page_fits_a_projector(projector, app_url, artifacts_dir):
    page = projector
    open_page(page, app_url, "Sliding_window")
    page.locator(".st-key-sw_padding").get_by_text("same", exact=False).click()
    wait_for_idle(page)
    page.locator(".st-key-sw_stride").get_by_text("3", exact=True).click()
    wait_for_idle(page)
    page.get_by_text("padded 6x6 → output 2x2").wait_for()
    main = page.locator("[data-testid='stMain']")
    # The padding before and after are written separately, as TensorFlow pads: 5 + 0 + 1 - 3.
    before, after = padding_amounts(5, 3, "same", 3)
    formula = main.locator(".katex-display").filter(has_text="output rows").first
    assert f"5+{before}+{after}−3" in formula.inner_text().replace(" ", "").replace("\n", "")
    assert main.evaluate(OVERFLOWING) == []
    choose(page, "Input grid", "Edge 6x6")  # six-wide grids: row numbers beside titles
    page.get_by_text("padded 6x6 → output 2x2").wait_for()
    assert main.evaluate(OVERFLOWING) == []
    plot = page.locator(".st-key-sw_animation .js-plotly-plot").first
    assert plot.evaluate(OVERLAPPING_AXIS_TEXT) == []
    output = convolve2d(np.array(EDGE_GRID, dtype=float), KERNEL, "same", 3)
    assert_consistent(shown_step(page, "sw"), output)
    page.screenshot(path=str(artifacts_dir / "sliding-window-1024.png"), full_page=True)
