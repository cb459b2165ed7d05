"""Cached, read-only resources shared by every session: data sets and the model process.

Only things no learner can change live here (st.cache_resource is shared by all
sessions); a learner's own jobs and models live in st.session_state.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnn_core.data.datasets import Dataset, load_dataset
from cnn_core.jobs.inference import InferenceClient
from cnn_core.jobs.pool import WorkerPool
from cnn_core.jobs.storage import SessionFiles, session_root, session_ttl_seconds, sweep_stale
from cnn_core.jobs.worker import default_pool


@st.cache_resource(show_spinner="Loading the data set (only the first time)...", max_entries=3)
def shared_dataset(name: str) -> Dataset:
    """A data set loaded once per server; its arrays are made read-only for safety."""
    data = load_dataset(name)
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        array.setflags(write=False)
    return data


@st.cache_resource(show_spinner=False)
def inference_client() -> InferenceClient:
    """One model process for predictions and inspection; it imports Keras so the server never
    does."""
    return InferenceClient()


@st.cache_resource(show_spinner=False)
def training_pool() -> WorkerPool:
    """The server's training queue and warm workers, shared by every session (read-only to
    them: sessions only submit and stop their own jobs)."""
    return default_pool()


def session_owner() -> str:
    """This browser session's id: the queue lets each session wait with one job at a time."""
    context = get_script_run_ctx()
    return context.session_id if context is not None else "no-session"


@st.cache_resource(show_spinner=False, ttl=600)
def _sweep_stale_session_files() -> int:
    # Runs at most every ten minutes (the cache's time to live), for the whole server.
    return len(sweep_stale(session_root(), session_ttl_seconds()))


def keep_session_files() -> None:
    """Mark this session's folder, if it has one, as in use: call on every run, so that the
    time-to-live sweep never takes the models of a learner who is still there but has not
    trained or uploaded for hours."""
    files = st.session_state.get("_session_files")
    if files is not None:
        files.touch()


def session_files() -> SessionFiles:
    """This session's folder for models and uploads; it goes when the session's state goes."""
    _sweep_stale_session_files()
    files = st.session_state.get("_session_files")
    if files is None or not files.path.is_dir():
        files = st.session_state["_session_files"] = SessionFiles()
    files.touch()
    return files
