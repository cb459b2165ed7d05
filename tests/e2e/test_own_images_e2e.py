"""Real browser: a learner uploads a zip of class folders, trains both ways and sees both
accuracies; a zip with one class only gets one sentence, never a traceback."""

from __future__ import annotations

import io
import re
import zipfile

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, wait_for_idle

pytestmark = pytest.mark.e2e


def class_zip(classes: dict[str, int], per_class: int = 12) -> bytes:
    """Class folders of noisy squares, one grey level per class, as PNG files."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, level in classes.items():
            for i in range(per_class):
                picture = np.clip(level + rng.normal(0, 20, (40, 40, 3)), 0, 255).astype(np.uint8)
                archive.writestr(f"my pictures/{name}/{i}.png",
                                 cv2.imencode(".png", picture)[1].tobytes())
        archive.writestr("my pictures/readme.txt", "not a picture")
    return buffer.getvalue()


def upload_zip(page, name: str, data: bytes) -> None:
    page.locator(".st-key-own_source").get_by_text("My own pictures").click()
    wait_for_idle(page)
    page.locator("[data-testid='stFileUploader']").filter(has_text="zip with one folder") \
        .locator("input[type='file']").set_input_files(
            files=[{"name": name, "mimeType": "application/zip", "buffer": data}])
    wait_for_idle(page, timeout=90_000)


def test_upload_a_zip_train_both_ways_and_see_both_accuracies(page, app_url, artifacts_dir):
    page.set_default_timeout(60_000)
    open_page(page, app_url, "Your_own_images?epochs=2")
    upload_zip(page, "pictures.zip", class_zip({"dark": 50, "light": 200}))
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(re.compile(r"2 classes, 24 pictures"))).to_be_visible()
    expect(main.get_by_text("Read 24 pictures in 2 classes from pictures.zip.")).to_be_visible()
    page.get_by_role("button", name="Train both").click()
    # Both networks through the class's queue: each shows its progress, then a result.
    expect(main.get_by_text("Validation accuracy")).to_have_count(2, timeout=240_000)
    accuracies = main.get_by_test_id("stMetricValue")
    assert accuracies.count() == 2
    for i in range(2):
        assert re.fullmatch(r"\d+\.\d%", accuracies.nth(i).inner_text().strip())
    expect(main.get_by_text(re.compile(r"level|wins by|Neither network beats guessing"))) \
        .to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    page.screenshot(path=str(artifacts_dir / "own-images-trained.png"), full_page=True)


def test_a_zip_with_one_class_gets_one_sentence(page, app_url):
    page.set_default_timeout(60_000)
    open_page(page, app_url, "Your_own_images")
    upload_zip(page, "one.zip", class_zip({"only": 100}))
    error = page.get_by_test_id("stAlertContentError").filter(has_text="one.zip")
    expect(error.first).to_be_visible()
    assert "class" in error.first.inner_text()
    assert page.get_by_test_id("stException").count() == 0
