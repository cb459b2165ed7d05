"""Imbalanced "X vs not X" tasks: baselines, metrics with their formulas, thresholds.

Pure numpy, no Streamlit and no Keras. The page builds a task from real data, scores two
baselines and a trained model on the same imbalanced test split, and shows every metric
with its formula filled in with the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnn_core import config
from cnn_core.data.datasets import make_imbalanced, subsample
from cnn_core.maths.metrics import BinaryCounts, counts_at_threshold, threshold_sweep


@dataclass(frozen=True)
class ImbalanceTask:
    """A binary task: one class of a data set (the positives) against all the others."""

    name: str
    dataset: str
    positive_class: int
    positive: str    # what a positive is called: "8", "bird"
    negative: str    # "not 8", "not a bird"
    plural: str      # "8s", "birds"
    title: str
    preset: str      # a cnn_core.models.specs preset, made small with hparams
    hparams: dict[str, Any] = field(default_factory=dict)


TASKS: dict[str, ImbalanceTask] = {
    "mnist_8": ImbalanceTask(
        "mnist_8", "mnist", 8, "8", "not 8", "8s", "8 vs not 8 (MNIST digits)",
        "mnist_cnn", {"filters": 8, "dense_units": 32}),
    "cifar_bird": ImbalanceTask(
        "cifar_bird", "cifar10", config.CIFAR10_CLASSES.index("bird"), "bird", "not a bird",
        "birds", "bird vs not bird (CIFAR-10 photos)", "cifar_dcnn",
        {"filters": 16, "dense_units": 64}),
}

REBALANCE = {"none": "No fix", "class_weight": "Class weights",
             "oversample": "Oversampling the rare class"}
CELLS = ("tp", "fp", "fn", "tn")


def imbalanced_split(y: np.ndarray, positive_class: int, share: float,
                     seed: int = config.PR_SEED) -> tuple[np.ndarray, np.ndarray]:
    """The images of the task "positive_class vs the rest" with `share` positives.

    y: (N,) class labels. Returns (indices (M,) int64 positions into y, y_binary (M,) uint8),
    exactly the split that cnn_core.jobs.worker.prepare_data evaluates on for the same seed.
    """
    return make_imbalanced(np.arange(len(y)), y, positive_class, share, seed=seed)


def training_counts(y_train: np.ndarray, positive_class: int, share: float,
                    n_train: int | None = None, seed: int = config.PR_SEED) -> tuple[int, int]:
    """(positives, negatives) the worker trains on: the imbalanced split, then n_train of it."""
    index, y_binary = imbalanced_split(y_train, positive_class, share, seed)
    if n_train is not None and n_train < len(y_binary):
        index, y_binary = subsample(index, y_binary, n_train, seed=seed)
    positives = int(y_binary.sum())
    return positives, len(y_binary) - positives


@dataclass(frozen=True)
class KeptCounts:
    """How many images of each side a split keeps to reach the share of positives."""

    positives_kept: int
    positives_total: int
    negatives_kept: int
    negatives_total: int

    @property
    def share(self) -> float:
        """The share of positives among the kept images (0 to 1)."""
        return self.positives_kept / (self.positives_kept + self.negatives_kept)


def kept_counts(y: np.ndarray, positive_class: int, share: float,
                seed: int = config.PR_SEED) -> KeptCounts:
    """What `imbalanced_split` keeps of y (N,) class labels: whichever side is too common is
    cut, the other kept whole, so a caption can say which it was instead of guessing."""
    y = np.asarray(y)
    index, y_binary = imbalanced_split(y, positive_class, share, seed)
    positives_total = int(np.sum(y == positive_class))
    positives_kept = int(y_binary.sum())
    return KeptCounts(positives_kept, positives_total, len(index) - positives_kept,
                      len(y) - positives_total)


def always_no(n: int) -> np.ndarray:
    """The lazy baseline: (n,) uint8 zeros, "never a positive"."""
    return np.zeros(int(n), dtype=np.uint8)


def random_at_base_rate(n: int, base_rate: float, seed: int = config.PR_SEED) -> np.ndarray:
    """A coin flip per image that says "positive" with probability base_rate: (n,) uint8."""
    if not 0.0 <= base_rate <= 1.0:
        raise ValueError(f"The base rate is a share between 0 and 1, not {base_rate!r}.")
    return (np.random.default_rng(seed).random(int(n)) < base_rate).astype(np.uint8)


def predict_at(scores: np.ndarray, threshold: float) -> np.ndarray:
    """(N,) scores -> (N,) uint8: 1 where score >= threshold."""
    return (np.asarray(scores) >= threshold).astype(np.uint8)


def threshold_for_recall(y_true: np.ndarray, scores: np.ndarray, target: float,
                         grid: tuple[float, ...] | None = None) -> float | None:
    """The highest threshold whose recall is at least `target` (0 < target <= 1).

    Raising the threshold never raises recall, so the highest such threshold gives the
    fewest false alarms. With `grid`, only its values are candidates (a slider's stops).
    None when no threshold reaches the target (no positives, or none on the grid).
    """
    if not 0.0 < target <= 1.0:
        raise ValueError(f"The recall you ask for must be above 0% and at most 100%, not "
                         f"{target:.0%}.")
    y_true, scores = np.asarray(y_true) == 1, np.asarray(scores, dtype=np.float64)
    if not y_true.any():
        return None
    if grid is None:
        sweep = threshold_sweep(y_true.astype(np.int64), scores)
        reached = np.flatnonzero(sweep.recall >= target - 1e-12)
        return float(sweep.thresholds[reached[0]]) if reached.size else None
    positive_scores = np.sort(scores[y_true])
    candidates = np.asarray(sorted(grid, reverse=True), dtype=np.float64)
    found = len(positive_scores) - np.searchsorted(positive_scores, candidates, side="left")
    reached = np.flatnonzero(found / len(positive_scores) >= target - 1e-12)
    return float(candidates[reached[0]]) if reached.size else None


def cell_examples(y_true: np.ndarray, scores: np.ndarray, threshold: float, cell: str,
                  limit: int = config.PR_EXAMPLES_PER_CELL) -> np.ndarray:
    """Positions (K,) int64, K <= limit, of the images in one cell of the confusion matrix.

    cell: "tp", "fp", "fn" or "tn". The most telling come first: for cells predicted
    positive the highest scores (most confident), for the others the lowest.
    """
    if cell not in CELLS:
        raise ValueError(f"A cell is one of {', '.join(CELLS)}, not {cell!r}.")
    y_true, scores = np.asarray(y_true) == 1, np.asarray(scores, dtype=np.float64)
    predicted = scores >= threshold
    wanted_true, wanted_pred = cell in ("tp", "fn"), cell in ("tp", "fp")
    members = np.flatnonzero((y_true == wanted_true) & (predicted == wanted_pred))
    order = np.argsort(-scores[members] if wanted_pred else scores[members], kind="stable")
    return members[order[:limit]]


def calculator_counts(tp: int, fp: int, fn: int, tn: int) -> BinaryCounts:
    """Counts typed by a learner, checked: whole numbers, none negative, not all zero."""
    values = {"TP": tp, "FP": fp, "FN": fn, "TN": tn}
    for name, value in values.items():
        if isinstance(value, bool) or float(value) != int(value) or value < 0:
            raise ValueError(f"{name} is a count of images: a whole number of 0 or more, "
                             f"not {value!r}.")
    if sum(int(v) for v in values.values()) == 0:
        raise ValueError("All four counts are 0: type how many images fell in each cell.")
    return BinaryCounts(int(tp), int(fp), int(fn), int(tn))


@dataclass(frozen=True)
class MetricFormula:
    """One metric: its value, its formula in symbols and with the counts filled in (LaTeX)."""

    name: str
    value: float          # in [0, 1]; 0 where the ratio is undefined
    symbols: str          # LaTeX, e.g. \frac{TP}{TP + FP}
    filled: str           # LaTeX with the counts, e.g. \frac{412}{412 + 35}
    meaning: str          # one plain sentence
    undefined: str | None = None  # why the ratio is 0/0 ("no positive predictions"), if it is

    @property
    def result(self) -> str:
        """The value as LaTeX: "61.2\\%", or "undefined (why)" for 0/0."""
        return (rf"\text{{undefined ({self.undefined})}}" if self.undefined
                else f"{100 * self.value:.1f}\\%")

    @property
    def latex(self) -> str:
        """name = symbols, then on a second line = filled = value: on one line the widest
        (balanced accuracy with five-digit counts) is cut off on a 1024-pixel projector."""
        return (rf"\begin{{aligned}}\text{{{self.name}}} &= {self.symbols} \\ "
                rf"&= {self.filled} = {self.result}\end{{aligned}}")


def _n(value: int) -> str:
    """A count for LaTeX: 13972 -> 13{,}972 (a thousands comma without extra space)."""
    return f"{value:,}".replace(",", "{,}")


def metric_formulas(counts: BinaryCounts, positive: str = "positive",
                    plural: str = "positives") -> list[MetricFormula]:
    """Accuracy, precision, recall, F1 and balanced accuracy with the counts filled in.

    positive / plural name the positive class in the sentences ("bird", "birds").
    """
    tp, fp, fn, tn = (_n(v) for v in (counts.tp, counts.fp, counts.fn, counts.tn))
    c = counts
    frac = r"\frac"
    return [
        MetricFormula(
            "accuracy", c.accuracy, rf"{frac}{{TP + TN}}{{TP + FP + FN + TN}}",
            rf"{frac}{{{tp} + {tn}}}{{{tp} + {fp} + {fn} + {tn}}}",
            "Of all the images, the share the model got right.", c.undefined_because("accuracy")),
        MetricFormula(
            "precision", c.precision, rf"{frac}{{TP}}{{TP + FP}}",
            rf"{frac}{{{tp}}}{{{tp} + {fp}}}",
            f"Of the images it called '{positive}', the share that really are.",
            c.undefined_because("precision")),
        MetricFormula(
            "recall", c.recall, rf"{frac}{{TP}}{{TP + FN}}", rf"{frac}{{{tp}}}{{{tp} + {fn}}}",
            f"Of the real {plural}, the share the model found.", c.undefined_because("recall")),
        MetricFormula(
            "F1", c.f1, rf"{frac}{{2\,TP}}{{2\,TP + FP + FN}}",
            rf"{frac}{{2 \times {tp}}}{{2 \times {tp} + {fp} + {fn}}}",
            "High only when precision and recall are both high (their harmonic mean).",
            c.undefined_because("f1")),
        MetricFormula(
            "balanced accuracy", c.balanced_accuracy,
            rf"\tfrac{{1}}{{2}}\left({frac}{{TP}}{{TP + FN}} + {frac}{{TN}}{{TN + FP}}\right)",
            rf"\tfrac{{1}}{{2}}\left({frac}{{{tp}}}{{{tp} + {fn}}} + "
            rf"{frac}{{{tn}}}{{{tn} + {fp}}}\right)",
            f"The average of the recall on {plural} and on everything else: "
            "always answering 'no' scores 50%.", c.undefined_because("balanced_accuracy")),
    ]


@dataclass(frozen=True)
class ScoredRun:
    """A trained model's scores on a task's imbalanced test split, kept by the page."""

    task: str
    share: int                    # percent of positives
    rebalance: str                # a key of REBALANCE
    y_true: np.ndarray = field(repr=False)        # (N,) uint8 0/1
    scores: np.ndarray = field(repr=False)        # (N,) float32, probability of positive
    test_indices: np.ndarray = field(repr=False)  # (N,) positions in the data set's x_test
    n_train: int = 0
    epochs: int = 0
    stopped: bool = False
    train_seconds: float = 0.0

    @classmethod
    def from_result(cls, result: Any, task: str, share: int, rebalance: str,
                    epochs: int) -> ScoredRun:
        """From a cnn_core.jobs.worker.TrainResult of a binary task ((N, 2) probabilities)."""
        probabilities = np.asarray(result.probabilities, dtype=np.float32)
        return cls(task, share, rebalance, np.asarray(result.y_test, dtype=np.uint8),
                   probabilities[:, 1].copy(), np.asarray(result.test_indices), result.n_train,
                   epochs, result.stopped, result.train_seconds)

    @property
    def label(self) -> str:
        return REBALANCE[self.rebalance]


def summary_row(name: str, counts: BinaryCounts, auc: float | None = None) -> dict[str, Any]:
    """One row of a comparison table: the metrics in percent (rounded to 0.1), None where
    a metric is undefined (0/0)."""
    metrics = {"accuracy": "accuracy", "precision": "precision", "recall": "recall",
               "F1": "f1", "balanced accuracy": "balanced_accuracy"}
    row: dict[str, Any] = {"model": name}
    for column, metric in metrics.items():
        # A 0/0 ratio is left empty: printed as 0% it would read as "always wrong".
        undefined = counts.undefined_because(metric)
        row[column] = None if undefined else round(100 * getattr(counts, metric), 1)
    row.update({"TP": counts.tp, "FP": counts.fp, "FN": counts.fn, "TN": counts.tn})
    row["ROC AUC"] = None if auc is None else round(auc, 3)
    return row


def run_counts(run: ScoredRun, threshold: float) -> BinaryCounts:
    return counts_at_threshold(run.y_true, run.scores, threshold)
