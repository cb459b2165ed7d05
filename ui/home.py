"""The home page: what the app teaches, the learning path, and what this machine offers."""

from __future__ import annotations

import streamlit as st

from cnn_core.config import TEXT_DIR
from ui.lessons import LESSONS
from ui.navigation import available_pages
from ui.status import queue_box, status_box


def home_page() -> None:
    st.title("CNN Classroom")
    st.markdown((TEXT_DIR / "home.md").read_text(encoding="utf-8"))
    # Near the top: whether training would start at once is what a class asks first.
    queue_box()

    st.subheader("Learning path")
    for step, info in enumerate(available_pages(), start=1):
        with st.container(border=True):
            st.page_link(info.path, label=f"{step}. {info.title}", icon=info.icon)
            st.caption(info.lesson)

    st.subheader("Lessons")
    st.caption("Each lesson opens a page set up for one idea, with a task at the top. Teachers "
               "make their own the same way: 'Share this page' in the sidebar of any page.")
    pages = {info.path for info in available_pages()}
    for lesson in LESSONS:
        if lesson.page not in pages:
            continue
        with st.container(border=True):
            st.page_link(lesson.page, label=lesson.title, icon=":material/school:",
                         query_params=lesson.params)
            st.caption(lesson.shows)

    st.subheader("This machine")
    status_box()
