"""Real browser: the sliding-window animation plays in the browser and shows the arithmetic."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import open_page, wait_for_idle

pytestmark = pytest.mark.e2e

# Records every arithmetic line (the figure title) the chart shows, so a test can play the
# animation and read what was on screen frame by frame.
RECORD_TITLES = """
(chart) => {
  window.__titles = [];
  const read = () => {
    const title = chart.querySelector('.gtitle');
    const text = title ? title.textContent : null;
    if (text && window.__titles[window.__titles.length - 1] !== text) window.__titles.push(text);
  };
  read();
  new MutationObserver(read).observe(chart, {subtree: true, childList: true,
                                             characterData: true});
}
"""


def chart(page):
    return page.locator(".st-key-sw_animation .js-plotly-plot").first


def test_play_shows_the_first_cell_arithmetic_ending_in_minus_3(page, app_url, artifacts_dir):
    open_page(page, app_url, "Sliding_window")
    figure = chart(page)
    figure.wait_for()
    assert figure.locator(".gtitle").text_content().startswith("output (0, 0):")
    figure.evaluate(RECORD_TITLES)
    figure.locator(".updatemenu-button").filter(has_text="Play").click()
    page.wait_for_function("() => window.__titles.length >= 3", timeout=20_000)
    figure.screenshot(path=str(artifacts_dir / "sliding-window-playing.png"))
    figure.locator(".updatemenu-button").filter(has_text="Pause").click()
    titles = page.evaluate("() => window.__titles")
    first = next(t for t in titles if t.startswith("output (0, 0):"))
    assert first.endswith("= -3")
    assert "3x1 + 1x1 + 2x1 + 2x0 + 9x0 + 3x0 + 3x(-1) + 1x(-1) + 5x(-1) = -3" in first
    # Playing moved on to the next cells without asking the server.
    assert any(t.startswith("output (0, 1):") and t.endswith("= 4") for t in titles)
    assert page.locator("[data-testid='stException']").count() == 0


def test_server_step_buttons_move_the_highlight_and_the_sum(page, app_url, artifacts_dir):
    open_page(page, app_url, "Sliding_window")
    code = page.locator("[data-testid='stCode']").first
    assert code.inner_text().strip().endswith("= -3")
    page.locator(".st-key-sw_next button").click()
    wait_for_idle(page)
    page.get_by_text("Step 2 of 9").wait_for()
    assert page.locator("[data-testid='stCode']").first.inner_text().strip().endswith("= 4")
    assert chart(page).locator(".gtitle").text_content().startswith("output (0, 1):")
    page.locator(".st-key-sw_padding").get_by_text("same", exact=False).click()
    wait_for_idle(page)
    page.get_by_text("padded 7x7 → output 5x5").wait_for()
    page.set_viewport_size({"width": 1400, "height": 2000})  # Streamlit scrolls inside the page
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts_dir / "sliding-window-same-padding.png"))
