"""Showing a training job that runs in a worker process: its progress, live while it runs.

Every page that trains (Train a CNN, the shift lesson, precision and recall) shows its job
the same way. A page keeps the job in st.session_state, calls `live_job_panel` only while
the job runs, and files the results itself on the next full run after the job ends.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from cnn_core.jobs.iris import IrisRequest
from cnn_core.jobs.job_queue import QueueError, refresh_seconds
from cnn_core.jobs.own_images import OwnImagesRequest
from cnn_core.jobs.worker import TrainingProcess, TrainRequest
from cnn_core.models.reports import epochs_summary, format_eta
from cnn_core.views.figures import training_curves_figure
from ui.live_panel import live_panel
from ui.services import session_files, session_owner, training_pool


def start_job(request: TrainRequest | IrisRequest | OwnImagesRequest,
              after: TrainingProcess | None = None) -> TrainingProcess | None:
    """Queue a job for this session, behind `after` if given (see TrainingProcess.start).

    Its model goes to the session's own folder (deleted with the session). When the queue
    refuses it (this session already waits with another job), or the executor could not
    start it, a toast says why: None.
    """
    job = TrainingProcess(request, output_dir=session_files().subfolder("models"),
                          owner=session_owner(), pool=training_pool())
    try:
        job.start(after=after)
    except QueueError as refusal:
        st.toast(str(refusal), icon=":material/hourglass_top:")
        return None
    if job.done:  # its launch failed (an unreachable cluster): the page keeps what it had
        st.toast(job.error or "The job could not be started.", icon=":material/error:")
        return None
    return job


def queue_job(job_key: str, request: TrainRequest | IrisRequest) -> TrainingProcess | None:
    """Queue a job for this session and keep it in st.session_state[job_key]; when the queue
    refuses it, the previous job, if any, stays where it was."""
    job = start_job(request)
    if job is not None:
        st.session_state[job_key] = job
    return job


def progress_panel(job: TrainingProcess, examples: str = "images", curves: bool = True) -> None:
    """Progress bar, speed, ETA and curves of a job, from its latest snapshot.

    examples: what the job learns from, in the plural, for its speed ("flowers/s");
    curves: False where the page draws the curves itself (several jobs on one chart)."""
    snap = job.snapshot()
    if snap.status == "queued":
        st.progress(0.0, text=snap.message or "Waiting for a free training worker...")
        st.caption("It joins the line by itself, even while you look at other pages."
                   if job.following() else
                   "Several learners share this server, so jobs take turns; yours keeps its "
                   "place while you look at other pages.")
    elif snap.status in ("starting", "loading"):
        st.progress(0.0, text=snap.message or "Starting...")
    elif snap.status == "validating":
        st.progress(snap.check_fraction, text=(
            f"Epoch {snap.epoch} of {snap.epochs} trained · checking it on the "
            f"{snap.check_total:,} validation images: {snap.checked:,} done"))
    elif snap.status == "evaluating":
        # A job may say what it evaluates on (a learner's own pictures have no test set).
        what = snap.message or "evaluating on the test set"
        st.progress(snap.check_fraction, text=(
            f"Training finished · {what}: {snap.checked:,} of {snap.check_total:,} {examples}"))
    elif snap.status == "training" and snap.images_seen == 0:
        st.progress(0.0, text=f"Epoch 1 of {snap.epochs}: preparing the first batch...")
    elif snap.finished and snap.status != "failed":
        run = epochs_summary(snap.epochs_done, snap.epochs, snap.status == "stopped")
        st.progress(1.0, text=f"Finished: {run}, {format_eta(snap.train_seconds)} of training")
    else:
        # A job may name a phase of its training (fine-tuning the top of a pretrained base).
        phase = f"{snap.message} · " if snap.message and snap.status == "training" else ""
        # The first batch's time is mostly TensorFlow preparing the step: no speed from it.
        speed = (f"{snap.pace:,.0f} {examples}/s · time left: {format_eta(snap.eta_seconds)}"
                 if snap.pace else "speed and time left: estimating...")
        st.progress(snap.fraction, text=(
            f"{phase}Epoch {snap.epoch} of {snap.epochs}, batch {snap.batch} of "
            f"{snap.batches_per_epoch} · {speed}"))
    if snap.device:
        st.caption(f"Training on: {snap.device}")
    figure = None
    if curves and (snap.curve or snap.history):
        result = job.result
        # A job validated only (a learner's own pictures) has no test point to mark.
        test = None if not hasattr(result, "test_accuracy") else (
            result.test_loss, result.test_accuracy, result.epochs_run or snap.epochs_done)
        figure = training_curves_figure(snap.curve, snap.history, snap.epochs, test)
    elif curves and (snap.status in ("starting", "loading")
                     or snap.status == "training" and snap.images_seen == 0):
        # Empty axes while the worker starts: the learner sees what will be drawn, and the
        # browser lays out its first chart, about a second of a core, before training
        # begins rather than during it (on a one-computer set-up it slowed the training).
        figure = training_curves_figure((), {}, job.request.config.epochs)
    if figure is not None:
        st.plotly_chart(figure, key="live_curves", config={"displayModeBar": False})


def live_job_panel(job_key: str, stop_key: str, caption: str = "",
                   examples: str = "images") -> None:
    """Redraw the job in st.session_state[job_key] while it runs, with a Stop button: once a
    second, or every few seconds while it waits further back in line (`refresh_seconds`).

    Call it only while the job runs. When the job ends, the whole page reruns once so that
    it can file the results; that run no longer calls this panel, which ends the polling.
    """
    live_panel(partial(_job_panel, job_key, stop_key, caption, examples),
               partial(_job_pace, job_key))


def _job_pace(job_key: str) -> float | None:
    job: TrainingProcess | None = st.session_state.get(job_key)
    if job is None:  # nothing to draw, nor to file: the page's next full run drops the panel
        return refresh_seconds(None)
    return refresh_seconds(job.queue_position()) if job.running else None


def _job_panel(job_key: str, stop_key: str, caption: str, examples: str) -> None:
    job: TrainingProcess | None = st.session_state.get(job_key)
    if job is None:
        return
    if caption:
        st.caption(caption)
    progress_panel(job, examples)
    if job.running and job.snapshot().status == "queued":
        st.button("Leave the queue", key=stop_key, on_click=job.stop, icon=":material/stop:",
                  help="Takes this job out of the queue; nothing is trained.")
    elif job.running:
        st.button("Stop training", key=stop_key, on_click=job.stop, icon=":material/stop:",
                  help="Ends within a moment, after the batches in progress; the partly "
                       "trained model is kept.")
