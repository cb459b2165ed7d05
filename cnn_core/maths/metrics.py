"""Classification metrics in plain numpy, with scikit-learn's definitions.

Where a ratio is undefined (no predicted positives, no real positives) it is reported as
0, not NaN and not an exception, so a page can always print it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _labels(values) -> np.ndarray:
    """(N,) whole class numbers (ints, bools or whole floats) -> (N,) int64."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError("Labels must be a flat list of class numbers.")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array) & (array == np.round(array))):
        raise ValueError("Labels must be whole class numbers such as 0 and 1, not fractions; "
                         "turn scores into labels with a threshold first.")
    if array.dtype.kind not in "biuf":
        raise ValueError("Labels must be class numbers such as 0 and 1.")
    return array.astype(np.int64)


def _scores(values, y_true: np.ndarray) -> np.ndarray:
    scores = np.asarray(values, dtype=np.float64)
    if scores.shape != y_true.shape:
        raise ValueError("There must be one score for every true label.")
    if not np.all(np.isfinite(scores)):
        raise ValueError("Scores must be finite numbers (no NaN or infinity).")
    return scores


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts (num_classes, num_classes) int64: rows are the true class, columns the prediction."""
    y_true, y_pred = _labels(y_true), _labels(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("There must be one prediction for every true label.")
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0
                        or max(y_true.max(), y_pred.max()) >= num_classes):
        raise ValueError(f"Labels must be between 0 and {num_classes - 1}.")
    flat = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else 0.0


@dataclass(frozen=True)
class BinaryCounts:
    """The four cells of a binary confusion matrix and every metric built from them."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def accuracy(self) -> float:
        return _ratio(self.tp + self.tn, self.total)

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def specificity(self) -> float:
        return _ratio(self.tn, self.tn + self.fp)

    @property
    def f1(self) -> float:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def balanced_accuracy(self) -> float:
        return (self.recall + self.specificity) / 2

    def undefined_because(self, metric: str) -> str | None:
        """Why `metric` is 0/0 for these counts, as a phrase ("no positive predictions"), or
        None when it is a real number. The properties report such a metric as 0, which a page
        must not print as "0%": a model that never says "positive" is not 0% precise.

        metric: "accuracy", "precision", "recall", "specificity", "f1" or "balanced_accuracy".
        """
        reasons = {
            "accuracy": [(self.total, "no images")],
            "precision": [(self.tp + self.fp, "no positive predictions")],
            "recall": [(self.tp + self.fn, "no real positives")],
            "specificity": [(self.tn + self.fp, "no real negatives")],
            "f1": [(2 * self.tp + self.fp + self.fn, "no positives, real or predicted")],
            # The mean of two recalls: undefined as soon as one side has no images.
            "balanced_accuracy": [(self.tp + self.fn, "no real positives"),
                                  (self.tn + self.fp, "no real negatives")],
        }
        if metric not in reasons:
            raise ValueError(f"There is no metric called {metric!r}; choose one of: "
                             f"{', '.join(reasons)}.")
        return next((why for denominator, why in reasons[metric] if denominator == 0), None)


def binary_counts(y_true, y_pred, positive: int = 1) -> BinaryCounts:
    """The four cells for class `positive` vs the rest. y_true, y_pred: (N,) class numbers."""
    y_true, y_pred = _labels(y_true), _labels(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("There must be one prediction for every true label.")
    y_true, y_pred = y_true == positive, y_pred == positive
    return BinaryCounts(tp=int(np.sum(y_true & y_pred)), fp=int(np.sum(~y_true & y_pred)),
                        fn=int(np.sum(y_true & ~y_pred)), tn=int(np.sum(~y_true & ~y_pred)))


def precision_recall_f1(y_true, y_pred, positive: int = 1) -> tuple[float, float, float]:
    """Precision, recall and F1 of class `positive` (0 where a ratio is undefined)."""
    counts = binary_counts(y_true, y_pred, positive)
    return counts.precision, counts.recall, counts.f1


def per_class_precision_recall(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall of every class from a confusion matrix (rows = true)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    hits = np.diag(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    return precision, recall


@dataclass(frozen=True)
class ThresholdSweep:
    """Precision and recall at every distinct score used as a threshold (score >= t is positive)."""

    thresholds: np.ndarray           # (T,) float64, distinct scores, highest first
    precision: np.ndarray            # (T,) float64 in [0, 1]
    recall: np.ndarray               # (T,) float64 in [0, 1], rising (true positive rate)
    false_positive_rate: np.ndarray  # (T,) float64 in [0, 1], rising

    def __repr__(self) -> str:
        return f"ThresholdSweep({len(self.thresholds)} thresholds)"


def threshold_sweep(y_true, scores) -> ThresholdSweep:
    """Sweep the decision threshold over every distinct score, highest first.

    y_true: (N,) 0/1 labels. scores: (N,) higher means "more likely positive". Matches
    scikit-learn's precision_recall_curve / roc_curve points (without their end points).
    """
    y_true = _labels(y_true)
    scores = _scores(scores, y_true)
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_true = scores[order], y_true[order] == 1
    # Last position of each distinct score: everything up to it is predicted positive.
    distinct = np.flatnonzero(np.diff(sorted_scores)) if scores.size else np.array([], int)
    cut = np.r_[distinct, scores.size - 1] if scores.size else np.array([], int)
    tp = np.cumsum(sorted_true)[cut]
    fp = (cut + 1) - tp
    positives, negatives = sorted_true.sum(), (~sorted_true).sum()
    precision = np.divide(tp, tp + fp, out=np.zeros(tp.shape), where=(tp + fp) > 0)
    recall = tp / positives if positives else np.zeros(tp.shape)
    fpr = fp / negatives if negatives else np.zeros(fp.shape)
    return ThresholdSweep(sorted_scores[cut], precision, recall, fpr)


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve (trapezoids through (0, 0) and (1, 1)); 0 if undefined."""
    sweep = threshold_sweep(y_true, scores)
    y_true = _labels(y_true)
    if y_true.size == 0 or y_true.min() == y_true.max():
        return 0.0
    fpr = np.r_[0.0, sweep.false_positive_rate]
    tpr = np.r_[0.0, sweep.recall]
    return float(np.trapezoid(tpr, fpr))


def counts_at_threshold(y_true, scores, threshold: float) -> BinaryCounts:
    """The confusion counts when every score >= threshold is called positive (class 1).

    y_true: (N,) 0/1 labels; scores: (N,) floats, e.g. the model's probability of class 1.
    """
    y_true = _labels(y_true)
    scores = _scores(scores, y_true)
    return binary_counts(y_true, (scores >= threshold).astype(np.int64))


def average_precision(y_true, scores) -> float:
    """Area under the precision-recall curve as scikit-learn's average_precision_score
    computes it: sum over thresholds of (recall step) x precision. 0 with no positives."""
    sweep = threshold_sweep(y_true, scores)
    recall = np.r_[0.0, sweep.recall]
    return float(np.sum(np.diff(recall) * sweep.precision))
