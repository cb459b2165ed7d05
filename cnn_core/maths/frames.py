"""Frames: one small record per output cell of a convolution or a pooling layer.

The sliding-window and pooling pages play these frames one after another, and the pixel
inspector of the image-kernels page shows one. Each frame says where the window sits,
which numbers are under it (padding included), what was computed and how
("3x1 + 1x1 + ... = -3"). A frame computes its value from its own window, step by step,
and never copies it from `convolve2d` / `pool2d`; the tests compare both with
`tf.nn.conv2d` / `tf.nn.max_pool2d` / `tf.nn.avg_pool2d` independently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cnn_core.maths.convolution import Border, border_padding, check_conv_inputs
from cnn_core.maths.pooling import POOL_MODES, PoolMode
from cnn_core.maths.windows import (
    Padding,
    Windows,
    check_stride,
    kernel_anchor,
    output_size,
    padding_amounts,
    sliding_windows,
    window_shape,
)

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
    window: (kh, kw) or (kh, kw, C) float64, the numbers under the kernel, padded cells
    included (zeros, or mirrored pixels for a reflecting photo filter). kernel: same shape.
    products and value are worked out from these two: value = sum of window * kernel.
    """

    index: int
    row: int
    col: int
    top: int
    left: int
    window: np.ndarray = field(repr=False)
    kernel: np.ndarray = field(repr=False)
    pad_top: int = 0
    pad_left: int = 0

    @property
    def products(self) -> np.ndarray:
        """window x kernel, cell by cell."""
        return self.window * self.kernel

    @property
    def value(self) -> float:
        """The output number: the sum of the products."""
        return float(self.products.sum())

    @property
    def channel_sums(self) -> tuple[float, ...]:
        """Sum of the products in each channel (one entry for a 2-D input)."""
        products = self.products
        if products.ndim == 2:
            return (float(products.sum()),)
        return tuple(float(s) for s in products.sum(axis=(0, 1)))

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


def _read_only(array: np.ndarray) -> np.ndarray:
    """A view the frames can share without letting anyone (or the caller's array) change."""
    view = array.view()
    view.setflags(write=False)
    return view


def _conv_frame(windows: Windows, kernel: np.ndarray, row: int, col: int) -> ConvFrame:
    out_w = windows.out_shape[1]
    return ConvFrame(row * out_w + col, row, col, *windows.top_left(row, col),
                     windows.values[row, col], kernel, windows.pad_top, windows.pad_left)


def conv_frames(x: np.ndarray, kernel: np.ndarray, padding: Padding = "valid",
                stride: int = 1) -> list[ConvFrame]:
    """One `ConvFrame` per output cell of a convolution, row-major (as `convolve2d` lays
    them out).

    x: (H, W) or (H, W, C) numbers; kernel: (kh, kw) or (kh, kw, C). Raises ValueError like
    `convolve2d` (e.g. a "valid" kernel larger than the input).
    """
    x, kernel = check_conv_inputs(x, kernel)
    check_stride(stride)
    kernel = _read_only(kernel)
    windows = sliding_windows(x, kernel.shape[:2], padding, stride)
    out_h, out_w = windows.out_shape
    return [_conv_frame(windows, kernel, row, col) for row in range(out_h) for col in range(out_w)]


# ---- The pixel inspector: one output pixel of a filtered photo ---------------------------

def inspect_pixel(channel: np.ndarray, kernel: np.ndarray, row: int, col: int,
                  border: Border = "same") -> ConvFrame:
    """Output pixel (row, col) of `apply_kernel(channel, kernel, border)`, worked out by hand.

    channel: (H, W) one colour channel or greyscale image, uint8 or float. kernel:
    (kh, kw). Output coordinates follow `apply_kernel`, so for "valid" borders the output
    is smaller and (0, 0) is the first position where the kernel fits. The frame's value
    is the raw sum, before it is mapped to a 0-255 pixel.
    """
    channel, kernel = check_conv_inputs(channel, kernel)
    if channel.ndim != 2 or kernel.ndim != 2:
        raise ValueError("The inspector works on one channel with a 2-D kernel.")
    padding, fill = border_padding(border)
    kernel = _read_only(kernel)
    windows = sliding_windows(channel, kernel.shape, padding, 1, fill)
    out_h, out_w = windows.out_shape
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(f"Pixel ({row}, {col}) is outside the {out_h}x{out_w} result.")
    return _conv_frame(windows, kernel, row, col)


def filtered_shape(image_shape: tuple[int, ...], kernel_shape: tuple[int, int],
                   border: Border = "same") -> tuple[int, int]:
    """(rows, cols) of `apply_kernel`'s result; (0, 0) when a "valid" kernel does not fit."""
    padding, _ = border_padding(border)
    return (output_size(image_shape[0], kernel_shape[0], padding),
            output_size(image_shape[1], kernel_shape[1], padding))


def window_origin(row: int, col: int, image_shape: tuple[int, ...],
                  kernel_shape: tuple[int, int], border: Border = "same") -> tuple[int, int]:
    """Top-left image pixel under the kernel for output (row, col); negative: the border."""
    padding, _ = border_padding(border)
    return (row - padding_amounts(image_shape[0], kernel_shape[0], padding)[0],
            col - padding_amounts(image_shape[1], kernel_shape[1], padding)[0])


def pixel_under_click(x: float, y: float, shown_width: float | None,
                      image_shape: tuple[int, ...], kernel_shape: tuple[int, int],
                      border: Border = "same") -> tuple[int, int]:
    """The output pixel to inspect when a learner clicks (x, y) on the image shown
    `shown_width` pixels wide (None or 0: at its own size): the one whose kernel anchor
    lies on the clicked pixel, kept inside the result (a click near a "valid" edge picks
    the nearest output).
    """
    height, width = image_shape[:2]
    out_h, out_w = filtered_shape(image_shape, kernel_shape, border)
    if out_h == 0 or out_w == 0:
        raise ValueError("The kernel is larger than the image, so there is no output pixel.")
    scale = width / (shown_width if shown_width and shown_width > 0 else width)
    pixel_row = min(int(y * scale), height - 1)
    pixel_col = min(int(x * scale), width - 1)
    top, left = window_origin(0, 0, image_shape, kernel_shape, border)
    anchor_row, anchor_col = kernel_anchor(kernel_shape)
    row = pixel_row - top - anchor_row
    col = pixel_col - left - anchor_col
    return min(max(row, 0), out_h - 1), min(max(col, 0), out_w - 1)


# ---- Pooling frames --------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PoolFrame(_WindowPlacement):
    """One output cell of a pooling layer.

    row, col, top, left, pad_top, pad_left: as in `ConvFrame`. window: (size_h, size_w)
    float64 with padded cells shown as 0; real: same shape, bool, False on padding (which
    pooling ignores). mode: "max" or "avg". value and kept are worked out from these.
    """

    index: int
    row: int
    col: int
    top: int
    left: int
    window: np.ndarray = field(repr=False)
    real: np.ndarray = field(repr=False)
    mode: str
    pad_top: int = 0
    pad_left: int = 0

    @property
    def cells(self) -> np.ndarray:
        """The real numbers under the window, row by row (padding left out)."""
        return self.window[self.real]

    @property
    def value(self) -> float:
        """The largest real cell (max pooling) or their mean (average pooling)."""
        cells = self.cells
        return float(cells.max() if self.mode == "max" else cells.sum() / cells.size)

    @property
    def kept(self) -> tuple[int, int] | None:
        """For max pooling, (r, c) inside the window of the number kept (the first one on a
        tie, as TensorFlow); None for average pooling."""
        if self.mode != "max":
            return None
        index = int(np.argmax(np.where(self.real, self.window, -np.inf)))
        return divmod(index, self.window.shape[1])

    @property
    def arithmetic(self) -> str:
        """E.g. "max(3, 2, 1, 9) = 9" or "(3 + 2 + 1 + 9) / 4 = 3.75" (padding left out)."""
        cells = self.cells
        if self.mode == "max":
            listed = ", ".join(format_number(v) for v in cells)
            return f"max({listed}) = {format_number(self.value)}"
        listed = " + ".join(format_term(v) for v in cells)
        return f"({listed}) / {cells.size} = {format_number(self.value)}"

    def __repr__(self) -> str:
        size = "x".join(str(s) for s in self.window.shape)
        return (f"PoolFrame(#{self.index}: {self.mode} of the {size} window at ({self.top}, "
                f"{self.left}) -> output ({self.row}, {self.col}) = {format_number(self.value)})")


def pool_frames(x: np.ndarray, size: int | tuple[int, int] = 2, stride: int = 2,
                mode: PoolMode = "max", padding: Padding = "valid") -> list[PoolFrame]:
    """One `PoolFrame` per output cell of a pooling layer, row-major (as `pool2d` lays them
    out).

    x: (H, W) numbers. Raises ValueError like `pool2d`.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("Pooling frames are drawn for a single 2-D grid of numbers.")
    if mode not in POOL_MODES:
        raise ValueError(f'Pooling mode must be "max" or "avg", not {mode!r}.')
    check_stride(stride)
    windows = sliding_windows(x, window_shape(size), padding, stride, what="window")
    out_h, out_w = windows.out_shape
    return [
        PoolFrame(row * out_w + col, row, col, *windows.top_left(row, col),
                  windows.values[row, col], windows.real[row, col], mode, windows.pad_top,
                  windows.pad_left)
        for row in range(out_h) for col in range(out_w)
    ]


# ---- Sizes ----------------------------------------------------------------------------

PAD_SIDES = {"rows": ("top", "bottom"), "columns": ("left", "right")}


def size_formula_latex(n: int, k: int, padding: Padding = "valid", stride: int = 1,
                       axis: str = "rows") -> str:
    """The output-size formula with the numbers substituted, as two lines of LaTeX.

    The padding before and after are written separately, as TensorFlow adds them: "same"
    can put one more zero after (bottom/right) than before, e.g. 5 + 0 + 1 - 3 for a 3x3
    kernel with stride 3. axis: "rows" (top/bottom padding) or "columns" (left/right).
    """
    if axis not in PAD_SIDES:
        raise ValueError(f'The axis must be "rows" or "columns", not {axis!r}.')
    before, after = padding_amounts(n, k, padding, stride)
    out = output_size(n, k, padding, stride)
    first, second = (rf"p_{{\text{{{side}}}}}" for side in PAD_SIDES[axis])
    return (rf"\begin{{aligned}}\text{{output {axis}}} &= \left\lfloor \frac{{n + {first} + "
            rf"{second} - k}}{{s}} \right\rfloor + 1 \\ &= \left\lfloor \frac{{{n} + {before} "
            rf"+ {after} - {k}}}{{{stride}}} \right\rfloor + 1 = {out}\end{{aligned}}")


def shorten_arithmetic(text: str, keep: int = 9, *, head: int | None = None, tail: int = 2,
                       say_how_many: bool = False) -> str:
    """A written-out sum with at most `keep` terms: the first `head`, "...", the last `tail`.

    Works on every line of a `ConvFrame.arithmetic` / `PoolFrame.arithmetic` text
    ("3x1 + 1x1 + ... = -3", "max(1, 2, ...) = 9", "(1 + 2 + ...) / 9 = 3") and of
    `format_arithmetic`; lines of at most `keep` terms are returned as they are.
    head: terms kept at the start (default keep - tail, at least 1); tail: at the end (0 for
    none). say_how_many: "... (13 more products)" instead of a bare "..." ("numbers" where
    the terms are not products: max, averages, channel totals), for a sum not shown in full
    anywhere else.
    """
    if keep < 1 or tail < 0 or (head is not None and head < 1):
        raise ValueError("Keep at least one term, and no negative number of terms at the end.")
    first = max(keep - tail, 1) if head is None else head
    return "\n".join(_shorten_line(line, keep, first, tail, say_how_many)
                     for line in text.split("\n"))


def _shorten_line(line: str, keep: int, first: int, tail: int, say_how_many: bool) -> str:
    head, equals, total = line.rpartition(" = ")
    if not equals:
        return line
    label, colon, head = head.rpartition(": ") if ": " in head else ("", "", head)
    opening, closing = "", ""
    if head.startswith("max(") and head.endswith(")"):
        opening, closing, head = "max(", ")", head[4:-1]
    elif head.startswith("(") and ") / " in head:
        inner, _, count = head[1:].rpartition(") / ")
        opening, closing, head = "(", f") / {count}", inner
    sep = ", " if opening == "max(" else " + "
    terms = head.split(sep)
    if len(terms) <= keep or len(terms) <= first + tail:
        return line
    hidden = len(terms) - first - tail
    what = "product" if all("x" in term for term in terms) else "number"
    dots = f"... ({hidden} more {what}{'s' if hidden > 1 else ''})" if say_how_many else "..."
    shown = terms[:first] + [dots] + terms[len(terms) - tail:]
    return f"{label}{colon}{opening}{sep.join(shown)}{closing} = {total}"
