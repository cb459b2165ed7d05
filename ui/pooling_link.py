"""What a link to the Pooling page holds: the input map and its values, pooling mode, window,
stride, padding, the step shown, and the shift lesson's move."""

from __future__ import annotations

from cnn_core.config import (
    MAX_GRID_SIZE,
    MAX_STRIDE,
    MIN_GRID_SIZE,
    POOL_DIGIT_SIDE,
    SAMPLE_PHOTOS,
    SEED,
)
from cnn_core.maths.pooling import SHIFT_DIRECTIONS
from cnn_core.views.links import Setting, choice, whole
from ui.grid_widgets import (
    DIGIT_COUNT,
    EDGE_KERNELS,
    PADDING_LABELS,
    POOL_MODES,
    POOL_SOURCES,
    POOL_WINDOWS,
)

PAGE = "pooling"
NOT_IN_LINK = ("The map brought from the Sliding window page is not in the link: whoever "
               "opens it makes one there first.")
SHIFT_DISTANCES = [1, 2, 3]
# A 16x16 map, a 2x2 window, "same", stride 1: 256 steps; the player keeps it in range.
MAX_STEP = MAX_GRID_SIZE * MAX_GRID_SIZE


def pooling_settings() -> list[Setting]:
    return [
        choice("input", "Input", POOL_SOURCES, POOL_SOURCES[0], key="pool_source"),
        whole("digit", "Digit", 0, DIGIT_COUNT - 1, 0, key="pool_digit"),
        choice("digit_edge", "Digit: edge kernel", EDGE_KERNELS, EDGE_KERNELS[0],
               key="pool_digit_edge"),
        whole("side", "Digit: map size", 6, MAX_GRID_SIZE, POOL_DIGIT_SIDE,
              key="pool_digit_side"),
        whole("grid_size", "Random grid: size", MIN_GRID_SIZE, MAX_GRID_SIZE, 8,
              key="pool_grid_size"),
        whole("seed", "Random grid: seed", 0, 10_000, SEED, key="pool_grid_seed"),
        choice("photo", "Photo", list(SAMPLE_PHOTOS), next(iter(SAMPLE_PHOTOS)),
               key="pool_photo"),
        choice("photo_edge", "Photo: edge kernel", EDGE_KERNELS, EDGE_KERNELS[0],
               key="pool_edge"),
        choice("mode", "Pooling (max or average)", POOL_MODES, POOL_MODES[0], key="pool_mode"),
        choice("window", "Window", POOL_WINDOWS, POOL_WINDOWS[0], key="pool_size"),
        choice("padding", "Padding", list(PADDING_LABELS), "valid", key="pool_padding"),
        choice("stride", "Stride", list(range(1, MAX_STRIDE + 1)), 2, key="pool_stride"),
        whole("step", "Step shown", 1, MAX_STEP, 1, key="pool_at"),
        choice("shift", "Shift: direction", list(SHIFT_DIRECTIONS), "right", key="pool_shift"),
        choice("shift_by", "Shift: cells", SHIFT_DISTANCES, 1, key="pool_shift_by"),
    ]
