"""Two networks trained on the same pictures (from scratch and on a pretrained base),
compared honestly: the sentence a page shows, and the mistakes worth looking at."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Up to this many percentage points, or two validation pictures' worth, a difference is
# called chance: with 40 pictures one picture moves the accuracy by 2.5 points.
MIN_POINTS = 3.0


@dataclass(frozen=True)
class Mistake:
    position: int     # in the pictures the job trained and validated on
    true_class: int
    predicted: int
    confidence: float  # the predicted class's probability, 0..1


def majority_share(y: np.ndarray) -> float:
    """Accuracy of always guessing the most common class of `y`."""
    y = np.asarray(y)
    return float(np.bincount(y).max() / len(y)) if len(y) else float("nan")


def mistakes(y_val: np.ndarray, probabilities: np.ndarray, positions: np.ndarray,
             limit: int = 12) -> list[Mistake]:
    """The wrong answers, most confident first (the most surprising ones to look at)."""
    predicted = np.argmax(probabilities, axis=1)
    wrong = np.flatnonzero(predicted != np.asarray(y_val))
    confidence = probabilities[wrong, predicted[wrong]]
    order = wrong[np.argsort(-confidence, kind="stable")][:limit]
    return [Mistake(int(positions[i]), int(y_val[i]), int(predicted[i]),
                    float(probabilities[i, predicted[i]])) for i in order]


def verdict(scratch_accuracy: float, transfer_accuracy: float, n_validation: int,
            per_class: float, chance: float, base_trained_on: str) -> str:
    """One or two sentences on which way won and why, never claiming more than the
    validation pictures can show. Accuracies and chance in 0..1; per_class: training
    pictures per class (on average)."""
    points = 100 * (transfer_accuracy - scratch_accuracy)
    one_picture = 100 / max(n_validation, 1)
    noise = max(MIN_POINTS, 2 * one_picture)
    best = max(scratch_accuracy, transfer_accuracy)
    lines = []
    if best <= chance + 0.5 * noise / 100:
        lines.append(f"Neither network beats guessing the most common class "
                     f"({100 * chance:.0f}%) by much: with pictures this hard or this few, "
                     "try more pictures per class or more epochs.")
    if abs(points) <= noise + 1e-9:
        lines.append(f"The two are level: {abs(points):.1f} points is "
                     f"{abs(points) / one_picture:.0f} of the {n_validation:,} validation "
                     "pictures, within chance.")
    elif points > 0:
        lines.append(f"The pretrained base wins by {points:.1f} points. Its filters were "
                     f"learnt on {base_trained_on}, so they already find edges, textures and "
                     f"shapes; with about {per_class:.0f} pictures a class, the network from "
                     "scratch must learn all of that too, and cannot.")
    else:
        lines.append(f"The network from scratch wins by {-points:.1f} points: the base's "
                     f"filters, learnt on {base_trained_on}, fit these pictures less well. "
                     "With many pictures a class, a network from scratch can catch up.")
    return " ".join(lines)
