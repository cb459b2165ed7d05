"""Showing a training job that runs in a worker process: its progress, live while it runs.

Every page that trains (Train a CNN, the shift lesson, precision and recall) shows its job
the same way. A page keeps the job in st.session_state, calls `live_job_panel` only while
the job runs, and files the results itself on the next full run after the job ends.
"""

from __future__ import annotations

import streamlit as st

from cnn_core.jobs.worker import TrainingProcess
from cnn_core.views.figures import training_curves_figure


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating..."
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def progress_panel(job: TrainingProcess) -> None:
    """Progress bar, speed, ETA and curves of a job, from its latest snapshot."""
    snap = job.snapshot()
    if snap.status in ("starting", "loading"):
        st.progress(0.0, text=snap.message or "Starting...")
    else:
        st.progress(snap.fraction, text=(
            f"Epoch {snap.epoch} of {snap.epochs}, batch {snap.batch} of "
            f"{snap.batches_per_epoch} · {snap.images_per_second:,.0f} images/s · "
            f"time left: {format_eta(snap.eta_seconds)}"))
    if snap.device:
        st.caption(f"Training on: {snap.device}")
    if snap.curve or snap.history:
        st.plotly_chart(training_curves_figure(snap.curve, snap.history, snap.epochs),
                        key="live_curves", config={"displayModeBar": False})


@st.fragment(run_every=1.0)
def live_job_panel(job_key: str, stop_key: str, caption: str = "") -> None:
    """Redraw the job in st.session_state[job_key] about once a second, with a Stop button.

    Call it only while the job runs. When the job ends, the whole page reruns once so that
    it can file the results; that run no longer calls this panel, which ends the polling.
    """
    job: TrainingProcess | None = st.session_state.get(job_key)
    if job is None:
        return
    if caption:
        st.caption(caption)
    progress_panel(job)
    if job.running:
        st.button("Stop training", key=stop_key, on_click=job.stop, icon=":material/stop:",
                  help="Ends after the current batch; the partly trained model is kept.")
    else:
        st.rerun(scope="app")
