"""Where a sliding window sits: output sizes, padding, the kernel's anchor and the windows.

Convolution, pooling, the animation frames and the pixel inspector all slide a window over
a grid; they all take their windows from `sliding_windows`, so they cannot disagree about
which numbers a window covers.

Padding follows TensorFlow exactly:
- "valid": no padding, output size floor((n - k) / s) + 1.
- "same": output size ceil(n / s); the zeros needed are split with the extra row/column
  at the bottom/right (this only matters for even kernels or strides above 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Padding = Literal["valid", "same"]
Fill = Literal["zeros", "reflect"]

PADDINGS = ("valid", "same")
FILLS = ("zeros", "reflect")


def check_padding(padding: str) -> None:
    if padding not in PADDINGS:
        raise ValueError(f'Padding must be "valid" or "same", not {padding!r}.')


def check_stride(stride: int) -> None:
    if int(stride) != stride or stride < 1:
        raise ValueError(f"The stride must be a whole number of at least 1, not {stride!r}.")


def window_shape(size: int | tuple[int, int], what: str = "window") -> tuple[int, int]:
    """(rows, cols) of a window given as one side or a pair; ValueError unless whole and >= 1."""
    pair = (size, size) if np.isscalar(size) else tuple(size)
    if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
        raise ValueError(f"The {what} size must be a whole number of at least 1, not {size!r}.")
    return int(pair[0]), int(pair[1])


def output_size(n: int, k: int, padding: Padding = "valid", stride: int = 1) -> int:
    """Length of the output along one axis for input length `n` and kernel length `k`.

    Returns 0 when a "valid" kernel does not fit inside the input.
    """
    check_padding(padding)
    check_stride(stride)
    if n < 1 or k < 1:
        raise ValueError("Input and kernel sizes must be at least 1.")
    if padding == "same":
        return math.ceil(n / stride)
    return max((n - k) // stride + 1, 0)


def padding_amounts(n: int, k: int, padding: Padding = "valid", stride: int = 1) -> tuple[int, int]:
    """Zeros added (before, after) along one axis, as TensorFlow adds them.

    "same" pads just enough for ceil(n / s) outputs; an odd total puts the extra zero
    after (bottom/right). With stride 1 the zeros before are `kernel_anchor`'s offset.
    """
    out = output_size(n, k, padding, stride)
    if padding == "valid":
        return 0, 0
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def uncovered(n: int, k: int, padding: Padding = "valid", stride: int = 1) -> list[int]:
    """Input positions (0..n-1) along one axis that no window ever covers.

    "valid" drops the last cells when the windows do not fit exactly (a 2-wide window with
    stride 2 on 5 cells never sees cell 4), and a stride larger than the window skips cells
    in between, with either padding. Returns [] when every cell is seen at least once.
    """
    out = output_size(n, k, padding, stride)
    before, _ = padding_amounts(n, k, padding, stride)
    seen = np.zeros(n, dtype=bool)
    for i in range(out):
        start = i * stride - before
        seen[max(start, 0) : max(start + k, 0)] = True
    return [int(i) for i in np.flatnonzero(~seen)]


def kernel_anchor(kernel_shape: tuple[int, int]) -> tuple[int, int]:
    """(row, col) of the kernel cell that lies over the output pixel when the size is kept.

    That is (k - 1) // 2 on each axis: the middle of an odd kernel and, because TensorFlow's
    "same" padding puts the extra zero after, just above/left of the middle of an even one
    (OpenCV's default would be k // 2).
    """
    kh, kw = kernel_shape[:2]
    return (kh - 1) // 2, (kw - 1) // 2


def _pad_widths(height: int, width: int, shape: tuple[int, int], padding: Padding,
                stride: int) -> tuple[tuple[int, int], tuple[int, int]]:
    return (padding_amounts(height, shape[0], padding, stride),
            padding_amounts(width, shape[1], padding, stride))


def pad(x: np.ndarray, k: int | tuple[int, int], padding: Padding = "valid",
        stride: int = 1) -> np.ndarray:
    """Zero-pad the first two axes of `x` (H, W[, C]) as a k x k layer with `padding` would."""
    x = np.asarray(x)
    rows, cols = _pad_widths(x.shape[0], x.shape[1], window_shape(k, "kernel"), padding, stride)
    return np.pad(x, [rows, cols] + [(0, 0)] * (x.ndim - 2), mode="constant")


@dataclass(frozen=True, eq=False)
class Windows:
    """Every window position of a sliding window over an input.

    values: (out_h, out_w, kh, kw) float64, or (out_h, out_w, kh, kw, C) with channels,
    padding included. real: (out_h, out_w, kh, kw) bool, False where a window cell lies in
    the padding. Both are read-only views. padded: the padded input (H', W'[, C]) they are
    views of; padded_real: (H', W') bool, False on the padding. Window (row, col) starts at
    padded cell (row * stride, col * stride), i.e. at input cell `origin(row, col)`.
    """

    values: np.ndarray = field(repr=False)
    real: np.ndarray = field(repr=False)
    stride: int
    pad_top: int
    pad_left: int
    padded: np.ndarray = field(repr=False)
    padded_real: np.ndarray = field(repr=False)

    @property
    def out_shape(self) -> tuple[int, int]:
        return self.values.shape[0], self.values.shape[1]

    @property
    def window_shape(self) -> tuple[int, int]:
        return self.values.shape[2], self.values.shape[3]

    def top_left(self, row: int, col: int) -> tuple[int, int]:
        """Where window (row, col) starts in the *padded* input."""
        return row * self.stride, col * self.stride

    def origin(self, row: int, col: int) -> tuple[int, int]:
        """Where window (row, col) starts in the input itself; negative means padding."""
        top, left = self.top_left(row, col)
        return top - self.pad_top, left - self.pad_left

    def __repr__(self) -> str:
        (out_h, out_w), (kh, kw) = self.out_shape, self.window_shape
        return f"Windows({out_h}x{out_w} positions of a {kh}x{kw} window, stride {self.stride})"


def sliding_windows(x: np.ndarray, shape: int | tuple[int, int], padding: Padding = "valid",
                    stride: int = 1, fill: Fill = "zeros", what: str = "kernel") -> Windows:
    """The windows a `shape` kernel (or pooling window) visits on `x`, in output order.

    x: (H, W) or (H, W, C) numbers. padding/stride as in TensorFlow. fill: what the padded
    cells hold, "zeros" as in a CNN layer or "reflect" (mirrored pixels, edge not repeated,
    like OpenCV's BORDER_REFLECT_101) for photo filters. what: the word used in errors
    ("kernel", "window"). Raises ValueError when "valid" padding leaves no window.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 3) or min(x.shape) < 1:
        raise ValueError("The input must be a non-empty 2-D grid of numbers (or H x W x "
                         "channels).")
    kh, kw = window_shape(shape, what)
    if fill not in FILLS:
        raise ValueError(f'The padding fill must be "zeros" or "reflect", not {fill!r}.')
    height, width = x.shape[:2]
    out_h = output_size(height, kh, padding, stride)
    out_w = output_size(width, kw, padding, stride)
    if out_h == 0 or out_w == 0:
        raise ValueError(
            f"The {kh}x{kw} {what} is larger than the {height}x{width} input, so "
            f'"valid" padding leaves no output; use a smaller {what} or "same" padding.'
        )
    rows, cols = _pad_widths(height, width, (kh, kw), padding, stride)
    widths = [rows, cols] + [(0, 0)] * (x.ndim - 2)
    padded = np.pad(x, widths, mode="constant" if fill == "zeros" else "reflect")
    mask = np.pad(np.ones((height, width), dtype=bool), [rows, cols], mode="constant")
    keep = (slice(0, (out_h - 1) * stride + 1, stride), slice(0, (out_w - 1) * stride + 1, stride))
    view = np.lib.stride_tricks.sliding_window_view
    values = view(padded, (kh, kw), axis=(0, 1))[keep]
    if x.ndim == 3:
        # The view puts the window axes last, (i, j, C, kh, kw); kernels are (kh, kw, C).
        values = np.moveaxis(values, 2, 4)
    real = view(mask, (kh, kw))[keep]
    for array in (padded, mask):
        array.setflags(write=False)
    return Windows(values, real, int(stride), rows[0], cols[0], padded, mask)
