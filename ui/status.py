"""The home page's status: the training queue now, the compute device and the data sets."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from cnn_core.data import datasets
from cnn_core.jobs.device import DeviceInfo, probe_device
from cnn_core.jobs.job_queue import queue_summary
from ui.links import keep_settings_across_pages
from ui.services import training_pool

# The queue's line on the home page redraws itself this often: a teacher sees the class's jobs
# come and go, and thirty learners resting on the home page cost a few tiny reruns a second.
QUEUE_REFRESH_S = 5.0


@st.cache_resource(show_spinner=False)
def _device_probe() -> Future[DeviceInfo]:
    # One probe per server: TensorFlow takes seconds to import, so it runs in the
    # background while the page renders, and every session reads the same answer.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="device-probe")
    future = executor.submit(probe_device)
    executor.shutdown(wait=False)
    return future


def device_label(wait: float = 0.0) -> str | None:
    """'GPU: ...' or 'CPU ...' once known, else None while the probe still runs."""
    future = _device_probe()
    if not future.done() and wait <= 0:
        return None
    try:
        return future.result(timeout=wait or None).label
    except TimeoutError:
        return None


@st.fragment(run_every=1.0)
def _device_line() -> None:
    keep_settings_across_pages()
    if device_label() is None:
        st.markdown(":material/hourglass_top: **Compute device:** checking what TensorFlow "
                    "can use...")
    else:
        # Redraw the whole page once, which stops this polling fragment.
        st.rerun(scope="app")


def _source_line(source: datasets.DataSource) -> str:
    """Where a data set will load from, with its size when that is known unread: a teacher
    should see at a glance that the offline fallback is a small subset."""
    if source.known_counts is None:
        return source.description
    n_train, n_test = source.known_counts
    return f"{source.description}: {n_train:,} training and {n_test:,} test images"


def status_box() -> None:
    with st.container(border=True):
        if device_label() is None:
            _device_line()
        else:
            st.markdown(f":material/memory: **Compute device:** {device_label()}")
        rows = []
        for name, info in datasets.DATASETS.items():
            source = datasets.locate_dataset(name)
            rows.append(f"- **{info.title}:** " + (_source_line(source) if source
                                                   else f"not available. {info.how_to_get}"))
        st.markdown("**Data sets on this machine**\n" + "\n".join(rows))


@st.fragment(run_every=QUEUE_REFRESH_S)
def queue_box() -> None:
    """Who trains on this server now and how long a new job would wait, kept up to date."""
    keep_settings_across_pages()
    pool = training_pool()
    status = pool.status()
    wait = pool.new_job_wait() if status.full else None
    with st.container(border=True):
        st.markdown(f":material/model_training: **Training queue:** {status.executor}, "
                    f"{status.slots} job{'s' if status.slots != 1 else ''} at a time. "
                    + queue_summary(status, wait))
