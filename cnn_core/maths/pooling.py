"""Max and average pooling, exactly as `tf.nn.max_pool2d` / `tf.nn.avg_pool2d` compute them.

A pooling window slides over a feature map like a kernel, but instead of multiplying by
learned weights it keeps one summary number: the largest value (max pooling) or the mean
(average pooling). There are no weights, so a pooling layer has nothing to learn.

Padding follows TensorFlow (see `cnn_core.maths.windows`): "same" adds just enough cells
for ceil(n / stride) outputs, the extra one after. Those padded cells never count: max
pooling ignores them and average pooling divides by the number of real cells only.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from cnn_core.maths.windows import Padding, check_stride, sliding_windows, window_shape

PoolMode = Literal["max", "avg"]
POOL_MODES = ("max", "avg")


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
