"""Input grids small enough to print every number, for the sliding-window and pooling pages.

A grid is (H, W) or (H, W, C) float64: seeded random whole numbers, a photo or digit
shrunk to whole grey levels, or a table the learner typed in, checked cell by cell.
"""

from __future__ import annotations

import math

import numpy as np

from cnn_core.config import CLASSIC_GRID
from cnn_core.data.images import fit_within, to_greyscale
from cnn_core.maths.convolution import convolve2d


def random_grid(size: int, seed: int, low: int = 0, high: int = 9,
                channels: int | None = None) -> np.ndarray:
    """A size x size (x channels) grid of whole numbers in [low, high], float64, from `seed`."""
    if not 1 <= size <= 256:
        raise ValueError(f"The grid size must be between 1 and 256, not {size}.")
    shape = (size, size) if channels is None else (size, size, channels)
    return np.random.default_rng(seed).integers(low, high + 1, size=shape).astype(np.float64)


def image_to_grid(image: np.ndarray, max_side: int = 16) -> np.ndarray:
    """Shrink a picture so its longer side is at most `max_side`, as whole grey levels.

    image: (H, W) or (H, W, 3) uint8 (colour is converted to grey, see `to_greyscale`).
    Shrinking averages areas, so thin strokes fade rather than vanish. Returns (h, w)
    float64 with integer values 0..255.
    """
    grey = to_greyscale(image).astype(np.float32)  # average in floats, round once at the end
    small, _ = fit_within(grey, max_side)
    return np.rint(np.clip(small, 0, 255)).astype(np.float64)


def crop_square(image: np.ndarray, centre_y: float, centre_x: float, side: int) -> np.ndarray:
    """A side x side crop (kept inside the image) centred at fractions (0..1) of the height/width.

    image: (H, W[, C]). Returns a view of shape (s, s[, C]) with s = min(side, H, W).
    """
    image = np.asarray(image)
    height, width = image.shape[:2]
    side = int(max(1, min(side, height, width)))
    top = int(np.clip(round(centre_y * height - side / 2), 0, height - side))
    left = int(np.clip(round(centre_x * width - side / 2), 0, width - side))
    return image[top : top + side, left : left + side]


def parse_grid(cells, max_size: int = 16) -> np.ndarray:
    """Validate an edited table (rows of numbers, text, None or NaN) into (H, W) float64.

    Raises ValueError naming the first bad cell, e.g. "Row 2, column 3: 'abc' is not a number."
    """
    rows = [list(row) for row in cells]
    if not rows or not rows[0]:
        raise ValueError("The grid is empty; it needs at least one number.")
    if len(rows) > max_size or max(len(row) for row in rows) > max_size:
        raise ValueError(f"The grid can be at most {max_size}x{max_size} so every number fits.")
    values = np.zeros((len(rows), len(rows[0])))
    for r, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise ValueError("Every row of the grid needs the same number of cells.")
        for c, cell in enumerate(row):
            text = "" if cell is None else str(cell).strip()
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or abs(number) > 1e6:
                what = "is empty" if text in ("", "nan", "None", "<NA>") else \
                    f"{text!r} is not a number (or too large)"
                raise ValueError(f"Row {r + 1}, column {c + 1}: {what}; type a number there.")
            values[r, c] = number
    return values


def fitted_grid(base: np.ndarray | None, rows: int, cols: int) -> np.ndarray:
    """The rows x cols float64 table a grid editor starts from: `base` ((h, w) numbers; the
    classic 5x5 when None) in the top-left corner, cut off where it is larger, zeros around
    it where it is smaller."""
    base = np.array(CLASSIC_GRID, dtype=np.float64) if base is None else np.asarray(base)
    start = np.zeros((rows, cols))
    h, w = min(rows, base.shape[0]), min(cols, base.shape[1])
    start[:h, :w] = base[:h, :w]
    return start


def feature_map_grid(image: np.ndarray, kernel: np.ndarray, side: int) -> np.ndarray:
    """The picture's centre square through a kernel, then ReLU: (s, s) float64, s <= side.

    image: (H, W) or (H, W, 3) uint8; kernel: (k, k). The square is shrunk to side + k - 1
    cells and filtered with "valid" padding, so the map has `side` cells a row (fewer only
    for a picture smaller than that) without the false edge that zero padding would draw
    along the border.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    grey = to_greyscale(image)
    small = image_to_grid(crop_square(grey, 0.5, 0.5, min(grey.shape)), side + kernel.shape[0] - 1)
    return np.maximum(convolve2d(small, kernel, "valid"), 0)


# ---- Inputs for the pooling page's shift study (cnn_core.maths.pooling.shift_study) ---------

def random_maps(count: int, side: int, seed: int) -> list[np.ndarray]:
    """`count` random side x side grids of whole numbers 0..9: a dense, busy texture."""
    return [random_grid(side, seed + i) for i in range(count)]


def dot_maps(count: int, side: int, seed: int, dots: int = 3) -> list[np.ndarray]:
    """`count` side x side maps of zeros with a few strong responses (5..9): sparse features,
    as a detector that fires on one rare pattern gives after ReLU."""
    rng = np.random.default_rng(seed)
    maps = []
    for _ in range(count):
        x = np.zeros(side * side)
        x[rng.choice(side * side, size=dots, replace=False)] = rng.integers(5, 10, size=dots)
        maps.append(x.reshape(side, side))
    return maps


def digit_maps(images: np.ndarray, side: int) -> list[np.ndarray]:
    """The middle side x side cells of each (28, 28) digit, as float64 grey levels."""
    return [crop_square(image, 0.5, 0.5, side).astype(np.float64) for image in images]


def photo_edge_maps(image: np.ndarray, kernel: np.ndarray, count: int, side: int, seed: int,
                    shrink_to: int = 96) -> list[np.ndarray]:
    """`count` side x side crops, at random places, of a photo's edge map (kernel, then ReLU).

    image: (H, W) or (H, W, 3) uint8, shrunk so its longer side is `shrink_to` first.
    """
    small = image_to_grid(image, shrink_to)
    edges = np.maximum(convolve2d(small, np.asarray(kernel, dtype=np.float64), "valid"), 0)
    height, width = edges.shape
    if min(height, width) < side:
        raise ValueError(f"The photo's edge map ({height}x{width}) is smaller than {side}x{side}.")
    rng = np.random.default_rng(seed)
    tops = rng.integers(0, height - side + 1, size=count)
    lefts = rng.integers(0, width - side + 1, size=count)
    return [edges[t : t + side, c : c + side] for t, c in zip(tops, lefts, strict=True)]
