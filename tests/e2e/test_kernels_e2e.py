"""Real browser: upload a photo, pick Sobel, see the result and the inspector's sum."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import cv2
import numpy as np
import pytest

from cnn_core.config import SAMPLES_DIR
from cnn_core.data.images import load_image
from cnn_core.maths.convolution import apply_kernel
from cnn_core.maths.kernels import get_kernel
from cnn_core.views.marks import mark_output
from tests.e2e.conftest import choose, open_page, wait_for_idle
from ui.filter_ui import BORDER_LABELS, COLOUR_MODES, DISPLAY_LABELS

pytestmark = pytest.mark.e2e


def upload(page, path: Path) -> None:
    page.get_by_text("Upload your own").click()
    wait_for_idle(page)
    page.locator("input[type='file']").first.set_input_files(str(path))
    wait_for_idle(page)


def test_upload_photo_pick_sobel_and_inspect(page, app_url, artifacts_dir, tmp_path):
    photo = tmp_path / "coffee.jpg"
    cv2.imwrite(str(photo), cv2.imread(str(SAMPLES_DIR / "coffee.png")))
    open_page(page, app_url, "Image_kernels")
    upload(page, photo)
    choose(page, "Preset", "Sobel y")
    page.get_by_text("Result: Sobel y").wait_for()
    result = page.locator("[data-testid='stImage'] img").first
    result.wait_for()
    assert result.evaluate("img => img.naturalWidth") == 600
    # The picture the browser received is the filtered photo itself, pixel for pixel: a PNG
    # (JPEG would blur the edges a kernel finds), with the inspected pixel marked.
    served = page.request.get(urljoin(page.url, result.get_attribute("src"))).body()
    assert served[:8] == b"\x89PNG\r\n\x1a\n"
    filtered = apply_kernel(load_image(photo.read_bytes()), get_kernel("Sobel y").matrix,
                            border=next(iter(BORDER_LABELS)), display=next(iter(DISPLAY_LABELS)),
                            greyscale=COLOUR_MODES[0] == "Greyscale")
    caption = page.get_by_text("The magenta mark: output pixel").first.inner_text()
    row, col = map(int, re.search(r"row (\d+), column (\d+)", caption).groups())
    np.testing.assert_array_equal(load_image(served), mark_output(filtered, row, col))
    page.get_by_text("The sum is").wait_for()
    assert "shown as pixel value" in page.locator("[data-testid='stMain']").inner_text()
    # The inspector's number tables keep their colours through Streamlit's HTML sanitiser:
    # Sobel y's weights, -1 -2 -1 over 0 0 0 over 1 2 1, red above, white between, blue below.
    weights = page.locator("td[title$='(weight)']")
    assert weights.all_inner_texts() == ["-1", "-2", "-1", "0", "0", "0", "1", "2", "1"]
    colours = weights.evaluate_all("cells => cells.map(c => getComputedStyle(c).backgroundColor)")
    red, green, blue = map(int, re.findall(r"\d+", colours[1])[:3])
    assert red > blue
    red, green, blue = map(int, re.findall(r"\d+", colours[7])[:3])
    assert blue > red
    assert colours[4] == "rgb(247, 247, 247)"
    page.screenshot(path=str(artifacts_dir / "kernels-sobel-upload.png"), full_page=True)


def test_a_non_image_upload_gives_one_clear_message(page, app_url, tmp_path):
    fake = tmp_path / "holiday.png"
    fake.write_text("this is not a picture")
    open_page(page, app_url, "Image_kernels")
    upload(page, fake)
    alert = page.locator("[data-testid='stAlertContentError']").first
    alert.wait_for()
    assert "not an image" in alert.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
