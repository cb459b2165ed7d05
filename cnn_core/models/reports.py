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
    n_validation: int = 0    # training images held out for the history's val_* metrics
    epochs_run: float = 0.0  # passes over the training images, a stopped one's part included
    epochs: int = 0          # passes asked for
    # The training history as zipped TensorBoard event files (None: an uploaded model, or
    # files that could not be written); see cnn_core.jobs.tensorboard_events.
    tensorboard_zip: bytes | None = field(default=None, repr=False)

    @property
    def validation_accuracy(self) -> float | None:
        """Accuracy on the held-out validation images after the last finished epoch."""
        values = self.history.get("val_accuracy", [])
        return values[-1] if values else None

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

    def history_rows(self) -> list[dict[str, str]]:
        """Accuracies as table rows: training and validation after each epoch, then one row
        for the single test evaluation after training (losses are in history_csv)."""
        columns = {"accuracy": "training accuracy", "val_accuracy": "validation accuracy"}
        rows = []
        for epoch in range(len(self.history.get("accuracy", []))):
            row = {"after": f"epoch {epoch + 1}"}
            for name, title in columns.items():
                values = self.history.get(name, [])
                row[title] = f"{values[epoch]:.2%}" if epoch < len(values) else ""
            rows.append({**row, "test accuracy": ""})
        rows.append({"after": "training (test set, once)",
                     **{title: "" for title in columns.values()},
                     "test accuracy": f"{self.test_accuracy:.2%}"})
        return rows


def epochs_summary(done: float, asked: int, stopped: bool) -> str:
    """How much a run trained, for its title: "2 epochs"; a run stopped part-way through
    "stopped in epoch 2 of 3 (1.4 epochs done)"; one stopped between epochs "stopped after
    epoch 1 of 3". done: passes over the training images, with the part of an unfinished one."""
    if not stopped or done >= asked:
        return f"{asked} epoch" if asked == 1 else f"{asked} epochs"
    finished = int(done + 1e-9)
    if done - finished < 1e-9 and finished > 0:
        return f"stopped after epoch {finished} of {asked}"
    tenths = int(done * 10 + 1e-9) / 10  # rounded down, so 0.96 never reads "1.0 done"
    shown = f"{tenths:.1f}" if tenths >= 0.1 else "under 0.1"
    return f"stopped in epoch {finished + 1} of {asked} ({shown} epochs done)"


def format_eta(seconds: float | None) -> str:
    """A training time or the time left, to the second: "42 s", "3 min 05 s"; None (not
    known yet) reads "estimating..."."""
    if seconds is None:
        return "estimating..."
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


# Grad-CAM's sanity check: a map that an untrained copy of the network draws alike (correlation
# of the two maps at least this) says little about what training taught.
MAPS_ALIKE = 0.8
MAPS_SOMEWHAT_ALIKE = 0.5


def agreement_sentence(agreement: float | None) -> str:
    """What the correlation (-1 to 1) of the trained network's evidence map with its untrained
    copy's says about the trained map, in one sentence; None when either map is empty
    (`cnn_core.jobs.inference.evidence_agreement`)."""
    if agreement is None:
        return "One of the two maps is empty, so there is nothing to compare."
    if agreement >= MAPS_ALIKE:
        return (f"Here the two maps look alike (correlation {agreement:.2f}): this map says "
                "little about what the network learned.")
    if agreement >= MAPS_SOMEWHAT_ALIKE:
        return (f"Here the two maps look somewhat alike (correlation {agreement:.2f}): read "
                "this map with care.")
    return (f"Here they look different (correlation {agreement:.2f}): the trained map shows "
            "something the network learned.")


# Iris: a small dense network tells the species apart on more than 9 test flowers in 10.
IRIS_GOOD_ACCURACY = 0.9


def iris_verdict(y_test: np.ndarray, predicted: np.ndarray, class_names: list[str] | tuple,
                 epochs_run: int, epochs: int, stopped: bool = False) -> str:
    """An honest sentence or two on the iris network's test flowers.

    y_test, predicted: (M,) species indices of the test flowers, true and the network's;
    epochs_run of the epochs asked for. Says how many were right, whether that is good for
    iris, which mistake was most common, and what to try when it is weak.
    """
    y_test, predicted = np.asarray(y_test), np.asarray(predicted)
    if len(y_test) == 0 or y_test.shape != predicted.shape:
        raise ValueError("Each test flower needs exactly one prediction.")
    right, total = int(np.sum(y_test == predicted)), len(y_test)
    accuracy = right / total
    text = f"{right} of {total} test flowers right ({accuracy:.0%}), flowers the network never saw"
    if accuracy >= IRIS_GOOD_ACCURACY:
        text += ": it has learned to tell the three species apart from their measurements."
    elif accuracy > 0.5:
        text += (". That is weak for iris, where a small network usually gets more than 9 in "
                 "10 right: it has not learned the difference between the species well yet.")
    else:
        text += (". That is hardly better than guessing (one species in three would get "
                 "about 33%): the network has not learned yet.")
    wrong = y_test != predicted
    if wrong.any():
        pairs, counts = np.unique(np.stack([y_test[wrong], predicted[wrong]]), axis=1,
                                  return_counts=True)
        true, guess = pairs[:, int(np.argmax(counts))]
        n = int(counts.max())
        text += (f" Most common mistake: {class_names[true]} taken for {class_names[guess]} "
                 f"({n} flower{'s' if n > 1 else ''}).")
    if accuracy < IRIS_GOOD_ACCURACY:
        if stopped:
            text += (f" Training was stopped after {epochs_run} of {epochs} epochs: let it "
                     "finish.")
        else:
            text += " Try more epochs or more hidden units, then train again."
    return text
