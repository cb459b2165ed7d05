"""Real browser: draw a digit with mouse events, see the prediction; upload a photo of one."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from cnn_core.config import BUNDLED_MNIST, CANVAS_SIDE
from tests.e2e.conftest import open_page, wait_for_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CANVAS = "iframe[title='streamlit_drawable_canvas.st_canvas']"
# A "7": a bar across the top, then a long stroke down to the bottom left (canvas fractions).
SEVEN = [(0.22, 0.2), (0.78, 0.2), (0.62, 0.45), (0.45, 0.85)]


def draw(page, points: list[tuple[float, float]]) -> None:
    """One stroke with real mouse events, inside the canvas iframe's bounding box."""
    frame = page.locator(CANVAS)
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    xy = [(box["x"] + fx * CANVAS_SIDE, box["y"] + fy * CANVAS_SIDE) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


def whole_page_screenshot(page, path) -> None:
    """Streamlit scrolls inside its main block, so grow the window to the page's height first
    (once the last section, the silly question, has been drawn)."""
    page.locator(".st-key-shift_dataset_curves [data-testid='stPlotlyChart']").first.wait_for(
        timeout=90_000)
    page.locator(".st-key-silly_probabilities [data-testid='stPlotlyChart']").first.wait_for(
        timeout=90_000)
    wait_for_idle(page, timeout=90_000)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 8_000})
    page.wait_for_timeout(800)
    height = page.evaluate("() => document.querySelector("
                           "'[data-testid=\"stMainBlockContainer\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": int(height) + 40})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def said(page) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(has_text="The network says").first
    return metric.locator("[data-testid='stMetricValue']").inner_text().strip()


def test_draw_a_seven_see_the_bars_then_clear(page, app_url, artifacts_dir):
    open_page(page, app_url, "Draw_and_predict")
    page.locator(CANVAS).wait_for(timeout=60_000)
    page.get_by_text("Draw a digit in the box").first.wait_for(timeout=60_000)
    draw(page, SEVEN)
    # The drawn pixels arrive as image_data at the canvas's size, and a prediction follows.
    page.get_by_text(f"1. Greyscale ({CANVAS_SIDE} x {CANVAS_SIDE} px)").wait_for(timeout=90_000)
    bars = page.locator(".st-key-draw_probabilities [data-testid='stPlotlyChart']")
    bars.wait_for(timeout=90_000)
    wait_for_idle(page, timeout=90_000)
    assert bars.locator(".bars path").count() >= 10 or bars.locator("g.point").count() == 10
    assert said(page) == "7"
    assert page.locator("[data-testid='stException']").count() == 0
    whole_page_screenshot(page, artifacts_dir / "draw-seven.png")
    page.get_by_role("tab", name="Grad-CAM: where it looked").click()
    heat = page.locator(".st-key-draw_grad_cam [data-testid='stPlotlyChart']")
    heat.wait_for()
    heat.screenshot(path=str(artifacts_dir / "draw-grad-cam.png"))
    # The toolbar's reset button clears the drawing: the page asks for a digit again.
    page.frame_locator(CANVAS).get_by_alt_text("Reset canvas & history").click()
    page.get_by_text("Draw a digit in the box").first.wait_for(timeout=30_000)


def digit_photo(digit: np.ndarray) -> bytes:
    """An MNIST digit as a phone-style photo: dark ink on grey-white paper, off centre."""
    paper = np.full((600, 800), 235, np.uint8)
    big = cv2.resize(255 - digit, (224, 224), interpolation=cv2.INTER_CUBIC)
    paper[300:524, 480:704] = np.minimum(paper[300:524, 480:704], big)
    ok, png = cv2.imencode(".png", cv2.cvtColor(paper, cv2.COLOR_GRAY2BGR))
    assert ok
    return png.tobytes()


def upload(page, name: str, data: bytes) -> None:
    page.locator(".st-key-draw_source").get_by_text("Upload a photo").click()
    wait_for_idle(page)
    page.locator(".st-key-draw_upload input[type='file']").set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": data}])
    wait_for_idle(page, timeout=90_000)


def test_upload_a_photo_of_a_digit_and_a_broken_file(page, app_url, artifacts_dir):
    with np.load(BUNDLED_MNIST) as data:
        digit, label = data["x_test"][1], int(data["y_test"][1])
    open_page(page, app_url, "Draw_and_predict")
    upload(page, "digit.png", digit_photo(digit))
    page.get_by_text(re.compile(r"Inverted: light ink on black")).first.wait_for(timeout=90_000)
    page.locator(".st-key-draw_probabilities").wait_for(timeout=90_000)
    assert said(page) == str(label)
    whole_page_screenshot(page, artifacts_dir / "draw-upload.png")
    page.set_viewport_size({"width": 1400, "height": 1000})
    wait_for_idle(page, timeout=90_000)
    page.locator(".st-key-draw_upload input[type='file']").set_input_files(
        files=[{"name": "holiday.png", "mimeType": "image/png", "buffer": b"not a picture"}])
    wait_for_idle(page)
    alert = page.locator("[data-testid='stAlertContentError']").first
    alert.wait_for()
    assert "not an image" in alert.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0


def test_projector_width_and_the_drawing_survives_a_switch_of_input(browser, app_url,
                                                                      artifacts_dir):
    """At 1024 x 768 nothing on the page is wider than its box, and a drawing is still there
    (and still read) after looking at an MNIST test image and coming back to "Draw"."""
    from tests.e2e.test_projector_width_e2e import CHECKED, OVERFLOWING

    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        open_page(page, app_url, "Draw_and_predict")
        frame = page.locator(CANVAS)
        frame.wait_for()
        assert frame.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        assert frame.bounding_box()["width"] >= CANVAS_SIDE  # the whole canvas is on screen
        draw(page, SEVEN)
        page.locator(".st-key-draw_probabilities [data-testid='stPlotlyChart']").first.wait_for()
        wait_for_idle(page, timeout=90_000)
        assert said(page) == "7"
        page.get_by_role("tab", name="Grad-CAM: where it looked").click()
        page.locator(".st-key-draw_grad_cam_untrained [data-testid='stPlotlyChart']") \
            .first.wait_for()
        assert page.evaluate(OVERFLOWING, CHECKED) == []
        page.locator(".st-key-draw_source").get_by_text("MNIST test image").click()
        page.locator("[data-testid='stMetric']").filter(has_text="True label").first.wait_for()
        wait_for_idle(page, timeout=90_000)
        page.locator(".st-key-draw_source").get_by_text("Draw", exact=True).click()
        # The test image's metric goes when the rerun for "Draw" has drawn the page; waiting for
        # that (not for the status icon, which can lag the click) keeps a slow CI from reading
        # the previous run's page.
        expect(page.locator("[data-testid='stMetric']").filter(has_text="True label")) \
            .to_have_count(0, timeout=90_000)
        page.locator(".st-key-draw_probabilities [data-testid='stPlotlyChart']").first.wait_for()
        wait_for_idle(page, timeout=90_000)
        assert said(page) == "7"  # the same drawing, read again
        ink = page.frame_locator(CANVAS).locator("canvas#canvas").evaluate(
            "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0 && d[i - 1] < 128;"
            " return n; }")
        assert ink > 500, f"only {ink} dark pixels left on the canvas"
        assert page.evaluate(OVERFLOWING, CHECKED) == []
        page.screenshot(path=str(artifacts_dir / "draw-projector.png"))
    finally:
        context.close()
