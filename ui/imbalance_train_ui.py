"""Training the precision-and-recall page's small CNN in the worker process, keeping its
scores per task, and the before/after table of the fixes.

Session state (own keys, so this page's job never collides with the training page's):
pr_job (the running or last TrainingProcess), pr_reported_job (the job already collected),
pr_results ({(task, share): {rebalance: ScoredRun}}, newest last).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from cnn_core import config
from cnn_core.data.imbalance import (
    REBALANCE,
    TASKS,
    ScoredRun,
    run_counts,
    summary_row,
    training_counts,
)
from cnn_core.jobs.storage import delete_model_files
from cnn_core.jobs.training import TrainConfig
from cnn_core.jobs.worker import BinaryTask, TrainingProcess, TrainRequest
from cnn_core.maths.metrics import binary_counts, roc_auc
from ui.imbalance_ui import TaskSetup
from ui.job_ui import live_job_panel, progress_panel, queue_job
from ui.links import NO_LINK, PageLink

JOB_KEY = "pr_job"
REPORTED_KEY = "pr_reported_job"
RESULTS_KEY = "pr_results"
INSPECT_KEY = "pr_inspect"


@dataclass(frozen=True)
class SettingKeys:
    """Widget keys that a start button reads when it is clicked. Callback arguments are fixed
    when the button is drawn, so a value typed just before the click would be lost."""

    task: str    # radio: a TASKS name
    share: str   # slider: percent of positives
    size: str    # select_slider: a number of images or "all"
    epochs: str  # number_input


def train_settings_ui(setup: TaskSetup, key: str = "pr_train", task_key: str = "pr_task",
                      link: PageLink = NO_LINK) -> SettingKeys:
    """Training subset and epochs (defaults per data set); the keys a start button reads."""
    dataset = setup.task.dataset
    size, epochs = config.PR_TRAIN_DEFAULTS.get(dataset, (5_000, 2))
    available = sum(training_counts(setup.data.y_train, setup.task.positive_class,
                                    setup.fraction))
    options = [n for n in config.PR_TRAIN_SIZES if n < available] + ["all"]
    default = size if size in options else "all"
    size_key, epochs_key = f"{key}_size_{dataset}", f"{key}_epochs_{dataset}"
    kept = st.session_state.get(size_key, default)
    if kept not in options:
        # A smaller share (or a link made where more data was at hand) leaves fewer images.
        st.caption(f"{kept:,} training images are more than this task has here at "
                   f"{setup.share}% positives, so the subset is back at its default.")
        kept = default
    # Also set when the control is hidden: the start button reads the key when clicked.
    st.session_state[size_key] = kept
    cols = st.columns(2)
    with cols[0]:
        chosen = link.control(
            "size", st.select_slider, "Training images", options,
            format_func=lambda n: f"all {available:,}" if n == "all" else f"{n:,}",
            key=size_key, help="A random subset with the same share of positives.")
    with cols[1]:
        epochs = link.control("epochs", st.number_input, "Epochs", 1, config.PR_MAX_EPOCHS,
                              epochs, key=epochs_key, help="Passes over the training images.")
    st.session_state.setdefault(epochs_key, epochs)
    n_train = None if chosen == "all" else int(chosen)
    positives, negatives = training_counts(setup.data.y_train, setup.task.positive_class,
                                           setup.fraction, n_train)
    st.caption(f"The model learns from {positives + negatives:,} images: {positives:,} "
               f"{setup.task.plural} and {negatives:,} others.")
    return SettingKeys(f"{task_key}_name", f"{task_key}_share", size_key, epochs_key)


def start_job(keys: SettingKeys, rebalance: str) -> None:
    """Button callback: train on the task as the widgets now say (unless a job is running).

    rebalance: a key of REBALANCE, or the key of a widget whose value is one.
    """
    old = st.session_state.get(JOB_KEY)
    if old is not None and old.running:
        return
    state = st.session_state
    rebalance = rebalance if rebalance in REBALANCE else state[rebalance]
    task = TASKS[state[keys.task]]
    size, epochs = state[keys.size], int(state[keys.epochs])
    request = TrainRequest(
        task.dataset, task.preset, dict(task.hparams),
        TrainConfig(epochs=epochs, batch_size=config.PR_BATCH_SIZE, seed=config.PR_SEED),
        n_train=None if size == "all" else int(size),
        binary=BinaryTask(task.positive_class, state[keys.share] / 100, rebalance))
    queue_job(JOB_KEY, request)


def _run_info(job: TrainingProcess) -> tuple[str, int, str, int]:
    """(task name, share in percent, rebalance, epochs) of a job, read from its request."""
    request = job.request
    task = next(t.name for t in TASKS.values() if (t.dataset, t.positive_class) == (
        request.dataset, request.binary.positive_class))
    return (task, round(request.binary.positive_fraction * 100), request.binary.rebalance,
            request.config.epochs)


def collect_finished_job() -> None:
    """File a finished job's test scores under its task (once); call at the top of the page."""
    job = st.session_state.get(JOB_KEY)
    if job is None or not job.done or st.session_state.get(REPORTED_KEY) is job:
        return
    st.session_state[REPORTED_KEY] = job
    if job.result is None:
        return
    task, share, rebalance, epochs = _run_info(job)
    run = ScoredRun.from_result(job.result, task, share, rebalance, epochs)
    # The page keeps the run's scores and never shows the model itself.
    delete_model_files(job.result.model_path)
    runs = st.session_state.setdefault(RESULTS_KEY, {}).setdefault((task, share), {})
    runs.pop(rebalance, None)  # re-insert so the newest run comes last
    runs[rebalance] = run
    st.session_state[INSPECT_KEY] = rebalance  # look at the model just trained


def runs_for(setup: TaskSetup) -> dict[str, ScoredRun]:
    """The trained runs of this task and share, oldest first ({} if none)."""
    return st.session_state.get(RESULTS_KEY, {}).get((setup.task.name, setup.share), {})


def train_button_ui(setup: TaskSetup, rebalance: str, keys: SettingKeys, label: str,
                    key: str) -> None:
    """The start button, and below it this job's live progress (if it was started here).

    rebalance: "none", or the key of the widget that picks the fix (read when clicked).
    """
    job = st.session_state.get(JOB_KEY)
    running = job is not None and job.running
    st.button(label, type="primary", key=key, disabled=running, icon=":material/play_arrow:",
              on_click=start_job, args=(keys, rebalance))
    job = st.session_state.get(JOB_KEY)
    if job is None:
        return
    info = _run_info(job)
    if (info[2] == "none") != (rebalance == "none"):
        return  # the job was started in the other section
    if job.running:
        task, share, fix, _ = info
        live_job_panel(JOB_KEY, stop_key="pr_stop", caption=(
            f"Training: {TASKS[task].title} at {share}% positives, {REBALANCE[fix].lower()}."))
    elif info[:2] == (setup.task.name, setup.share):
        progress_panel(job)
        if job.error:
            st.error(job.error)


def pick_run_ui(runs: dict[str, ScoredRun]) -> ScoredRun:
    """Which of this task's trained models to look at (only asked when there are several)."""
    if len(runs) == 1:
        return next(iter(runs.values()))
    if st.session_state.get(INSPECT_KEY) not in runs:
        st.session_state[INSPECT_KEY] = list(runs)[-1]
    choice = st.radio("Model to look at", list(runs), format_func=lambda r: REBALANCE[r],
                      horizontal=True, key=INSPECT_KEY)
    return runs[choice]


def comparison_ui(setup: TaskSetup, runs: dict[str, ScoredRun]) -> pd.DataFrame:
    """Before/after table: the "always no" baseline and every trained run, at threshold 0.5."""
    threshold = config.PR_DEFAULT_THRESHOLD
    never = [0] * len(setup.y_test)  # one score for all: it ranks nothing, AUC 0.5
    rows = [summary_row("Always no (baseline)", binary_counts(setup.y_test, never),
                        roc_auc(setup.y_test, never))]
    for run in runs.values():
        name = f"CNN, {run.label.lower()}" + (" (stopped early)" if run.stopped else "")
        rows.append(summary_row(name, run_counts(run, threshold),
                                roc_auc(run.y_true, run.scores)))
    table = pd.DataFrame(rows)
    percent = st.column_config.NumberColumn(format="%.1f%%")
    st.dataframe(table, hide_index=True, key="pr_comparison", column_config={
        name: percent for name in ("accuracy", "precision", "recall", "F1",
                                   "balanced accuracy")})
    st.caption(f"All rows use the same {len(setup.y_test):,} test images and the usual "
               f"threshold of {threshold}. ROC AUC does not depend on the threshold: it measures "
               "how well the model ranks positives above negatives.")
    return table
