"""Preset image kernels with plain-language captions, kernels typed by a learner, and LaTeX.

All kernels are applied as cross-correlation (see `convolution`), so they read the way
they are written: the top-left number multiplies the top-left pixel of the window.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from cnn_core.config import MAX_KERNEL_SIZE


class KernelError(ValueError):
    """A kernel the learner typed cannot be used; the message says why in one sentence."""


@dataclass(frozen=True)
class Kernel:
    """A named kernel: matrix (rows, cols) float64, read-only, and a one-line caption."""

    name: str
    matrix: np.ndarray = field(repr=False)
    caption: str
    # Edge detectors produce negative numbers; the page suggests |value| display for them.
    signed_output: bool = False

    def __repr__(self) -> str:
        rows, cols = self.matrix.shape
        return f"Kernel({self.name!r}, {rows}x{cols})"


def custom_kernel(matrix: np.ndarray, name: str = "Custom",
                  caption: str = "Your own kernel.") -> Kernel:
    """A learner's kernel as a `Kernel`; any negative weight marks its output as signed."""
    matrix = np.array(matrix, dtype=np.float64)
    if matrix.ndim != 2:
        raise KernelError("A kernel is a 2-D grid of numbers: rows of equal length.")
    check_kernel_size(*matrix.shape)
    if not np.all(np.isfinite(matrix)):
        raise KernelError("Every kernel entry must be a finite number (no NaN or infinity).")
    matrix.setflags(write=False)
    return Kernel(name, matrix, caption, signed_output=bool(np.any(matrix < 0)))


def _k(rows: Sequence[Sequence[float]], scale: float = 1.0) -> np.ndarray:
    matrix = np.array(rows, dtype=np.float64) * scale
    matrix.setflags(write=False)
    return matrix


_PRESETS = [
    Kernel("Identity", _k([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
           "Copies each pixel unchanged: a 1 in the middle, 0 around it. A good sanity check."),
    Kernel("Box blur 3x3", _k(np.ones((3, 3)), 1 / 9),
           "Each pixel becomes the average of its 3x3 neighbourhood, smoothing fine detail."),
    Kernel("Mean blur 8x8", _k(np.ones((8, 8)), 1 / 64),
           "Averages a wide 8x8 patch: a much stronger blur, and an even-sized kernel."),
    Kernel("Gaussian blur 3x3", _k([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
           "A weighted average that trusts the centre most, so it blurs more gently than a box."),
    Kernel("Sharpen", _k([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
           "Adds the difference from the neighbours back to each pixel, so edges stand out."),
    Kernel("Edge detector 1 (diagonal)", _k([[1, 0, -1], [0, 0, 0], [-1, 0, 1]]),
           "Two opposite corners minus the other two: flat areas and straight up-down or "
           "left-right edges cancel to 0, diagonal edges remain.", signed_output=True),
    Kernel("Edge detector 2 (4-neighbour)", _k([[0, -1, 0], [-1, 4, -1], [0, -1, 0]]),
           "Four times the centre minus its four neighbours: 0 on flat areas, positive on the "
           "bright side of an edge (the Laplacian preset with every sign flipped).",
           signed_output=True),
    Kernel("Edge detector 3 (8-neighbour)", _k([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
           "Centre against all eight neighbours: outlines every edge whatever its direction.",
           signed_output=True),
    Kernel("Vertical edge", _k([[1, 0, -1], [1, 0, -1], [1, 0, -1]]),
           "Left column minus right column: positive where it is brighter on the left, so it "
           "finds vertical edges (Prewitt x with every sign flipped).", signed_output=True),
    Kernel("Sobel x", _k([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
           "Horizontal change in brightness, with the middle row weighted double: finds "
           "vertical edges while smoothing noise.", signed_output=True),
    Kernel("Sobel y", _k([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
           "Vertical change in brightness: finds horizontal edges such as a horizon.",
           signed_output=True),
    Kernel("Prewitt x", _k([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
           "Like Sobel x with equal weights: a simpler horizontal-gradient detector.",
           signed_output=True),
    Kernel("Laplacian", _k([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
           "The four neighbours minus four times the centre (the second derivative): 0 on "
           "flat areas, positive on the dark side of an edge, negative on the bright side.",
           signed_output=True),
    Kernel("Emboss", _k([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
           "Light from the top-left: one side of each edge brightens, the other darkens, "
           "like a relief."),
]

PRESET_KERNELS: dict[str, Kernel] = {kernel.name: kernel for kernel in _PRESETS}


def get_kernel(name: str) -> Kernel:
    """The preset called `name`; raises KernelError listing the valid names otherwise."""
    try:
        return PRESET_KERNELS[name]
    except KeyError:
        raise KernelError(
            f"There is no preset called {name!r}; choose one of: {', '.join(PRESET_KERNELS)}."
        ) from None


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _parse_entry(text: str, row: int, col: int) -> float:
    """One entry: a decimal number or a fraction such as 1/9 or -2/16."""
    parts = text.split("/")
    if len(parts) > 2 or not all(_NUMBER.match(part) for part in parts):
        raise KernelError(
            f"Row {row}, column {col}: {text!r} is not a number (use digits, '.', '-' or a "
            "fraction like 1/9)."
        )
    value = float(parts[0])
    if len(parts) == 2:
        denominator = float(parts[1])
        if denominator == 0:
            raise KernelError(f"Row {row}, column {col}: {text!r} divides by zero.")
        value /= denominator
    if not math.isfinite(value):
        raise KernelError(f"Row {row}, column {col}: {text!r} is too large to be a kernel weight.")
    return value


def check_kernel_size(rows: int, cols: int, max_size: int = MAX_KERNEL_SIZE) -> None:
    if rows < 1 or cols < 1:
        raise KernelError("The kernel is empty; type at least one number.")
    if rows > max_size or cols > max_size:
        raise KernelError(
            f"A {rows}x{cols} kernel is too big; the largest allowed here is "
            f"{max_size}x{max_size}."
        )


def parse_kernel(text: str, max_size: int = MAX_KERNEL_SIZE) -> np.ndarray:
    """Parse a kernel typed as rows of numbers.

    Rows are separated by new lines or ';', entries by spaces or commas; brackets are
    ignored, so "[[0,-1,0],[-1,5,-1],[0,-1,0]]" works too. Entries may be fractions (1/9).
    Returns (rows, cols) float64, at most max_size x max_size. Raises KernelError with a
    one-sentence reason.
    """
    if not isinstance(text, str):
        raise KernelError("Type the kernel as text, one row per line.")
    cleaned = text.replace("],", ";").replace("[", " ").replace("]", " ")
    lines = [line for line in re.split(r"[;\n]", cleaned) if line.strip(" \t,")]
    if not lines:
        raise KernelError("The kernel is empty; type at least one number.")
    rows = []
    for r, line in enumerate(lines, start=1):
        entries = [e for e in re.split(r"[\s,]+", line.strip(" \t,")) if e]
        rows.append([_parse_entry(entry, r, c) for c, entry in enumerate(entries, start=1)])
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise KernelError(
            "Every row needs the same number of entries, but the rows have "
            f"{', '.join(str(len(row)) for row in rows)}."
        )
    check_kernel_size(len(rows), widths.pop(), max_size)
    return np.array(rows, dtype=np.float64)


def kernel_from_grid(grid: Sequence[Sequence[object]]) -> np.ndarray:
    """Validate an edited grid (cells may be None, '', text or numbers) into a float64 kernel."""
    rows = [list(row) for row in grid]
    if not rows or not rows[0]:
        raise KernelError("The kernel is empty; type at least one number.")
    check_kernel_size(len(rows), max(len(row) for row in rows))
    values = []
    for r, row in enumerate(rows, start=1):
        if len(row) != len(rows[0]):
            raise KernelError("Every row of the kernel needs the same number of cells.")
        out_row = []
        for c, cell in enumerate(row, start=1):
            blank = cell is None or (isinstance(cell, float) and math.isnan(cell))
            if blank or str(cell).strip() in ("", "nan", "None"):
                raise KernelError(f"Row {r}, column {c} is empty or not a number; fill it in.")
            out_row.append(_parse_entry(str(cell).strip(), r, c))
        values.append(out_row)
    return np.array(values, dtype=np.float64)


def normalise_kernel(kernel: np.ndarray) -> np.ndarray:
    """Divide by the sum so the weights add up to 1 and brightness is kept.

    Kernels summing to 0 (edge detectors) cannot be normalised and raise KernelError.
    """
    total = float(np.sum(kernel))
    if abs(total) < 1e-12:
        raise KernelError(
            "These weights add up to 0 (typical for edge detectors), so they cannot be "
            "divided by their sum."
        )
    return np.asarray(kernel, dtype=np.float64) / total


def format_kernel(kernel: np.ndarray) -> str:
    """Kernel as text that `parse_kernel` reads back, fractions kept short."""
    def fmt(value: float) -> str:
        return f"{value:g}" if float(value).is_integer() else f"{value:.4g}"
    return "\n".join(" ".join(fmt(v) for v in row) for row in np.asarray(kernel))


def common_fraction(matrix: np.ndarray) -> tuple[Fraction, np.ndarray]:
    """(scale, multiples) with matrix == scale * multiples, pulling out 1/n when it can.

    The fraction is the smallest non-zero weight when it is 1/n (n up to 256) and every
    weight is a whole multiple of it; otherwise scale is 1 and the multiples are the weights.
    A 1/64 blur then reads as 64 ones instead of 64 copies of 0.015625.
    """
    values = np.asarray(matrix, dtype=np.float64)
    if values.ndim != 2 or values.size == 0:
        raise KernelError("A kernel is a non-empty 2-D grid of numbers.")
    smallest = float(np.min(np.abs(values[values != 0]))) if np.any(values) else 1.0
    guess = Fraction(smallest).limit_denominator(256)
    if guess.numerator == 1 and guess.denominator > 1:
        multiples = values / float(guess)
        if np.allclose(multiples, np.rint(multiples), atol=1e-9):
            return guess, np.rint(multiples)
    return Fraction(1), values


def kernel_latex(matrix: np.ndarray) -> str:
    """A kernel as a LaTeX matrix, pulling out a common fraction (1/9, 1/16) when there is one.

    See `common_fraction`; without a common fraction the weights are written as they are.
    """
    scale, values = common_fraction(matrix)

    def cell(v: float) -> str:
        # "+ 0.0" turns -0 into 0, so a rounded multiple never prints as "-0".
        return f"{v + 0.0:g}" if float(v).is_integer() else f"{v:.3g}"

    body = r" \\ ".join(" & ".join(cell(v) for v in row) for row in values)
    prefix = rf"\frac{{1}}{{{scale.denominator}}}" if scale != 1 else ""
    return rf"{prefix}\begin{{bmatrix}} {body} \end{{bmatrix}}"
