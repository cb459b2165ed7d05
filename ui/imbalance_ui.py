"""Widget groups of the precision-and-recall page: the task, the baselines, the metrics
with their formulas, and the calculator. Training lives in ui.imbalance_train_ui, the
threshold and curves in ui.imbalance_threshold_ui."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core import config
from cnn_core.data.datasets import Dataset, DatasetUnavailable
from cnn_core.data.imbalance import (
    TASKS,
    ImbalanceTask,
    always_no,
    calculator_counts,
    imbalanced_split,
    metric_formulas,
    random_at_base_rate,
    training_counts,
)
from cnn_core.maths.metrics import BinaryCounts, binary_counts
from cnn_core.views.figures import binary_confusion_figure
from cnn_core.views.pictures import to_rgb_uint8, upscale
from ui.services import shared_dataset

TEXT = config.TEXT_DIR / "precision_recall.md"
CHART = {"displayModeBar": False}


def text(heading: str) -> str:
    """The Markdown under '## heading' in assets/text/precision_recall.md."""
    source = TEXT.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", source, re.M | re.S)
    return match.group(1).strip() if match else ""


@dataclass(frozen=True)
class TaskSetup:
    """The task the learner built: which data, how many positives, and its test split."""

    task: ImbalanceTask
    share: int                                     # percent of positives
    data: Dataset = field(repr=False)
    test_indices: np.ndarray = field(repr=False)   # (M,) positions in data.x_test
    y_test: np.ndarray = field(repr=False)         # (M,) uint8 0/1

    @property
    def fraction(self) -> float:
        return self.share / 100


def task_ui(key: str = "pr_task") -> TaskSetup | None:
    """Pick the task and the share of positives; show the counts. None if data is missing."""
    left, right = st.columns([1, 1.3], gap="large")
    with left:
        name = st.radio("Task", list(TASKS), format_func=lambda n: TASKS[n].title,
                        key=f"{key}_name", horizontal=True)
        task = TASKS[name]
        low, high = config.PR_SHARE_RANGE
        share = st.slider(f"Share of {task.plural} in the data (%)", low, high,
                          config.PR_DEFAULT_SHARE, key=f"{key}_share",
                          help="Made by randomly leaving out images of the larger side.")
    try:
        data = shared_dataset(task.dataset)
    except DatasetUnavailable as error:
        st.error(str(error))
        return None
    test_indices, y_test = imbalanced_split(data.y_test, task.positive_class, share / 100)
    setup = TaskSetup(task, share, data, test_indices, y_test)
    train_pos, train_neg = training_counts(data.y_train, task.positive_class, share / 100)
    test_pos = int(y_test.sum())
    with left:
        st.dataframe(pd.DataFrame({
            "split": ["training", "test"],
            task.plural: [f"{train_pos:,}", f"{test_pos:,}"],
            "everything else": [f"{train_neg:,}", f"{len(y_test) - test_pos:,}"],
            f"share of {task.plural}": [f"{train_pos / (train_pos + train_neg):.1%}",
                                        f"{test_pos / len(y_test):.1%}"]}),
            hide_index=True, key=f"{key}_counts")
        st.caption(f"Images from the {data.source.description if data.source else 'data set'}.")
    with right:
        _examples_ui(setup)
    return setup


def _examples_ui(setup: TaskSetup) -> None:
    for label, title in ((1, setup.task.positive), (0, setup.task.negative)):
        picks = setup.test_indices[np.flatnonzero(setup.y_test == label)[:8]]
        images = [upscale(to_rgb_uint8(setup.data.x_test[i]), 56) for i in picks]
        if images:
            st.markdown(f"**{title}** (test images)")
            st.image(images, width=56)


def baselines_ui(setup: TaskSetup) -> dict[str, BinaryCounts]:
    """"Always no" and "random guess at the base rate" on the test split, side by side."""
    task, y = setup.task, setup.y_test
    guesses = {"always_no": always_no(len(y)),
               "random": random_at_base_rate(len(y), setup.fraction)}
    titles = {"always_no": "Always no", "random": "Random guess at the base rate"}
    results = {name: binary_counts(y, guess) for name, guess in guesses.items()}
    for column, (name, counts) in zip(st.columns(2, gap="large"), results.items(), strict=True):
        with column:
            st.markdown(f"**{titles[name]}**")
            cells = st.columns(3)
            cells[0].metric("accuracy", f"{counts.accuracy:.1%}")
            cells[1].metric("precision", f"{counts.precision:.1%}")
            cells[2].metric("recall", f"{counts.recall:.1%}")
            st.plotly_chart(binary_confusion_figure(
                counts.tp, counts.fp, counts.fn, counts.tn, task.positive, task.negative,
                task.plural, height=230, show_scale=False), config=CHART,
                key=f"pr_baseline_{name}")
    lazy = results["always_no"]
    st.warning(f"**Always no** is {lazy.accuracy:.1%} accurate on these test images and finds "
               f"**none** of the {lazy.tp + lazy.fn:,} {task.plural}. High accuracy alone "
               "says nothing when one class is rare.", icon=":material/warning:")
    return results


def formulas_ui(counts: BinaryCounts, task: ImbalanceTask) -> None:
    """Every metric as name = formula = formula with the counts = value."""
    for formula in metric_formulas(counts, task.positive, task.plural):
        st.latex(formula.latex)
        st.caption(formula.meaning)


def calculator_ui(key: str = "pr_calc") -> BinaryCounts | None:
    """Four number inputs (TP, FP, FN, TN) -> every metric with its formula."""
    cols = st.columns(4)
    labels = ("TP: positives found", "FP: false alarms", "FN: positives missed",
              "TN: negatives left alone")
    values = [cols[i].number_input(label, min_value=0, value=default, step=1,
                                   key=f"{key}_{cell}")
              for i, (label, cell, default) in enumerate(zip(
                  labels, ("tp", "fp", "fn", "tn"), config.PR_CALCULATOR_EXAMPLE, strict=True))]
    try:
        counts = calculator_counts(*values)
    except ValueError as error:
        st.error(str(error))
        return None
    st.markdown(f"**{counts.total:,} images**, of which {counts.tp + counts.fn:,} are positives "
                f"({(counts.tp + counts.fn) / counts.total:.1%}). Always answering 'no' would "
                f"be {(counts.fp + counts.tn) / counts.total:.1%} accurate here.")
    formulas_ui(counts, ImbalanceTask("calculator", "", 0, "positive", "negative", "positives",
                                      "", ""))
    return counts
