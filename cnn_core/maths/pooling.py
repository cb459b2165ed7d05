"""Max and average pooling, exactly as `tf.nn.max_pool2d` / `tf.nn.avg_pool2d` compute them.

A pooling window slides over a feature map like a kernel, but instead of multiplying by
learned weights it keeps one summary number: the largest value (max pooling) or the mean
(average pooling). There are no weights, so a pooling layer has nothing to learn.

Padding follows TensorFlow (see `cnn_core.maths.windows`): "same" adds just enough cells
for ceil(n / stride) outputs, the extra one after. Those padded cells never count: max
pooling ignores them and average pooling divides by the number of real cells only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cnn_core.maths.windows import (
    Padding,
    check_stride,
    sliding_windows,
    uncovered,
    window_shape,
)

PoolMode = Literal["max", "avg"]
POOL_MODES = ("max", "avg")
# (down, right) for a shift of one cell; the shift study tries 1, 2, 3 cells each way.
SHIFT_DIRECTIONS = {"right": (0, 1), "down": (1, 0), "left": (0, -1), "up": (-1, 0)}


def pool2d(x: np.ndarray, size: int | tuple[int, int] = 2, stride: int = 2,
           mode: PoolMode = "max", padding: Padding = "valid") -> np.ndarray:
    """Max or average pooling with TensorFlow's padding and stride.

    x: (H, W) or (H, W, C) numbers (channels are pooled separately). size: window side
    (or (h, w)). Returns (out_h, out_w) or (out_h, out_w, C) float64, equal to
    `tf.nn.max_pool2d` / `tf.nn.avg_pool2d` on the same input. Padded cells are ignored:
    they never win a max and are not counted in an average.
    """
    if mode not in POOL_MODES:
        raise ValueError(f'Pooling mode must be "max" or "avg", not {mode!r}.')
    check_stride(stride)
    windows = sliding_windows(x, window_shape(size), padding, stride, what="window")
    real = windows.real if windows.values.ndim == 4 else windows.real[..., None]
    if mode == "max":
        return np.where(real, windows.values, -np.inf).max(axis=(2, 3))
    return np.where(real, windows.values, 0.0).sum(axis=(2, 3)) / real.sum(axis=(2, 3))


def unchanged_fraction(a: np.ndarray, b: np.ndarray) -> float:
    """Share of cells (0..1) that are equal in two grids of the same shape."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"Cannot compare a {a.shape} grid with a {b.shape} grid.")
    return float(np.mean(np.isclose(a, b))) if a.size else 1.0


def _flat(x: np.ndarray) -> np.ndarray:
    """(H, W) -> (H*W, 1); (H, W, N) -> (H*W, N): one column per map."""
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(x.shape[0] * x.shape[1], -1)


def _unchanged(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per map, the share of cells holding something (non-zero in a or b) that are equal.

    Cells that are zero both times are left out: on a sparse map they would make almost
    any shift look harmless. A map that is zero everywhere counts as unchanged (1.0).
    """
    a, b = _flat(a), _flat(b)
    active = (a != 0) | (b != 0)
    same = np.isclose(a, b) & active
    count = active.sum(axis=0)
    return np.where(count > 0, same.sum(axis=0) / np.maximum(count, 1), 1.0)


def _correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per map, the Pearson correlation of a and b; NaN where either is flat."""
    a, b = _flat(a), _flat(b)
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    scale = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 1e-12, (a * b).sum(axis=0) / scale, np.nan)


@dataclass(frozen=True)
class ShiftEffect:
    """How much a shift changed a map and its pooled version.

    *_unchanged: share (0..1) of the cells holding something (non-zero before or after)
    that kept their number at the same position. *_correlation: Pearson r of the maps
    before and after (1: same pattern in the same place; about 0: unrelated; NaN: a flat
    map). The input figures are the baseline: pooling helps where it beats them.
    """

    input_unchanged: float
    pooled_unchanged: float
    input_correlation: float
    pooled_correlation: float


def _effects(before: np.ndarray, after: np.ndarray, size, stride, mode,
             padding) -> tuple[np.ndarray, ...]:
    """The four ShiftEffect figures as arrays, one entry per map (maps on the last axis)."""
    pooled_before = pool2d(before, size, stride, mode, padding)
    pooled_after = pool2d(after, size, stride, mode, padding)
    return (_unchanged(before, after), _unchanged(pooled_before, pooled_after),
            _correlation(before, after), _correlation(pooled_before, pooled_after))


def shift_effect(before: np.ndarray, after: np.ndarray, size: int = 2, stride: int = 2,
                 mode: PoolMode = "max", padding: Padding = "valid") -> ShiftEffect:
    """Pool one map before and after a shift ((H, W) each) and compare them cell by cell."""
    before, after = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    if before.shape != after.shape or before.ndim != 2:
        raise ValueError("Compare two 2-D maps of the same size.")
    return ShiftEffect(*(float(v[0]) for v in _effects(before, after, size, stride, mode,
                                                       padding)))


def shifted_pair(x: np.ndarray, down: int, right: int, margin: int) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """Two views of the same size cut from `x` (H, W[, N]): the middle, and the middle with
    its content moved `down` rows and `right` columns (negative: up/left).

    Both views hold real numbers everywhere (no zeros slide in at the edge), as when a
    camera sees an object move inside a larger scene. margin: cells cut from every side,
    at least the largest shift.
    """
    x = np.asarray(x, dtype=np.float64)
    height, width = x.shape[:2]
    if max(abs(down), abs(right)) > margin or min(height, width) <= 2 * margin:
        raise ValueError(f"A {height}x{width} map cannot show a shift of ({down}, {right}) "
                         f"with a margin of {margin} cells; use a larger map.")
    middle = x[margin : height - margin, margin : width - margin]
    moved = x[margin - down : height - margin - down, margin - right : width - margin - right]
    return middle, moved


Quartiles = tuple[float, float, float]


@dataclass(frozen=True)
class ShiftSummary:
    """The shift study for one distance, over every map and the four directions.

    Each figure is a distribution over those count cases: (lower quartile, median, upper
    quartile), as in `ShiftEffect`.
    """

    distance: int
    count: int
    input_unchanged: Quartiles
    pooled_unchanged: Quartiles
    input_correlation: Quartiles
    pooled_correlation: Quartiles


def _quartiles(values: np.ndarray) -> Quartiles:
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return (float("nan"),) * 3
    low, mid, high = np.percentile(finite, [25, 50, 75])
    return float(low), float(mid), float(high)


def shift_study(maps: Sequence[np.ndarray], distances: Sequence[int] = (1, 2, 3), size: int = 2,
                stride: int = 2, mode: PoolMode = "max",
                padding: Padding = "valid") -> list[ShiftSummary]:
    """Measure how well pooling hides small shifts, over many maps.

    maps: (H, W) grids, all the same size, larger than 2 * max(distances). Every map is
    shifted by each distance in each of the four directions (`shifted_pair`, one margin for
    all distances so they compare the same cells), pooled before and after, and compared
    as in `shift_effect`. Returns one `ShiftSummary` per distance.
    """
    if not len(maps):
        raise ValueError("The shift study needs at least one map.")
    if len({np.shape(m) for m in maps}) != 1 or np.ndim(maps[0]) != 2:
        raise ValueError("The shift study needs 2-D maps that all have the same size.")
    stack = np.stack([np.asarray(m, dtype=np.float64) for m in maps], axis=-1)
    margin = max(distances)
    summaries = []
    for distance in distances:
        parts = [_effects(*shifted_pair(stack, down * distance, right * distance, margin),
                          size, stride, mode, padding)
                 for down, right in SHIFT_DIRECTIONS.values()]
        figures = [np.concatenate(column) for column in zip(*parts, strict=True)]
        summaries.append(ShiftSummary(distance, figures[0].size,
                                      *(_quartiles(f) for f in figures)))
    return summaries


# ---- In words, for the pooling page -------------------------------------------------------

def _listed(words: list[str]) -> str:
    """"1", "1 and 2", "1, 2 and 3"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def dropped_cells_note(shape: tuple[int, int], size: int, padding: Padding,
                       stride: int) -> str | None:
    """A sentence naming the rows and columns of an (H, W) map that no size x size pooling
    window covers, how many numbers that drops, and why; None when every cell is covered."""
    rows = uncovered(shape[0], size, padding, stride)
    cols = uncovered(shape[1], size, padding, stride)
    if not rows and not cols:
        return None
    parts = [f"row{'s' if len(rows) > 1 else ''} {_listed([str(r) for r in rows])}"] if rows \
        else []
    if cols:
        parts.append(f"column{'s' if len(cols) > 1 else ''} {_listed([str(c) for c in cols])}")
    lost = shape[0] * shape[1] - (shape[0] - len(rows)) * (shape[1] - len(cols))
    why = []
    if stride > size:
        why.append(f"the stride of {stride} jumps over cells between {size}x{size} windows")
    last = (rows and rows[-1] == shape[0] - 1) or (cols and cols[-1] == shape[1] - 1)
    if padding == "valid" and last:
        why.append(f"no whole {size}x{size} window fits at the end, and \"valid\" pooling "
                   "adds no padding (\"same\" would keep them)")
    return (f"No window ever covers {' and '.join(parts)}, so {lost} of the {shape[0] * shape[1]}"
            f" numbers are dropped: {'; '.join(why)}.")


def shift_study_markdown(table: dict[str, list[ShiftSummary]]) -> str:
    """The shift study as a Markdown table, one row per kind of input ({label: `shift_study`
    of its maps}, every list for the same distances) and one column per distance: the median
    share of pooled numbers unchanged, and the median correlation of the pooled maps before
    and after ("83% · r 0.91")."""
    if not table:
        raise ValueError("The shift study table needs at least one kind of input.")
    distances = [s.distance for s in next(iter(table.values()))]
    head = "| Input (maps) | " + " | ".join(f"{d} cell{'s' if d > 1 else ''}"
                                          for d in distances) + " |"
    lines = [head, "|---" * (len(distances) + 1) + "|"]
    for label, summaries in table.items():
        cells = [f"{s.pooled_unchanged[1]:.0%} · r {s.pooled_correlation[1]:.2f}"
                 for s in summaries]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
