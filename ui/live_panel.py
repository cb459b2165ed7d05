"""A panel that redraws itself while training runs: once a second, or every few seconds while
the learner's job waits further back in line and slower still far back
(`job_queue.refresh_seconds`), since thirty waiting learners would otherwise be thirty server
reruns a second.

A fragment's pace is fixed when it is declared, so there is one fragment per pace and a full
run picks between them; each page only says what to draw and at which pace.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnn_core.jobs.job_queue import FAR_BACK_REFRESH_S, LIVE_REFRESH_S, WAITING_REFRESH_S
from ui.links import keep_settings_across_pages

Draw = Callable[[], None]
Pace = Callable[[], float | None]


def live_panel(draw: Draw, pace: Pace) -> None:
    """Draw `draw()` now and redraw it on its own at the pace `pace()` names.

    Call it only while training runs. When `pace()` says None (training ended) or names
    another pace, the whole page reruns once: the page files the results or calls this again,
    which picks the panel anew and ends the old one's polling.
    """
    panel = {WAITING_REFRESH_S: _waiting_panel,
             FAR_BACK_REFRESH_S: _far_back_panel}.get(pace(), _live_panel)
    panel(draw, pace)


def _draw_at(draw: Draw, pace: Pace, refresh_s: float) -> None:
    draw()
    if pace() != refresh_s:
        st.rerun(scope="app")


@st.fragment(run_every=LIVE_REFRESH_S)
def _live_panel(draw: Draw, pace: Pace) -> None:
    keep_settings_across_pages()
    _draw_at(draw, pace, LIVE_REFRESH_S)


@st.fragment(run_every=WAITING_REFRESH_S)
def _waiting_panel(draw: Draw, pace: Pace) -> None:
    keep_settings_across_pages()
    _draw_at(draw, pace, WAITING_REFRESH_S)


@st.fragment(run_every=FAR_BACK_REFRESH_S)
def _far_back_panel(draw: Draw, pace: Pace) -> None:
    keep_settings_across_pages()
    _draw_at(draw, pace, FAR_BACK_REFRESH_S)
