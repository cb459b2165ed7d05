"""cnn_core.maths.metrics against scikit-learn, random and degenerate cases.

Where a ratio is undefined (0/0) our contract says 0, as sklearn's zero_division=0 does.
Two documented differences: with no positives at all, sklearn's precision_recall_curve sets
recall to 1 (with a warning) and roc_auc_score raises; we report 0 for both.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk

from cnn_core.maths.metrics import (
    BinaryCounts,
    average_precision,
    binary_counts,
    confusion_matrix,
    counts_at_threshold,
    per_class_precision_recall,
    precision_recall_f1,
    roc_auc,
    threshold_sweep,
)


def sk_prf(y_true, y_pred, positive=1):
    p, r, f, _ = sk.precision_recall_fscore_support(y_true, y_pred, labels=[positive],
                                                     average=None, zero_division=0)
    return float(p[0]), float(r[0]), float(f[0])


def random_binary(seed: int, n: int = 500, share: float = 0.1):
    rng = np.random.default_rng(seed)
    y_true = (rng.random(n) < share).astype(np.uint8)
    # Scores that prefer positives, rounded so that ties happen.
    scores = np.round(np.clip(0.3 * y_true + rng.random(n) * 0.7, 0, 1), 2)
    return y_true, scores


@pytest.mark.parametrize("seed", range(5))
def test_confusion_matrix_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    expected = sk.confusion_matrix(y_true, y_pred, labels=range(4))
    assert np.array_equal(confusion_matrix(y_true, y_pred), expected)
    assert np.array_equal(confusion_matrix(y_true, y_pred, num_classes=6)[:4, :4], expected)


def test_confusion_matrix_rows_are_the_truth():
    matrix = confusion_matrix([1, 1, 1, 0], [0, 1, 1, 0])
    assert matrix.tolist() == [[1, 0], [1, 2]]
    assert confusion_matrix([], [], num_classes=2).tolist() == [[0, 0], [0, 0]]


@pytest.mark.parametrize("bad,message", [
    (([0, 1], [0]), "one prediction for every"),
    (([0, 3], [0, 1]), "between 0 and 1"),
    (([[0, 1]], [[0, 1]]), "flat list"),
    (([0.5, 1.0], [0, 1]), "whole class numbers"),
    ((["a", "b"], [0, 1]), "class numbers"),
])
def test_confusion_matrix_refuses_bad_labels(bad, message):
    num_classes = 2 if message == "between 0 and 1" else None
    with pytest.raises(ValueError, match=message):
        confusion_matrix(*bad, num_classes=num_classes)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("share", [0.02, 0.1, 0.5])
def test_precision_recall_f1_match_sklearn_on_random_predictions(seed, share):
    rng = np.random.default_rng(seed)
    y_true = (rng.random(400) < share).astype(int)
    y_pred = (rng.random(400) < share).astype(int)
    assert precision_recall_f1(y_true, y_pred) == pytest.approx(sk_prf(y_true, y_pred))
    assert precision_recall_f1(y_true, y_pred, positive=0) == pytest.approx(
        sk_prf(y_true, y_pred, positive=0))
    counts = binary_counts(y_true, y_pred)
    assert counts.accuracy == pytest.approx(sk.accuracy_score(y_true, y_pred))
    if 0 < y_true.sum() < len(y_true):  # sklearn averages only the classes that occur
        assert counts.balanced_accuracy == pytest.approx(
            sk.balanced_accuracy_score(y_true, y_pred))
    tn, fp, fn, tp = sk.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    assert (counts.tp, counts.fp, counts.fn, counts.tn) == (tp, fp, fn, tn)


@pytest.mark.parametrize("case,y_true,y_pred", [
    ("no positives", [0] * 10, [0] * 9 + [1]),
    ("no positives, always no", [0] * 10, [0] * 10),
    ("all positives", [1] * 10, [1] * 7 + [0] * 3),
    ("all positives, always yes", [1] * 10, [1] * 10),
    ("always no predictions", [1, 0, 0, 0, 1, 0, 0, 0, 0, 0], [0] * 10),
    ("always yes predictions", [1, 0, 0, 0, 1, 0, 0, 0, 0, 0], [1] * 10),
    ("nothing right", [1, 0, 1, 0], [0, 1, 0, 1]),
    ("empty", [], []),
])
def test_degenerate_cases_give_zero_not_nan_like_sklearn(case, y_true, y_pred):
    result = precision_recall_f1(y_true, y_pred)
    assert all(np.isfinite(v) and 0 <= v <= 1 for v in result), case
    if y_true:
        assert result == pytest.approx(sk_prf(y_true, y_pred)), case
    else:
        assert result == (0.0, 0.0, 0.0)


def test_always_no_is_accurate_and_useless():
    y_true = [1] * 5 + [0] * 95
    counts = binary_counts(y_true, [0] * 100)
    assert counts == BinaryCounts(tp=0, fp=0, fn=5, tn=95)
    assert counts.accuracy == 0.95
    assert (counts.precision, counts.recall, counts.f1) == (0.0, 0.0, 0.0)
    assert counts.specificity == 1.0 and counts.balanced_accuracy == 0.5


def test_binary_counts_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="one prediction for every"):
        binary_counts([0, 1, 1], [1])


def test_per_class_precision_recall_matches_sklearn():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 5, 400), rng.integers(0, 5, 400)
    y_pred[y_pred == 4] = 3  # class 4 is never predicted: precision 0, not NaN
    precision, recall = per_class_precision_recall(confusion_matrix(y_true, y_pred, 5))
    p, r, _, _ = sk.precision_recall_fscore_support(y_true, y_pred, labels=range(5),
                                                    zero_division=0)
    assert np.allclose(precision, p) and np.allclose(recall, r)


def sk_curves(y_true, scores):
    """sklearn's points, highest threshold first, without the end points it adds."""
    precision, recall, pr_thresholds = sk.precision_recall_curve(y_true, scores)
    fpr, tpr, roc_thresholds = sk.roc_curve(y_true, scores, drop_intermediate=False)
    return (pr_thresholds[::-1], precision[:-1][::-1], recall[:-1][::-1],
            roc_thresholds[1:], fpr[1:], tpr[1:])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("share", [0.01, 0.05, 0.3])
def test_threshold_sweep_matches_sklearn_curves(seed, share):
    y_true, scores = random_binary(seed, share=share)
    if y_true.sum() == 0:
        y_true[0] = 1
    sweep = threshold_sweep(y_true, scores)
    pr_t, precision, recall, roc_t, fpr, tpr = sk_curves(y_true, scores)
    assert np.allclose(sweep.thresholds, pr_t) and np.allclose(sweep.thresholds, roc_t)
    assert np.allclose(sweep.precision, precision)
    assert np.allclose(sweep.recall, recall) and np.allclose(sweep.recall, tpr)
    assert np.allclose(sweep.false_positive_rate, fpr)
    assert np.all(np.diff(sweep.thresholds) < 0), "distinct, highest first"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 8)), min_size=2, max_size=40))
def test_threshold_sweep_and_auc_agree_with_sklearn_on_any_small_case(pairs):
    y_true = np.array([p[0] for p in pairs])
    scores = np.array([p[1] for p in pairs]) / 8  # few distinct values: many ties
    sweep = threshold_sweep(y_true, scores)
    if 0 < y_true.sum() < len(y_true):
        pr_t, precision, recall, _, fpr, _ = sk_curves(y_true, scores)
        assert np.allclose(sweep.thresholds, pr_t)
        assert np.allclose(sweep.precision, precision) and np.allclose(sweep.recall, recall)
        assert np.allclose(sweep.false_positive_rate, fpr)
        assert roc_auc(y_true, scores) == pytest.approx(sk.roc_auc_score(y_true, scores))
        assert average_precision(y_true, scores) == pytest.approx(
            sk.average_precision_score(y_true, scores))
    for t in np.unique(scores):
        counts = counts_at_threshold(y_true, scores, t)
        at = np.flatnonzero(np.isclose(sweep.thresholds, t))[0]
        assert counts.precision == pytest.approx(sweep.precision[at])
        assert counts.recall == pytest.approx(sweep.recall[at])


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_and_average_precision_match_sklearn(seed):
    y_true, scores = random_binary(seed, n=2000, share=0.05)
    assert roc_auc(y_true, scores) == pytest.approx(sk.roc_auc_score(y_true, scores))
    assert average_precision(y_true, scores) == pytest.approx(
        sk.average_precision_score(y_true, scores))


def test_perfect_and_reversed_rankings():
    y_true = np.array([0, 0, 0, 1, 1])
    assert roc_auc(y_true, [0.1, 0.2, 0.3, 0.8, 0.9]) == 1.0
    assert roc_auc(y_true, [0.9, 0.8, 0.7, 0.2, 0.1]) == 0.0
    assert roc_auc(y_true, [0.5] * 5) == 0.5
    assert average_precision(y_true, [0.1, 0.2, 0.3, 0.8, 0.9]) == 1.0


@pytest.mark.parametrize("y_true", [[0, 0, 0, 0], [1, 1, 1, 1]])
def test_curves_with_one_class_only_give_zero_not_errors(y_true):
    scores = [0.1, 0.4, 0.4, 0.9]
    sweep = threshold_sweep(y_true, scores)
    assert len(sweep.thresholds) == 3
    for values in (sweep.precision, sweep.recall, sweep.false_positive_rate):
        assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))
    assert roc_auc(y_true, scores) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, sk_precision, _, _, _, _ = sk_curves(y_true, scores)
    assert np.allclose(sweep.precision, sk_precision)  # precision agrees even here
    if sum(y_true) == 0:
        assert np.all(sweep.recall == 0)  # sklearn says 1 (with a warning); we say 0
        assert average_precision(y_true, scores) == 0.0
    else:
        assert np.allclose(sweep.recall, [1 / 4, 3 / 4, 1])


def test_sweep_of_nothing_and_bad_scores():
    sweep = threshold_sweep([], [])
    assert sweep.thresholds.size == 0 and repr(sweep) == "ThresholdSweep(0 thresholds)"
    assert roc_auc([], []) == 0.0
    with pytest.raises(ValueError, match="one score for every"):
        threshold_sweep([0, 1], [0.5])
    with pytest.raises(ValueError, match="finite"):
        threshold_sweep([0, 1], [0.5, np.nan])


def test_counts_at_threshold_uses_at_or_above():
    counts = counts_at_threshold([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1], 0.5)
    assert counts == BinaryCounts(tp=2, fp=1, fn=0, tn=1)
    assert counts_at_threshold([1, 0], [0.9, 0.1], 1.0) == BinaryCounts(0, 0, 1, 1)


@pytest.mark.parametrize("counts, undefined", [
    (BinaryCounts(0, 0, 5, 95), {"precision": "no positive predictions"}),
    (BinaryCounts(0, 3, 0, 97), {"recall": "no real positives",
                                 "balanced_accuracy": "no real positives"}),
    (BinaryCounts(4, 0, 6, 0), {"specificity": "no real negatives",
                                "balanced_accuracy": "no real negatives"}),
    (BinaryCounts(0, 0, 0, 10), {"precision": "no positive predictions",
                                 "recall": "no real positives", "balanced_accuracy":
                                 "no real positives", "f1": "no positives, real or predicted"}),
    (BinaryCounts(3, 1, 2, 94), {}),
])
def test_undefined_metrics_are_exactly_the_zero_over_zero_ones(counts, undefined):
    denominators = {"accuracy": counts.total, "precision": counts.tp + counts.fp,
                    "recall": counts.tp + counts.fn, "specificity": counts.tn + counts.fp,
                    "f1": 2 * counts.tp + counts.fp + counts.fn}
    for metric, denominator in denominators.items():
        assert (counts.undefined_because(metric) is None) == (denominator > 0)
        assert counts.undefined_because(metric) == undefined.get(metric)
    assert counts.undefined_because("balanced_accuracy") == undefined.get("balanced_accuracy")
    with pytest.raises(ValueError, match="no metric called"):
        counts.undefined_because("kappa")
