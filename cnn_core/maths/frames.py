"""Animation frames: one small record per output cell of a convolution or a pooling layer.

The sliding-window and pooling pages play these frames one after another. Each frame says
where the window sits, which numbers are under it (padding included), what was computed
and how ("3x1 + 1x1 + ... = -3"). The code here is written out step by step on purpose,
then tested against `tf.nn.conv2d` / `tf.nn.max_pool2d` / `tf.nn.avg_pool2d`: the frames'
values, read in order, rebuild `convolve2d` / `pool2d` exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cnn_core.maths.convolution import Padding, convolve2d, output_size, pad, padding_amounts
from cnn_core.maths.pooling import PoolMode, check_pool_args, pool2d, pool_windows

CHANNEL_NAMES = {3: ("red", "green", "blue")}


# ---- Numbers as a learner reads them ---------------------------------------------------

def format_number(value: float) -> str:
    """Short text for a number: 3 (not 3.0), -0.25, 3.67, 0.111; no '-0'."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    rounded = round(value, 2) if abs(value) >= 1 else float(f"{value:.3g}")
    if rounded == 0:
        return "0"
    if float(rounded).is_integer():
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0") if abs(rounded) >= 1 else f"{rounded:.3g}"


def format_term(value: float) -> str:
    """A number inside a sum: negative numbers go in parentheses, e.g. (-1)."""
    text = format_number(value)
    return f"({text})" if text.startswith("-") else text


def format_arithmetic(window: np.ndarray, kernel: np.ndarray, value: float | None = None,
                      order: str = "column") -> str:
    """Write out window * kernel as a sum, e.g. "3x1 + 1x1 + ... + 5x(-1) = -3".

    window, kernel: (kh, kw) numbers. order "column" reads down each column (as in the
    classic 5x5 example, where a vertical-edge kernel's columns are 1, 0, -1); "row" reads
    along each row. value: the total to print; by default the sum of the products.
    """
    window, kernel = np.asarray(window, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    if window.shape != kernel.shape or window.ndim != 2:
        raise ValueError("The window and the kernel must be 2-D grids of the same shape.")
    flat = "F" if order == "column" else "C"
    pairs = zip(window.ravel(order=flat), kernel.ravel(order=flat), strict=True)
    terms = " + ".join(f"{format_term(a)}x{format_term(b)}" for a, b in pairs)
    total = float((window * kernel).sum()) if value is None else value
    return f"{terms} = {format_number(total)}"


# ---- Convolution frames ----------------------------------------------------------------

class _WindowPlacement:
    """What conv and pool frames share: where their window sits (needs top, left, pad_*)."""

    @property
    def input_position(self) -> tuple[int, int]:
        """Top-left of the window in the original (unpadded) input; negative = padding."""
        return self.top - self.pad_top, self.left - self.pad_left


@dataclass(frozen=True, eq=False)
class ConvFrame(_WindowPlacement):
    """One output cell of a convolution.

    row, col: output position. top, left: the window's top-left cell in the *padded*
    input (subtract pad_top / pad_left for input coordinates; negative means padding).
    window: (kh, kw) or (kh, kw, C) float64, the numbers under the kernel, padded zeros
    included. kernel, products: same shape as window. value: the output number, equal to
    `convolve2d(...)[row, col]` and to `(window * kernel).sum()`.
    """

    index: int
    row: int
    col: int
    top: int
    left: int
    window: np.ndarray = field(repr=False)
    kernel: np.ndarray = field(repr=False)
    products: np.ndarray = field(repr=False)
    value: float
    pad_top: int = 0
    pad_left: int = 0

    @property
    def channel_sums(self) -> tuple[float, ...]:
        """Sum of the products in each channel (one entry for a 2-D input)."""
        if self.products.ndim == 2:
            return (float(self.products.sum()),)
        return tuple(float(s) for s in self.products.sum(axis=(0, 1)))

    @property
    def arithmetic(self) -> str:
        """The sum written out; with channels one line per channel, then their total."""
        if self.window.ndim == 2:
            return format_arithmetic(self.window, self.kernel, self.value)
        channels = self.window.shape[2]
        names = CHANNEL_NAMES.get(channels, [f"channel {c + 1}" for c in range(channels)])
        lines = [f"{name}: " + format_arithmetic(self.window[:, :, c], self.kernel[:, :, c])
                 for c, name in enumerate(names)]
        sums = " + ".join(format_term(s) for s in self.channel_sums)
        return "\n".join(lines + [f"total: {sums} = {format_number(self.value)}"])

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self.window.shape)
        return (f"ConvFrame(#{self.index}: output ({self.row}, {self.col}), {shape} window at "
                f"({self.top}, {self.left}) of the padded input, "
                f"value={format_number(self.value)})")


def conv_frames(x: np.ndarray, kernel: np.ndarray, padding: Padding = "valid",
                stride: int = 1) -> list[ConvFrame]:
    """One `ConvFrame` per output cell of `convolve2d(x, kernel, padding, stride)`, row-major.

    x: (H, W) or (H, W, C) numbers; kernel: (kh, kw) or (kh, kw, C). Raises ValueError like
    `convolve2d` (e.g. a "valid" kernel larger than the input).
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.array(kernel, dtype=np.float64)
    values = convolve2d(x, kernel, padding, stride)  # validates every argument
    if x.ndim == 3 and kernel.ndim == 2:
        kernel = np.repeat(kernel[:, :, None], x.shape[2], axis=2)
    kernel.setflags(write=False)
    kh, kw = kernel.shape[:2]
    padded = pad(x, (kh, kw), padding, stride)
    pad_top = padding_amounts(x.shape[0], kh, padding, stride)[0]
    pad_left = padding_amounts(x.shape[1], kw, padding, stride)[0]
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(0, 1))
    windows = windows[:: stride, :: stride][: values.shape[0], : values.shape[1]]
    if x.ndim == 3:
        windows = np.moveaxis(windows, 2, 4)  # (i, j, C, kh, kw) -> (i, j, kh, kw, C)
    products = windows * kernel
    products.setflags(write=False)
    out_w = values.shape[1]
    return [
        ConvFrame(index, index // out_w, index % out_w, (index // out_w) * stride,
                  (index % out_w) * stride, windows[index // out_w, index % out_w], kernel,
                  products[index // out_w, index % out_w], float(value), pad_top, pad_left)
        for index, value in enumerate(values.ravel().tolist())
    ]


# ---- Pooling frames --------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PoolFrame(_WindowPlacement):
    """One output cell of a pooling layer.

    row, col, top, left, pad_top, pad_left: as in `ConvFrame`. window: (size, size)
    float64 with padded cells shown as 0; real: (size, size) bool, False on padding (which
    pooling ignores). kept: for max pooling, (r, c) inside the window of the number that
    was kept (the first one on a tie, as TensorFlow); None for average pooling.
    """

    index: int
    row: int
    col: int
    top: int
    left: int
    window: np.ndarray = field(repr=False)
    real: np.ndarray = field(repr=False)
    mode: str
    value: float
    kept: tuple[int, int] | None = None
    pad_top: int = 0
    pad_left: int = 0

    @property
    def arithmetic(self) -> str:
        """E.g. "max(3, 2, 1, 9) = 9" or "(3 + 2 + 1 + 9) / 4 = 3.75" (padding left out)."""
        cells = self.window[self.real]
        if self.mode == "max":
            listed = ", ".join(format_number(v) for v in cells)
            return f"max({listed}) = {format_number(self.value)}"
        listed = " + ".join(format_term(v) for v in cells)
        return f"({listed}) / {cells.size} = {format_number(self.value)}"

    def __repr__(self) -> str:
        size = "x".join(str(s) for s in self.window.shape)
        return (f"PoolFrame(#{self.index}: {self.mode} of the {size} window at ({self.top}, "
                f"{self.left}) -> output ({self.row}, {self.col}) = {format_number(self.value)})")


def pool_frames(x: np.ndarray, size: int = 2, stride: int = 2, mode: PoolMode = "max",
                padding: Padding = "valid") -> list[PoolFrame]:
    """One `PoolFrame` per output cell of `pool2d(x, size, stride, mode, padding)`, row-major.

    x: (H, W) numbers. Raises ValueError like `pool2d`.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("Pooling frames are drawn for a single 2-D grid of numbers.")
    sh, sw, _, out_w = check_pool_args(x.shape, size, stride, mode, padding)
    values = pool2d(x, (sh, sw), stride, mode, padding)
    windows, real = pool_windows(x, (sh, sw), stride, padding)
    pad_top = padding_amounts(x.shape[0], sh, padding, stride)[0]
    pad_left = padding_amounts(x.shape[1], sw, padding, stride)[0]
    kept = [None] * values.size
    if mode == "max":
        flat = np.where(real, windows, -np.inf).reshape(*values.shape, -1).argmax(axis=-1)
        kept = [divmod(int(i), sw) for i in flat.ravel()]
    return [
        PoolFrame(index, index // out_w, index % out_w, (index // out_w) * stride,
                  (index % out_w) * stride, windows[index // out_w, index % out_w],
                  real[index // out_w, index % out_w], mode, float(value), kept[index],
                  pad_top, pad_left)
        for index, value in enumerate(values.ravel().tolist())
    ]


# ---- Sizes, formulas and layers of several filters -------------------------------------

def size_formula_latex(n: int, k: int, padding: Padding = "valid", stride: int = 1) -> str:
    """The output-size formula with the numbers substituted, as LaTeX.

    2p is the total padding along the axis (TensorFlow may put one more zero after than
    before, so p itself can be a half).
    """
    before, after = padding_amounts(n, k, padding, stride)
    out = output_size(n, k, padding, stride)
    return (r"\left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1 = "
            rf"\left\lfloor \frac{{{n} + {before + after} - {k}}}{{{stride}}} \right\rfloor + 1"
            rf" = {out}")


def feature_map_stack(x: np.ndarray, kernels: list[np.ndarray], padding: Padding = "valid",
                      stride: int = 1) -> np.ndarray:
    """Several filters on the same input, as one conv layer: (out_h, out_w, n_filters) float64.

    x: (H, W) or (H, W, C); kernels: same-shaped (k, k) or (k, k, C) grids.
    """
    if not kernels:
        raise ValueError("Choose at least one filter.")
    shapes = {np.shape(k) for k in kernels}
    if len(shapes) > 1:
        raise ValueError("All filters of one layer must have the same size.")
    return np.stack([convolve2d(x, k, padding, stride) for k in kernels], axis=-1)


def conv_parameter_count(k: int, c_in: int, c_out: int, bias: bool = True) -> int:
    """Learned numbers in a Conv2D layer of c_out k x k filters on c_in channels.

    k*k*c_in*c_out weights plus one bias per filter (c_out).
    """
    return k * k * c_in * c_out + (c_out if bias else 0)
