"""A lesson link opened first thing on a freshly started server: a teacher starts the app and
the class opens the links. The page must come through app.py (navigation with Home, the wide
layout, settings kept) and apply the link, not be served as an old-style page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import running_server, wait_for_idle
from ui.lessons import LESSONS

pytestmark = pytest.mark.e2e


def test_a_lesson_link_is_the_first_thing_opened_on_a_fresh_server(browser, artifacts_dir):
    from urllib.parse import urlencode

    lesson = next(lesson for lesson in LESSONS if "5x5" in lesson.title)
    with running_server(artifacts_dir / "streamlit-server-deep-link.log") as url:
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        page = context.new_page()
        try:
            page.goto(f"{url}/Sliding_window?{urlencode(lesson.params)}")
            wait_for_idle(page, timeout=90_000)
            page.get_by_text("Your task:").wait_for(timeout=90_000)
            navigation = page.locator("[data-testid=stSidebarNav]").inner_text()
            assert "Home" in navigation and "app" not in navigation.split()
            page.screenshot(path=str(artifacts_dir / "deep-link-fresh-server.png"))
        finally:
            context.close()
