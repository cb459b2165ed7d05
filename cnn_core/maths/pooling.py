"""Max and average pooling, exactly as `tf.nn.max_pool2d` / `tf.nn.avg_pool2d` compute them.

A pooling window slides over a feature map like a kernel, but instead of multiplying by
learned weights it keeps one summary number: the largest value (max pooling) or the mean
(average pooling). There are no weights, so a pooling layer has nothing to learn.

Padding follows TensorFlow (see `cnn_core.maths.convolution`): "same" adds just enough cells
for ceil(n / stride) outputs, the extra one after. Those padded cells never count: max
pooling ignores them and average pooling divides by the number of real cells only.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from cnn_core.maths.convolution import Padding, _check_padding, _check_stride, output_size, pad

PoolMode = Literal["max", "avg"]
POOL_MODES = ("max", "avg")


def _pair(value: int | tuple[int, int], what: str) -> tuple[int, int]:
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
        raise ValueError(f"The {what} must be a whole number of at least 1, not {value!r}.")
    return int(pair[0]), int(pair[1])


def check_pool_args(shape: tuple[int, ...], size: int | tuple[int, int], stride: int,
                    mode: str, padding: str) -> tuple[int, int, int, int]:
    """Validate pooling arguments for an input of `shape` (H, W[, C]).

    Returns (size_h, size_w, out_h, out_w); raises ValueError with a one-sentence reason.
    """
    if mode not in POOL_MODES:
        raise ValueError(f'Pooling mode must be "max" or "avg", not {mode!r}.')
    _check_padding(padding)
    _check_stride(stride)
    sh, sw = _pair(size, "window size")
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ValueError("Pooling needs a non-empty 2-D grid of numbers (or H x W x channels).")
    out_h = output_size(shape[0], sh, padding, stride)
    out_w = output_size(shape[1], sw, padding, stride)
    if out_h == 0 or out_w == 0:
        raise ValueError(
            f"The {sh}x{sw} window is larger than the {shape[0]}x{shape[1]} input, so "
            '"valid" padding leaves no output; use a smaller window or "same" padding.'
        )
    return sh, sw, out_h, out_w


def pool_windows(x: np.ndarray, size: int | tuple[int, int] = 2, stride: int = 2,
                 padding: Padding = "valid") -> tuple[np.ndarray, np.ndarray]:
    """Every pooling window, padding included, and which of its cells are real.

    x: (H, W) or (H, W, C) numbers. Returns (windows, real): windows is
    (out_h, out_w, size_h, size_w) float64 (or (out_h, out_w, C, size_h, size_w) with
    channels) with padded cells set to 0; real is (out_h, out_w, size_h, size_w) bool,
    False where a window cell lies in the padding. Both are read-only views.
    """
    x = np.asarray(x, dtype=np.float64)
    sh, sw, out_h, out_w = check_pool_args(x.shape, size, stride, "max", padding)
    padded = pad(x, (sh, sw), padding, stride)
    mask = pad(np.ones(x.shape[:2], dtype=bool), (sh, sw), padding, stride)
    rows = slice(0, (out_h - 1) * stride + 1, stride)
    cols = slice(0, (out_w - 1) * stride + 1, stride)
    view = np.lib.stride_tricks.sliding_window_view
    windows = view(padded, (sh, sw), axis=(0, 1))[rows, cols]
    real = view(mask, (sh, sw))[rows, cols]
    return windows, real


def pool2d(x: np.ndarray, size: int | tuple[int, int] = 2, stride: int = 2,
           mode: PoolMode = "max", padding: Padding = "valid") -> np.ndarray:
    """Max or average pooling with TensorFlow's padding and stride.

    x: (H, W) or (H, W, C) numbers (channels are pooled separately). size: window side
    (or (h, w)). Returns (out_h, out_w) or (out_h, out_w, C) float64, equal to
    `tf.nn.max_pool2d` / `tf.nn.avg_pool2d` on the same input. Padded cells are ignored:
    they never win a max and are not counted in an average.
    """
    x = np.asarray(x, dtype=np.float64)
    check_pool_args(x.shape, size, stride, mode, padding)
    windows, real = pool_windows(x, size, stride, padding)
    if x.ndim == 3:
        real = real[:, :, None]  # broadcast the mask over the channel axis
    if mode == "max":
        return np.where(real, windows, -np.inf).max(axis=(-2, -1))
    counts = real.sum(axis=(-2, -1))
    return windows.sum(axis=(-2, -1)) / counts


def shift(x: np.ndarray, rows: int = 0, cols: int = 1) -> np.ndarray:
    """Move a grid `rows` down and `cols` right (negative: up/left), filling with zeros.

    x: (H, W) or (H, W, C). Returns an array of the same shape and dtype; what moves past
    the edge is lost, as when an object in a photo moves slightly.
    """
    x = np.asarray(x)
    out = np.zeros_like(x)
    h, w = x.shape[:2]
    if abs(rows) >= h or abs(cols) >= w:
        return out
    src_r = slice(max(-rows, 0), h - max(rows, 0))
    dst_r = slice(max(rows, 0), h - max(-rows, 0))
    src_c = slice(max(-cols, 0), w - max(cols, 0))
    dst_c = slice(max(cols, 0), w - max(-cols, 0))
    out[dst_r, dst_c] = x[src_r, src_c]
    return out


def unchanged_fraction(a: np.ndarray, b: np.ndarray) -> float:
    """Share of cells (0..1) that are equal in two grids of the same shape."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"Cannot compare a {a.shape} grid with a {b.shape} grid.")
    return float(np.mean(np.isclose(a, b))) if a.size else 1.0
