"""Widget groups shared by the sliding-window and pooling pages.

Every *_ui() function draws its widgets (each with a stable key), and returns plain
values, or None after showing a one-sentence st.error / st.info.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnn_core.config import (
    CLASSIC_GRID,
    DEFAULT_WINDOW_KERNEL,
    EDGE_GRID,
    MAX_GRID_SIZE,
    MAX_STRIDE,
    MAX_WINDOW_KERNEL,
    MIN_GRID_SIZE,
    POOL_PHOTO_SIDE,
    SAMPLE_PHOTOS,
    SAMPLES_DIR,
    SEED,
    SLIDING_WINDOW_OUTPUT_KEY,
    TEXT_DIR,
)
from cnn_core.data.datasets import DatasetUnavailable, load_dataset
from cnn_core.data.grids import (
    crop_square,
    feature_map_grid,
    image_to_grid,
    parse_grid,
    random_grid,
)
from cnn_core.data.images import ImageError, load_image, to_greyscale
from cnn_core.maths.convolution import convolve2d
from cnn_core.maths.kernels import (
    PRESET_KERNELS,
    Kernel,
    KernelError,
    custom_kernel,
    format_kernel,
    kernel_latex,
    parse_kernel,
)
from cnn_core.views.grid_figures import conv_animation_figure, pool_animation_figure

PIXEL_UNIT = "pixel value (0-255)"
SOURCES = ["Classic 5x5", "Edge 6x6", "Random", "MNIST digit", "Photo crop", "Edit the numbers"]
PADDING_LABELS = {"valid": "valid (no padding)", "same": "same (pad with zeros)"}


@dataclass(frozen=True)
class Grid:
    """An input grid: (H, W) float64 numbers, where they came from, and their unit."""

    name: str
    values: np.ndarray = field(repr=False)
    unit: str = "input value"


def text_section(filename: str, heading: str) -> str:
    """The Markdown under '## heading' in assets/text/<filename> (up to the next '## ')."""
    text = (TEXT_DIR / filename).read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1).strip() if match else ""


@st.cache_data(show_spinner=False)
def mnist_digits(count: int = 20) -> tuple[np.ndarray, np.ndarray] | None:
    """The first `count` MNIST test digits (count, 28, 28) uint8 and labels, or None.

    Never downloads: a few digits to look at are not worth a wait (the bundled subset will do).
    """
    try:
        data = load_dataset("mnist", download=False)
    except DatasetUnavailable:
        return None
    return data.x_test[:count].copy(), data.y_test[:count].copy()


@st.cache_data(show_spinner=False)
def grey_photo(filename: str) -> np.ndarray:
    """A bundled sample photo as (H, W) uint8 grey levels."""
    return to_greyscale(load_image(SAMPLES_DIR / filename))


def available_photos() -> dict[str, str]:
    return {label: f for label, f in SAMPLE_PHOTOS.items() if (SAMPLES_DIR / f).is_file()}


def _digit_ui(key: str) -> Grid | None:
    digits = mnist_digits()
    if digits is None:
        st.error("No MNIST digits are available here (assets/mnist_subset.npz is missing).")
        return None
    images, labels = digits
    index = st.selectbox("Digit", range(len(labels)), key=f"{key}_digit",
                         format_func=lambda i: f"test image {i} (a {labels[i]})")
    side = st.slider("Shrink to (cells per side)", 6, MAX_GRID_SIZE, 12, key=f"{key}_side")
    return Grid(f"MNIST digit {labels[index]}", image_to_grid(images[index], side), PIXEL_UNIT)


def _photo_ui(key: str) -> Grid | None:
    photos = available_photos()
    if not photos:
        st.info("No sample photos were found in assets/samples, so pick another input.")
        return None
    label = st.selectbox("Photo", list(photos), key=f"{key}_photo")
    try:
        grey = grey_photo(photos[label])
    except ImageError as error:
        st.error(str(error))
        return None
    crop = st.slider("Crop size (% of the photo)", 5, 100, 30, key=f"{key}_crop")
    across = st.slider("Crop centre, across (%)", 0, 100, 50, key=f"{key}_across")
    down = st.slider("Crop centre, down (%)", 0, 100, 40, key=f"{key}_down")
    side = st.slider("Shrink to (cells per side)", 6, MAX_GRID_SIZE, 12, key=f"{key}_side")
    part = crop_square(grey, down / 100, across / 100, round(min(grey.shape) * crop / 100))
    return Grid(f"Crop of {label}", image_to_grid(part, side), PIXEL_UNIT)


def _editor_ui(key: str) -> Grid | None:
    sizes = st.columns(2)
    rows = sizes[0].number_input("Rows", 1, MAX_GRID_SIZE, 5, key=f"{key}_rows")
    cols = sizes[1].number_input("Columns", 1, MAX_GRID_SIZE, 5, key=f"{key}_cols")
    start = np.zeros((int(rows), int(cols)))
    classic = np.array(CLASSIC_GRID)
    h, w = min(int(rows), 5), min(int(cols), 5)
    start[:h, :w] = classic[:h, :w]
    table = pd.DataFrame(start.astype(int).astype(str).astype(object),
                         columns=[str(c) for c in range(int(cols))])
    edited = st.data_editor(table, key=f"{key}_editor_{rows}x{cols}", hide_index=True,
                            num_rows="fixed", width="content")
    try:
        return Grid("Your grid", parse_grid(edited.to_numpy().tolist(), MAX_GRID_SIZE))
    except ValueError as error:
        st.error(str(error))
        return None


def input_grid_ui(key: str = "grid") -> Grid | None:
    """Pick the input grid: the classic 5x5, the 6x6 edge, random, a digit, a photo, or typed."""
    source = st.selectbox("Input grid", SOURCES, key=f"{key}_source")
    if source == "Classic 5x5":
        return Grid("Classic 5x5", np.array(CLASSIC_GRID, dtype=np.float64))
    if source == "Edge 6x6":
        return Grid("Edge 6x6", np.array(EDGE_GRID, dtype=np.float64))
    if source == "Random":
        return random_grid_ui(key)
    if source == "MNIST digit":
        return _digit_ui(key)
    if source == "Photo crop":
        return _photo_ui(key)
    return _editor_ui(key)


def random_grid_ui(key: str) -> Grid:
    cols = st.columns(2)
    size = cols[0].slider("Size", MIN_GRID_SIZE, MAX_GRID_SIZE, 8, key=f"{key}_size")
    seed = cols[1].number_input("Seed", 0, 10_000, SEED, key=f"{key}_seed",
                                help="The same seed always gives the same grid.")
    return Grid(f"Random {size}x{size} (seed {seed})", random_grid(size, int(seed)))


def window_kernel_ui(key: str = "kernel") -> Kernel | None:
    """A preset kernel or a custom one small enough that every product can be shown."""
    mode = st.radio("Kernel", ["Preset", "Custom"], horizontal=True, key=f"{key}_mode")
    names = list(PRESET_KERNELS)
    name = st.selectbox("Preset", names, index=names.index(DEFAULT_WINDOW_KERNEL),
                        key=f"{key}_preset", disabled=mode == "Custom",
                        help="A custom kernel starts from the selected preset.")
    kernel = PRESET_KERNELS[name]
    if mode == "Custom":
        text = st.text_area(f"Rows of numbers (1x1 up to {MAX_WINDOW_KERNEL}x{MAX_WINDOW_KERNEL})",
                            format_kernel(kernel.matrix), key=f"{key}_text", height=110)
        try:
            kernel = custom_kernel(parse_kernel(text, MAX_WINDOW_KERNEL))
        except KernelError as error:
            st.error(str(error))
            return None
    st.latex(kernel_latex(kernel.matrix))
    return kernel


def padding_stride_ui(key: str, default_stride: int = 1) -> tuple[str, int]:
    padding = st.radio("Padding", list(PADDING_LABELS), format_func=PADDING_LABELS.get,
                       key=f"{key}_padding", horizontal=True)
    stride = st.radio("Stride", list(range(1, MAX_STRIDE + 1)), index=default_stride - 1,
                      key=f"{key}_stride", horizontal=True,
                      help="How many cells the window moves between outputs.")
    return padding, int(stride)


def step_ui(count: int, key: str) -> int:
    """A slider and back/next buttons over `count` steps; returns the 0-based step."""
    state = f"{key}_step"
    st.session_state[state] = min(max(int(st.session_state.get(state, 1)), 1), max(count, 1))
    if count == 1:
        return 0

    def move(delta: int) -> None:
        st.session_state[state] = min(max(st.session_state[state] + delta, 1), count)

    cols = st.columns([1, 1, 6], vertical_alignment="bottom")
    cols[0].button("◀ Back", key=f"{key}_back", on_click=move, args=(-1,), width="stretch")
    cols[1].button("Next ▶", key=f"{key}_next", on_click=move, args=(1,), width="stretch")
    cols[2].slider("Output cell (step)", 1, count, key=state)
    return st.session_state[state] - 1


# ---- Pooling inputs ------------------------------------------------------------------------

EDGE_KERNELS = ["Sobel x", "Sobel y", "Vertical edge", "Laplacian",
                "Edge detector 3 (8-neighbour)"]


@st.cache_data(show_spinner=False)
def photo_feature_map(filename: str, kernel_name: str, side: int) -> np.ndarray:
    """The photo's centre square through an edge kernel, then ReLU (see feature_map_grid)."""
    return feature_map_grid(grey_photo(filename), PRESET_KERNELS[kernel_name].matrix, side)


def pooling_input_ui(key: str = "pool") -> Grid | None:
    """The map to pool: the sliding-window page's output, a random grid or a photo's edges."""
    source = st.radio("Input", ["Sliding-window output", "Random grid", "Edge map of a photo"],
                      key=f"{key}_source")
    if source == "Random grid":
        return random_grid_ui(f"{key}_grid")
    if source == "Edge map of a photo":
        photos = available_photos()
        if not photos:
            st.info("No sample photos were found in assets/samples, so pick another input.")
            return None
        label = st.selectbox("Photo", list(photos), key=f"{key}_photo")
        kernel = st.selectbox("Edge kernel", EDGE_KERNELS, key=f"{key}_edge")
        try:
            values = photo_feature_map(photos[label], kernel, POOL_PHOTO_SIDE)
            grey = grey_photo(photos[label])
        except ImageError as error:
            st.error(str(error))
            return None
        st.image(crop_square(grey, 0.5, 0.5, min(grey.shape)), width=140,
                 caption="The centre of the photo, before the edge kernel")
        return Grid(f"{label} through {kernel}, then ReLU", values, "edge strength")
    shared = st.session_state.get(SLIDING_WINDOW_OUTPUT_KEY)
    if shared is None:
        st.info("Nothing from the Sliding window page yet, so this is the classic 5x5 grid "
                "through the vertical-edge kernel with same padding.")
        values = convolve2d(np.array(CLASSIC_GRID), PRESET_KERNELS["Vertical edge"].matrix,
                            "same")
        shared = {"values": values, "label": "Classic 5x5 through Vertical edge (same)"}
    st.caption(f"From the Sliding window page: {shared['label']}.")
    return Grid(shared["label"], np.asarray(shared["values"]), "feature-map value")


def pool_options_ui(key: str = "pool") -> tuple[str, int, int, str]:
    """Returns (mode, window size, stride, padding)."""
    mode = st.radio("Pooling", ["max", "avg"], key=f"{key}_mode", horizontal=True,
                    format_func={"max": "max", "avg": "average"}.get)
    size = st.radio("Window", [2, 3], key=f"{key}_size", horizontal=True,
                    format_func=lambda s: f"{s}x{s}")
    padding, stride = padding_stride_ui(key, default_stride=2)
    return mode, int(size), stride, padding


# ---- Figures, cached: they take 0.1-0.4 s to build and only change with their inputs ---------

@st.cache_resource(max_entries=64, show_spinner=False)
def conv_figure(x: np.ndarray, kernel: np.ndarray, padding: str, stride: int, step: int,
                unit: str) -> go.Figure:
    """`conv_animation_figure`, shared read-only between reruns and sessions."""
    return conv_animation_figure(x, kernel, padding, stride, step, unit)


@st.cache_resource(max_entries=64, show_spinner=False)
def pool_figure(x: np.ndarray, size: int, stride: int, mode: str, padding: str, step: int,
                unit: str) -> go.Figure:
    """`pool_animation_figure`, shared read-only between reruns and sessions."""
    return pool_animation_figure(x, size, stride, mode, padding, step, unit)
