"""Real browser: upload a photo, pick Sobel, see the result and the inspector's sum."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from cnn_core.config import SAMPLES_DIR
from tests.e2e.conftest import choose, open_page, wait_for_idle

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
    page.get_by_text("The sum is").wait_for()
    assert "shown as pixel value" in page.locator("[data-testid='stMain']").inner_text()
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
