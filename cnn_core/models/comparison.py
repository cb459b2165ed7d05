"""Two networks trained on the same pictures (from scratch and on a pretrained base),
compared honestly: the sentence a page shows, and the mistakes worth looking at."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# A win is claimed when a tie would split the pictures only one network got right this
# unevenly less often than this (the usual 5%).
SIGNIFICANCE = 0.05


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


def paired_p_value(first_only: int, second_only: int) -> float:
    """McNemar's exact test: how likely a split at least this lopsided of the pictures only
    one network got right would be if both were equally good (a fair coin for each such
    picture). Two-sided, 1.0 when there is nothing to split."""
    n = first_only + second_only
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(first_only, second_only) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def guessing_p_value(right: int, n: int, chance: float) -> float:
    """How likely guessing with accuracy `chance` would get `right` or more of `n` pictures
    right (one-sided binomial test)."""
    if n <= 0:
        return 1.0
    chance = min(max(chance, 0.0), 1.0)
    return float(min(1.0, sum(math.comb(n, k) * chance ** k * (1 - chance) ** (n - k)
                              for k in range(right, n + 1))))


def verdict(scratch_correct: np.ndarray, transfer_correct: np.ndarray, per_class: float,
            chance: float, base_trained_on: str, stopped: bool = False) -> str:
    """One to three sentences on which way won and why, never claiming more than the
    validation pictures can show. scratch_correct, transfer_correct: (N,) bool, whether each
    network got each validation picture right (the same pictures, in the same order);
    chance: accuracy of guessing the most common class, 0..1; per_class: training pictures
    per class (on average); stopped: a network was stopped before its last epoch.

    A win is claimed only when the pictures one network alone got right split so unevenly
    that a tie would give such a split less than 5% of the time (`paired_p_value`); neither
    beats guessing when guessing would do as well as the better one 5% of the time or more
    (`guessing_p_value`)."""
    scratch_correct = np.asarray(scratch_correct, dtype=bool)
    transfer_correct = np.asarray(transfer_correct, dtype=bool)
    if scratch_correct.shape != transfer_correct.shape or scratch_correct.ndim != 1 \
            or not len(scratch_correct):
        raise ValueError("Both networks must be judged on the same validation pictures.")
    n = len(scratch_correct)
    # From whole counts, so 3 pictures of 80 read 3.8 points, not 3.7 from rounded floats.
    points = 100 * (int(transfer_correct.sum()) - int(scratch_correct.sum())) / n
    scratch_only = int(np.sum(scratch_correct & ~transfer_correct))
    transfer_only = int(np.sum(transfer_correct & ~scratch_correct))
    lines = []
    if stopped:
        lines.append("Training was stopped early, so this compares networks that had not "
                     "finished.")
    best_right = int(max(scratch_correct.sum(), transfer_correct.sum()))
    if guessing_p_value(best_right, n, chance) >= SIGNIFICANCE:
        lines.append(f"Neither network beats guessing the most common class "
                     f"({100 * chance:.0f}%): with pictures this hard or this few, try more "
                     "pictures per class or more epochs before comparing them.")
        return " ".join(lines)
    split = (f"of the {n:,} validation pictures, {transfer_only} were right only on the "
             f"pretrained base and {scratch_only} only from scratch")
    if paired_p_value(scratch_only, transfer_only) >= SIGNIFICANCE:
        lines.append(f"The two are level: {split}, a split that chance alone could give "
                     f"({abs(points):.1f} points apart).")
    elif points > 0:
        lines.append(f"The pretrained base wins by {points:.1f} points. Its filters were "
                     f"learnt on {base_trained_on}, so they already find edges, textures and "
                     f"shapes; with about {per_class:.0f} pictures a class, the network from "
                     f"scratch must learn all of that too, and cannot. And {split}: too "
                     "uneven to be luck.")
    else:
        lines.append(f"The network from scratch wins by {-points:.1f} points: the base's "
                     f"filters, learnt on {base_trained_on}, fit these pictures less well. "
                     f"With many pictures a class, a network from scratch can catch up. "
                     f"And {split}: too uneven to be luck.")
    return " ".join(lines)
