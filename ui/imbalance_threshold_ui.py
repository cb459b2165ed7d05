"""The decision threshold of a trained model: the confusion matrix with example images per
cell, the metrics, the precision-recall and ROC curves, and "recall of at least X"."""

from __future__ import annotations

import streamlit as st

from cnn_core import config
from cnn_core.data.imbalance import ScoredRun, cell_examples, run_counts, threshold_for_recall
from cnn_core.maths.metrics import BinaryCounts, average_precision, roc_auc, threshold_sweep
from cnn_core.views.figures import binary_confusion_figure, precision_recall_figure, roc_figure
from cnn_core.views.pictures import to_rgb_uint8, upscale
from ui.imbalance_ui import CHART, TaskSetup
from ui.links import NO_LINK, PageLink

THRESHOLD_KEY = "pr_threshold"


def threshold_ui(key: str = THRESHOLD_KEY, link: PageLink = NO_LINK) -> float:
    """The decision-threshold slider: a score at or above it means "positive"."""
    if st.session_state.get(key) not in config.PR_THRESHOLD_GRID:
        st.session_state[key] = config.PR_DEFAULT_THRESHOLD
    return float(link.control(
        "threshold", st.select_slider,
        "Decision threshold (the score needed to answer 'positive')", config.PR_THRESHOLD_GRID,
        key=key, format_func=lambda t: f"{t:g}",
        help="Use the arrow keys for fine steps. 0.5 is the model's own choice: the more "
             "likely of the two classes."))


def confusion_ui(setup: TaskSetup, run: ScoredRun, threshold: float) -> BinaryCounts:
    """The 2x2 matrix at this threshold, and a strip of real test images for each cell."""
    task = setup.task
    counts = run_counts(run, threshold)
    if counts.tp + counts.fp == 0:
        st.warning(f"At threshold {threshold:g} the model never says '{task.positive}': it has "
                   "learned the 'always no' trick. Lower the threshold and watch the cells "
                   "change (its scores may still rank the images well: see the ROC curve).",
                   icon=":material/lightbulb:")
    left, right = st.columns([1.3, 1], gap="large")
    with left:
        st.plotly_chart(binary_confusion_figure(
            counts.tp, counts.fp, counts.fn, counts.tn, task.positive, task.negative,
            task.plural, height=320), config=CHART, key="pr_matrix")
        st.caption(f"At threshold {threshold:g}: TP = {counts.tp:,}, FP = {counts.fp:,}, "
                   f"FN = {counts.fn:,}, TN = {counts.tn:,} of {counts.total:,} test images.")
    titles = {"tp": f"TP: {task.plural} found", "fn": f"FN: {task.plural} missed",
              "fp": f"FP: false alarms (said {task.positive})",
              "tn": f"TN: correctly said {task.negative}"}
    totals = {"tp": counts.tp, "fn": counts.fn, "fp": counts.fp, "tn": counts.tn}
    with right:
        for row in (("tp", "fn"), ("fp", "tn")):
            for column, cell in zip(st.columns(2), row, strict=True):
                with column:
                    st.markdown(f"**{titles[cell]}** ({totals[cell]:,})")
                    picks = cell_examples(run.y_true, run.scores, threshold, cell, limit=6)
                    if not len(picks):
                        st.caption("No images in this cell.")
                        continue
                    images = [upscale(to_rgb_uint8(setup.data.x_test[run.test_indices[i]]), 48)
                              for i in picks]
                    st.image(images, width=48,
                             caption=[f"{run.scores[i]:.2f}" for i in picks])
        st.caption("The number under each image is the model's score (its probability that "
                   "the image is a positive). Most confident first.")
    return counts


def curves_ui(setup: TaskSetup, run: ScoredRun, counts: BinaryCounts, threshold: float) -> None:
    """Precision-recall and ROC curves with the current threshold marked."""
    sweep = threshold_sweep(run.y_true, run.scores)
    auc = roc_auc(run.y_true, run.scores)
    label = f"threshold {threshold:g}"
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Precision-recall curve**")
        st.plotly_chart(precision_recall_figure(
            sweep.recall, sweep.precision, setup.fraction, (counts.recall, counts.precision),
            average_precision(run.y_true, run.scores), label), config=CHART, key="pr_pr_curve")
    with right:
        st.markdown(f"**ROC curve** (area under it: AUC = {auc:.3f})")
        fpr = 1 - counts.specificity if counts.fp + counts.tn else 0.0
        st.plotly_chart(roc_figure(sweep.false_positive_rate, sweep.recall, auc,
                                   (fpr, counts.recall), label), config=CHART,
                        key="pr_roc_curve")
    st.caption("Each point of a curve is one threshold; the diamond is the slider's. AP "
               "(average precision) is the area under the precision-recall curve.")


def _use_threshold(value: float) -> None:
    st.session_state[THRESHOLD_KEY] = value


def target_recall_ui(setup: TaskSetup, run: ScoredRun, key: str = "pr_target",
                     link: PageLink = NO_LINK) -> float | None:
    """"Pick the threshold that gives recall of at least X": shows it and offers to use it."""
    target = int(link.control("recall", st.slider,
                              f"Recall you need (% of {setup.task.plural} found)", 50, 100,
                              config.PR_DEFAULT_TARGET_RECALL, key=f"{key}_recall"))
    threshold = threshold_for_recall(run.y_true, run.scores, target / 100,
                                     grid=config.PR_THRESHOLD_GRID)
    if threshold is None:
        st.error(f"No threshold on the slider reaches a recall of {target}%.")
        return None
    counts = run_counts(run, threshold)
    st.markdown(f"The highest threshold with recall of at least {target}% is **{threshold:g}**: "
                f"it finds {counts.tp:,} of {counts.tp + counts.fn:,} {setup.task.plural} "
                f"(recall {counts.recall:.1%}) with {counts.fp:,} false alarms "
                f"(precision {counts.precision:.1%}).")
    # A threshold the teacher's link fixed is not moved by a button either.
    fixed = link.locked("threshold") or link.hidden("threshold")
    st.button("Use this threshold", key=f"{key}_use", on_click=_use_threshold, args=(threshold,),
              icon=":material/tune:", disabled=fixed)
    return threshold
