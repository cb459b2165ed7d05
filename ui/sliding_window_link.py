"""What a link to the Sliding window page holds: the input grid and its values, the kernel,
padding, stride, the step shown, and the extra views' choices."""

from __future__ import annotations

import numpy as np

from cnn_core.config import (
    DEFAULT_WINDOW_KERNEL,
    MAX_GRID_SIZE,
    MAX_STRIDE,
    MAX_WINDOW_KERNEL,
    MIN_GRID_SIZE,
    SAMPLE_PHOTOS,
    SEED,
)
from cnn_core.maths.kernels import PRESET_KERNELS
from cnn_core.views.links import (
    LinkValueError,
    Setting,
    choice,
    format_matrix,
    grid_matrix,
    kernel_matrix,
    whole,
)
from ui.grid_widgets import DIGIT_COUNT, EDITED, PADDING_LABELS, SOURCES

PAGE = "sliding_window"
NOT_IN_LINK = ("Everything on this page is in the link, a typed grid too; the animation opens "
               "paused at the step shown.")
GRID_KEY, KERNEL_KEY = "sw_grid", "sw_kernel"
# At most 16x16 outputs (a 16x16 grid, "same", stride 1); the player keeps it in range.
MAX_STEP = MAX_GRID_SIZE * MAX_GRID_SIZE
FILTER_NAMES = [n for n, k in PRESET_KERNELS.items() if k.matrix.shape == (3, 3)]
DEFAULT_FILTERS = ["Vertical edge", "Sobel y", "Sharpen"]
MAX_FILTERS = 4


def _custom_kernel(matrix) -> dict:
    """A linked kernel opens as typed text, ready to edit, with every digit kept."""
    text = "\n".join(" ".join(row.split(",")) for row in format_matrix(matrix).split(";"))
    return {f"{KERNEL_KEY}_mode": "Custom", f"{KERNEL_KEY}_text": text}


def _typed_grid(values) -> dict:
    """A linked grid opens in the table, at its own size."""
    values = np.asarray(values, dtype=np.float64)
    rows, cols = values.shape
    return {f"{GRID_KEY}_source": EDITED, f"{GRID_KEY}_rows": rows, f"{GRID_KEY}_cols": cols,
            f"{GRID_KEY}_typed": values, f"{GRID_KEY}_start": values}


def filters_setting(name: str, label: str, key: str) -> Setting:
    """Up to four of the 3x3 presets, written "Sobel x,Sharpen" (no preset name has a comma)."""
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        if len(names) > MAX_FILTERS or len(set(names)) != len(names) or \
                any(n not in FILTER_NAMES for n in names):
            raise LinkValueError(f"up to {MAX_FILTERS} different names of 3x3 presets, "
                                 "between commas")
        return names
    return Setting(name, label, list(DEFAULT_FILTERS), parse, lambda v: ",".join(v), key)


def sliding_window_settings() -> list[Setting]:
    grid = f"{GRID_KEY}_"
    return [
        choice("input", "Input grid", SOURCES, SOURCES[0], key=f"{grid}source"),
        whole("grid_size", "Random grid: size", MIN_GRID_SIZE, MAX_GRID_SIZE, 8,
              key=f"{grid}size"),
        whole("seed", "Random grid: seed", 0, 10_000, SEED, key=f"{grid}seed"),
        whole("digit", "MNIST digit", 0, DIGIT_COUNT - 1, 0, key=f"{grid}digit"),
        choice("photo", "Photo", list(SAMPLE_PHOTOS), next(iter(SAMPLE_PHOTOS)),
               key=f"{grid}photo"),
        whole("crop", "Photo: crop size (%)", 5, 100, 30, key=f"{grid}crop"),
        whole("across", "Photo: crop centre across (%)", 0, 100, 50, key=f"{grid}across"),
        whole("down", "Photo: crop centre down (%)", 0, 100, 40, key=f"{grid}down"),
        whole("side", "Digit or photo: cells per side", 6, MAX_GRID_SIZE, 12, key=f"{grid}side"),
        # The table's size and the grid typed go with it; a link without a grid resets them.
        grid_matrix("grid", "Typed grid", assign=_typed_grid,
                    keeps=tuple(f"{grid}{part}" for part in ("rows", "cols", "typed", "start"))),
        choice("mode", "Preset or custom kernel", ["Preset", "Custom"], "Preset",
               key=f"{KERNEL_KEY}_mode"),
        choice("kernel", "Preset kernel", list(PRESET_KERNELS), DEFAULT_WINDOW_KERNEL,
               key=f"{KERNEL_KEY}_preset"),
        kernel_matrix("matrix", "Custom kernel", max_size=MAX_WINDOW_KERNEL,
                      assign=_custom_kernel, keeps=(f"{KERNEL_KEY}_text",)),
        choice("padding", "Padding", list(PADDING_LABELS), "valid", key="sw_padding"),
        choice("stride", "Stride", list(range(1, MAX_STRIDE + 1)), 1, key="sw_stride"),
        whole("step", "Step shown", 1, MAX_STEP, 1, key="sw_at"),
        whole("rgb_step", "Colour channels: step shown", 1, 9, 1, key="sw_rgb_at"),
        filters_setting("filters", "Filters in the layer", key="sw_filters"),
    ]
