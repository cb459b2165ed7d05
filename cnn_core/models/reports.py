"""A trained (or uploaded) model's results on the test split, ready to show."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from cnn_core.maths.metrics import confusion_matrix, per_class_precision_recall


@dataclass(frozen=True)
class Mistake:
    index: int       # position in the data set's x_test
    true: int
    predicted: int
    confidence: float  # probability given to the wrong prediction


@dataclass(frozen=True)
class ModelReport:
    """Test-split results of one model. Arrays are (N,) labels and (N, classes) probabilities."""

    title: str
    dataset: str
    class_names: list[str]
    model_path: str
    y_true: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    test_indices: np.ndarray = field(repr=False)
    history: dict[str, list[float]] = field(default_factory=dict, repr=False)
    n_train: int | None = None
    stopped: bool = False
    device: str = ""
    images_per_second: float = 0.0
    train_seconds: float = 0.0

    @cached_property
    def predictions(self) -> np.ndarray:
        return np.argmax(self.probabilities, axis=1)

    @property
    def test_accuracy(self) -> float:
        return float(np.mean(self.predictions == self.y_true)) if len(self.y_true) else 0.0

    @property
    def test_loss(self) -> float:
        """Mean cross-entropy: -log of the probability given to the true class."""
        picked = self.probabilities[np.arange(len(self.y_true)), self.y_true.astype(int)]
        return float(np.mean(-np.log(np.clip(picked, 1e-7, 1.0)))) if len(picked) else 0.0

    @cached_property
    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.y_true, self.predictions, len(self.class_names))

    def per_class(self) -> tuple[np.ndarray, np.ndarray]:
        """(precision, recall) per class."""
        return per_class_precision_recall(self.confusion)

    def mistakes(self, limit: int = 24, true_class: int | None = None) -> list[Mistake]:
        """The most confident wrong answers first (optionally only for one true class)."""
        wrong = np.flatnonzero(self.predictions != self.y_true)
        if true_class is not None:
            wrong = wrong[self.y_true[wrong] == true_class]
        confidence = self.probabilities[wrong, self.predictions[wrong]]
        order = wrong[np.argsort(-confidence, kind="stable")][:limit]
        return [Mistake(int(self.test_indices[i]), int(self.y_true[i]), int(self.predictions[i]),
                        float(self.probabilities[i, self.predictions[i]])) for i in order]

    def history_csv(self) -> str:
        """Per-epoch history as CSV: epoch, then one column per metric."""
        names = sorted(self.history)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["epoch", *names])
        rows = max((len(v) for v in self.history.values()), default=0)
        for epoch in range(rows):
            writer.writerow([epoch + 1, *(f"{self.history[n][epoch]:.6g}"
                                          if epoch < len(self.history[n]) else ""
                                          for n in names)])
        return buffer.getvalue()
