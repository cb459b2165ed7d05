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
    KeptCounts,
    always_no,
    calculator_counts,
    imbalanced_split,
    kept_counts,
    metric_formulas,
    random_at_base_rate,
)
from cnn_core.maths.metrics import BinaryCounts, binary_counts
from cnn_core.views.figures import binary_confusion_figure
from cnn_core.views.pictures import to_rgb_uint8, upscale
from ui.formulas import formula as show_formula
from ui.links import NO_LINK, PageLink
from ui.services import shared_dataset

TEXT = config.TEXT_DIR / "precision_recall.md"
CHART = {"displayModeBar": False}
BASELINE_PX = 430  # two fit side by side beside the page list from about 1300 pixels wide


def text(heading: str, **values: object) -> str:
    """The Markdown under '## heading' in assets/text/precision_recall.md, with {name}
    placeholders filled from `values` (numbers the page computes, never typed into the text)."""
    source = TEXT.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", source, re.M | re.S)
    body = match.group(1).strip() if match else ""
    return body.format(**values) if values else body


def percent(counts: BinaryCounts, metric: str) -> str:
    """A metric for a sentence or a tile: "61.2%", or "undefined" when it is 0/0."""
    return "undefined" if counts.undefined_because(metric) else f"{getattr(counts, metric):.1%}"


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


DEFAULT_TASK = "cifar_bird"  # the lesson the text teaches: "bird or not"
FALLBACK_TASK = "mnist_8"     # needs only the bundled MNIST subset


def _use_task(key: str, name: str) -> None:
    st.session_state[key] = name


def _kept_sentence(split: str, kept: KeptCounts, task: ImbalanceTask) -> str:
    """Which side was cut to reach the share, from the counts (never "the rarer side")."""
    def phrase(number: int, total: int, what: str) -> str:
        return f"all {total:,} {what}" if number == total else f"{number:,} of the {total:,} {what}"

    return (f"{split}: {phrase(kept.positives_kept, kept.positives_total, task.plural)} and "
            f"{phrase(kept.negatives_kept, kept.negatives_total, 'other images')}")


def task_ui(key: str = "pr_task", link: PageLink = NO_LINK) -> TaskSetup | None:
    """Pick the task and the share of positives; show the counts. None if data is missing."""
    name_key = f"{key}_name"
    if st.session_state.get(name_key) not in TASKS:
        st.session_state[name_key] = DEFAULT_TASK
    left, right = st.columns([1, 1.3], gap="large")
    with left:
        name = link.control("problem", st.radio, "Task", list(TASKS),
                            format_func=lambda n: TASKS[n].title, key=name_key)
        task = TASKS[name]
        low, high = config.PR_SHARE_RANGE
        share = int(link.control(
            "share", st.slider, f"Share of {task.plural} in the data (%)", low, high,
            config.PR_DEFAULT_SHARE, key=f"{key}_share",
            help="Made by randomly leaving out images of the larger side."))
    try:
        data = shared_dataset(task.dataset)
    except DatasetUnavailable as error:
        with left:
            st.warning(str(error), icon=":material/cloud_off:")
            # A teacher's link that fixes the task is not overridden by a button.
            fixed = link.locked("problem") or link.hidden("problem")
            if name != FALLBACK_TASK and not fixed:
                # Full width and short, so the label fits a projector-width column.
                st.button("Use the digits task instead", key=f"{key}_fallback",
                          on_click=_use_task, args=(name_key, FALLBACK_TASK),
                          icon=":material/swap_horiz:", width="stretch")
        return None
    test_indices, y_test = imbalanced_split(data.y_test, task.positive_class, share / 100)
    setup = TaskSetup(task, share, data, test_indices, y_test)
    kept_train = kept_counts(data.y_train, task.positive_class, share / 100)
    kept_test = kept_counts(data.y_test, task.positive_class, share / 100)
    with right:
        _examples_ui(setup)
    # Below both columns: at projector width the table needs the whole row to show every column.
    with st.container():
        st.dataframe(pd.DataFrame({
            "split": ["training", "test"],
            task.plural: [f"{k.positives_kept:,}" for k in (kept_train, kept_test)],
            "everything else": [f"{k.negatives_kept:,}" for k in (kept_train, kept_test)],
            f"share of {task.plural}": [f"{k.share:.1%}" for k in (kept_train, kept_test)]}),
            hide_index=True, key=f"{key}_counts", width="content")
        st.caption(f"Kept to reach {share}% {task.plural}: "
                   f"{_kept_sentence('training', kept_train, task)}; "
                   f"{_kept_sentence('test', kept_test, task)}. Images from the "
                   f"{data.source.description if data.source else 'data set'}.")
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
    st.markdown(text("Baselines", share=setup.share, accuracy=f"{1 - y.mean():.1%}"))
    guesses = {"always_no": always_no(len(y)),
               "random": random_at_base_rate(len(y), setup.fraction)}
    titles = {"always_no": "Always no", "random": "Random guess at the base rate"}
    results = {name: binary_counts(y, guess) for name, guess in guesses.items()}
    # Side by side on a wide screen, one under the other on a projector; the tiles take the
    # width of their numbers, so "undefined" is never cut to "u...".
    row = st.container(horizontal=True, gap="large")
    for name, counts in results.items():
        with row.container(width=BASELINE_PX):
            st.markdown(f"**{titles[name]}**")
            with st.container(horizontal=True, gap="large"):
                for metric in ("accuracy", "precision", "recall"):
                    st.metric(metric, percent(counts, metric), width="content")
            undefined = [f"{metric} is undefined ({why})" for metric in ("precision", "recall")
                         if (why := counts.undefined_because(metric))]
            if undefined:
                sentence = "; ".join(undefined)
                st.caption(f"{sentence[0].upper()}{sentence[1:]}: 0 divided by 0.")
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
        show_formula(formula.latex)
        st.caption(formula.meaning)


def calculator_ui(key: str = "pr_calc", link: PageLink = NO_LINK) -> BinaryCounts | None:
    """Four number inputs (TP, FP, FN, TN) -> every metric with its formula."""
    cols = st.columns(4)
    labels = ("TP: positives found", "FP: false alarms", "FN: positives missed",
              "TN: negatives left alone")
    values = [int(link.control(cell, cols[i].number_input, label, min_value=0, value=default,
                               step=1, key=f"{key}_{cell}"))
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
