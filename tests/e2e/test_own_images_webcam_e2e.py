"""Real browser, real camera path: Chromium's fake camera (a moving test pattern) stands in
for a webcam, so a snapshot goes through st.camera_input into a class like any photo; and a
browser that refuses the camera gets the page's sentence, never a traceback."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, open_page, wait_for_idle

pytestmark = pytest.mark.e2e

# --use-fake-device-for-media-stream: a generated video instead of a camera;
# --use-fake-ui-for-media-stream: the permission prompt is answered "allow" by itself.
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def camera_browser(browser):
    """A second Chromium with the fake camera, from the same Playwright (one per process); the
    shared one keeps no camera at all."""
    with_camera = browser.browser_type.launch(executable_path=CHROMIUM,
                                              args=[*CHROMIUM_ARGS, *FAKE_CAMERA])
    yield with_camera
    with_camera.close()


def open_webcam(page, app_url: str) -> None:
    open_page(page, app_url, "Your_own_images")
    page.locator(".st-key-own_source").get_by_text("My own pictures").click()
    wait_for_idle(page)
    page.get_by_text("Use the webcam").click()
    wait_for_idle(page)


def test_a_webcam_snapshot_joins_the_chosen_class(camera_browser, app_url, artifacts_dir):
    context = camera_browser.new_context(viewport={"width": 1024, "height": 768},
                                         permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_webcam(page, app_url)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_text(re.compile(r"2 classes, 0 pictures"))).to_be_visible()
        take = page.get_by_role("button", name="Take Photo")
        expect(take).to_be_enabled(timeout=30_000)
        page.wait_for_timeout(1_000)  # the fake camera's first frames
        take.click()
        expect(main.get_by_text(re.compile(r"Added a snapshot to .+\."))).to_be_visible()
        expect(main.get_by_text(re.compile(r"2 classes, 1 picture\b"))).to_be_visible()
        assert page.get_by_test_id("stException").count() == 0
        page.screenshot(path=str(artifacts_dir / "own-images-webcam.png"), full_page=True)
    finally:
        context.close()


def test_a_refused_webcam_gets_a_sentence_not_a_traceback(page, app_url):
    # The shared browser has no fake camera and grants nothing: getUserMedia is refused.
    open_webcam(page, app_url)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("If the camera stays dark, your browser has blocked it")) \
        .to_be_visible()
    expect(main.get_by_text(re.compile(r"2 classes, 0 pictures"))).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
