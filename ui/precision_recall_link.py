"""What a link to the Precision and recall page holds: the task and its share of positives,
the training settings, the threshold, the recall wanted, the fix and the calculator's counts.

A link never trains: trained models stay in the session that trained them, so a learner who
opens a lesson link sees the task and the baselines and presses "Train" themselves.
The bird lesson, whatever the session had before: ?problem=cifar_bird&share=5
"""

from __future__ import annotations

import math

import streamlit as st

from cnn_core import config
from cnn_core.data.imbalance import TASKS
from cnn_core.views.links import LinkValueError, Setting, choice, whole
from ui.imbalance_threshold_ui import THRESHOLD_KEY
from ui.imbalance_train_ui import INSPECT_KEY
from ui.imbalance_ui import DEFAULT_TASK
from ui.links import PageLink, keep_across_pages, page_link, unapplied_link

PAGE = "precision_recall"
NOT_IN_LINK = ("Trained models are not in the link: whoever opens it trains their own, and a "
               "link never starts training by itself.")
TASK_KEY = "pr_task_name"      # ui.imbalance_ui.task_ui(key="pr_task")
SHARE_KEY = "pr_task_share"
FIX_KEY = "pr_fix"
FIXES = ("class_weight", "oversample")
TRAIN_KEY = "pr_train"         # ui.imbalance_train_ui.train_settings_ui(key="pr_train")
MAX_COUNT = 10**12             # the calculator takes any count; a link stops at a trillion


def size_key(dataset: str) -> str:
    """Training settings are kept per data set: digits and photos have different defaults."""
    return f"{TRAIN_KEY}_size_{dataset}"


def epochs_key(dataset: str) -> str:
    return f"{TRAIN_KEY}_epochs_{dataset}"


def _threshold(text: str) -> float:
    """One of the slider's thresholds, however it is written (0.5, .50, 5e-1)."""
    wanted = "one of the slider's thresholds, from 0.001 to 0.999"
    try:
        value = float(text.strip())
    except ValueError:
        raise LinkValueError(wanted) from None
    for step in config.PR_THRESHOLD_GRID:
        if math.isclose(value, step, rel_tol=0, abs_tol=1e-9):
            return step
    raise LinkValueError(wanted)


def precision_recall_settings(dataset: str) -> list[Setting]:
    """The page's settings, with the training controls of `dataset` (the task's data set)."""
    size, epochs = config.PR_TRAIN_DEFAULTS.get(dataset, (5_000, 2))
    low, high = config.PR_SHARE_RANGE
    counts = [whole(cell, f"Calculator: {cell.upper()}", 0, MAX_COUNT, default,
                    key=f"pr_calc_{cell}")
              for cell, default in zip(("tp", "fp", "fn", "tn"), config.PR_CALCULATOR_EXAMPLE,
                                       strict=True)]
    return [
        # "task" is taken: it is the teacher's sentence at the top of the page.
        choice("problem", "Task", list(TASKS), DEFAULT_TASK, key=TASK_KEY),
        whole("share", "Share of positives (%)", low, high, config.PR_DEFAULT_SHARE,
              key=SHARE_KEY),
        choice("size", "Training images", [*config.PR_TRAIN_SIZES, "all"], size,
               key=size_key(dataset)),
        whole("epochs", "Epochs", 1, config.PR_MAX_EPOCHS, epochs, key=epochs_key(dataset)),
        Setting("threshold", "Decision threshold", config.PR_DEFAULT_THRESHOLD, _threshold,
                lambda value: f"{float(value):g}", THRESHOLD_KEY),
        whole("recall", "Recall you need (%)", 50, 100, config.PR_DEFAULT_TARGET_RECALL,
              key="pr_target_recall"),
        choice("fix", "Fix for the rare class", list(FIXES), FIXES[0], key=FIX_KEY),
        *counts,
    ]


def _task_this_run() -> str:
    """The task this run shows: a new link's (page_link applies it, and a link without a
    valid task opens the default one), else the session's. The training controls' keys
    depend on it, so it is needed before the link is applied."""
    given = unapplied_link(PAGE, (s.name for s in precision_recall_settings("mnist")))
    if given is not None:
        linked = given.get("problem")
        return linked if linked in TASKS else DEFAULT_TASK
    current = st.session_state.get(TASK_KEY)
    return current if current in TASKS else DEFAULT_TASK


def precision_recall_link() -> PageLink:
    """Call at the top of the page, before its widgets."""
    settings = precision_recall_settings(TASKS[_task_this_run()].dataset)
    link = page_link(PAGE, settings, NOT_IN_LINK)
    # Which trained model is being looked at is not in a link (trained models are not), yet it
    # stays for the session like every other control.
    keep_across_pages(INSPECT_KEY)
    # A hidden control is never drawn, yet a start button reads its key when clicked.
    for setting in settings:
        if link.hidden(setting.name) and setting.key not in st.session_state:
            st.session_state[setting.key] = setting.default
    return link
