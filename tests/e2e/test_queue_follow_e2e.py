"""Real browser, one training slot: a learner's two networks on Your own images wait behind
another learner's job, and the second joins the line by itself while its learner is on
another page (a learner waits with one job at a time, so the queue holds it aside)."""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import expect

from cnn_core.jobs.worker import FOLLOWING_MESSAGE
from tests.e2e.conftest import go_to, open_page, running_server
from tests.e2e.test_own_images_e2e import class_zip, upload_zip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def one_slot_url(artifacts_dir, tmp_path):
    """The app as a learner without a data folder sees it, with one job training at a time."""
    with running_server(artifacts_dir / "streamlit-server-one-slot.log",
                        CNN_CLASSROOM_MAX_JOBS="1", CNN_CLASSROOM_DATA=str(tmp_path),
                        KERAS_HOME=str(tmp_path / "keras"), CNN_CLASSROOM_OFFLINE="1") as url:
        yield url


def test_the_second_network_queues_while_its_learner_is_on_another_page(browser, one_slot_url,
                                                                       artifacts_dir):
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    learner = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    teacher = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    try:
        for page in (other, learner, teacher):
            page.set_default_timeout(90_000)
        # Another learner's long job (a minute or more) holds the only slot.
        open_page(other, one_slot_url, "Train_a_CNN?epochs=50&batch=16")
        other.get_by_role("button", name="Train", exact=True).click()
        other.get_by_text(re.compile(r"Epoch \d+ of 50, batch [1-9]")).first.wait_for()

        open_page(learner, one_slot_url, "Your_own_images?epochs=2")
        upload_zip(learner, "pictures.zip", class_zip({"dark": 50, "light": 200}))
        learner.get_by_role("button", name="Train both").click()
        main = learner.get_by_test_id("stMain")
        expect(main.get_by_text(re.compile(r"Waiting: 1st in line"))).to_be_visible()
        expect(main.get_by_text(FOLLOWING_MESSAGE)).to_be_visible()
        learner.screenshot(path=str(artifacts_dir / "own-images-second-follows-1024.png"))
        go_to(learner, "Pooling")

        # The home page tells the class the queue now: the second network counts as waiting.
        open_page(teacher, one_slot_url, "")
        queue_line = teacher.get_by_test_id("stMain").get_by_test_id(
            "stMarkdownContainer").filter(has_text="Training queue:")
        expect(queue_line).to_contain_text(re.compile(
            r"1 job at a time\. Now 1 training and 2 waiting; a job started now would begin "
            r"in about \d"))
        teacher.screenshot(path=str(artifacts_dir / "home-queue-1024.png"))

        # The slot frees: the learner's first network starts, and the second joins the line
        # ahead of the other learner's next job, with no page of the learner's open.
        other.get_by_role("button", name="Stop training").click()
        other.get_by_text(re.compile(r"^Finished: ")).first.wait_for()
        # ... and the home page follows by itself, without a reload.
        expect(queue_line).not_to_contain_text("and 2 waiting", timeout=30_000)
        other.get_by_role("button", name="Train", exact=True).click()
        other.get_by_text(re.compile(r"Epoch \d+ of 50, batch [1-9]")).first.wait_for(
            timeout=240_000)

        # Back on the page, both networks have trained while the other learner's job still
        # runs: the second was not still to queue, behind that job's 50 epochs.
        go_to(learner, "Your own images")
        expect(main.get_by_text("Validation accuracy")).to_have_count(2, timeout=30_000)
        expect(other.get_by_role("button", name="Stop training")).to_be_visible()
        assert learner.get_by_test_id("stException").count() == 0
    finally:
        with contextlib.suppress(Exception):
            other.get_by_role("button", name="Stop training").click(timeout=5_000)
        for page in (other, learner, teacher):
            page.context.close()
