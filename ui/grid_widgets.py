"""Widget groups shared by the sliding-window and pooling pages.

Every *_ui() function draws its widgets (each with a stable key), and returns plain
values, or None after showing a one-sentence st.error / st.info.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnn_core.config import (
    ANIMATION_FRAME_MS,
    CLASSIC_GRID,
    DEFAULT_WINDOW_KERNEL,
    EDGE_GRID,
    MAX_GRID_SIZE,
    MAX_STRIDE,
    MAX_WINDOW_KERNEL,
    MIN_GRID_SIZE,
    MIN_POOL_MAP,
    POOL_DIGIT_SIDE,
    POOL_PHOTO_SIDE,
    SAMPLE_PHOTOS,
    SAMPLES_DIR,
    SEED,
    SHIFT_STUDY_COUNT,
    SHIFT_STUDY_SIDE,
    SLIDING_WINDOW_OUTPUT_KEY,
    TEXT_DIR,
)
from cnn_core.data.datasets import DatasetUnavailable, load_dataset
from cnn_core.data.grids import (
    crop_square,
    digit_maps,
    dot_maps,
    feature_map_grid,
    fitted_grid,
    image_to_grid,
    parse_grid,
    photo_edge_maps,
    random_grid,
    random_maps,
)
from cnn_core.data.images import ImageError, load_image, to_greyscale
from cnn_core.maths.frames import ConvFrame, PoolFrame, shorten_arithmetic
from cnn_core.maths.kernels import (
    PRESET_KERNELS,
    Kernel,
    KernelError,
    custom_kernel,
    format_kernel,
    kernel_latex,
    parse_kernel,
)
from cnn_core.maths.pooling import shift_study
from cnn_core.views.grid_figures import conv_step_figure, pool_step_figure
from ui.formulas import formula
from ui.links import NO_LINK, PageLink, keep_settings_across_pages

PIXEL_UNIT = "pixel value (0-255)"
SOURCES = ["Classic 5x5", "Edge 6x6", "Random", "MNIST digit", "Photo crop", "Edit the numbers"]
PADDING_LABELS = {"valid": "valid (no padding)", "same": "same (pad with zeros)"}
EDITED = "Edit the numbers"
DIGIT_COUNT = 20  # the MNIST test digits offered: enough to choose from, quick to load
KERNEL_SETTINGS = ("mode", "kernel", "matrix")  # one kernel: locking or hiding one does all


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
def mnist_digits(count: int = DIGIT_COUNT) -> tuple[np.ndarray, np.ndarray] | None:
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


def _digit_ui(key: str, link: PageLink) -> Grid | None:
    digits = mnist_digits()
    if digits is None:
        st.error("No MNIST digits are available here (assets/mnist_subset.npz is missing).")
        return None
    images, labels = digits
    index = link.control("digit", st.selectbox, "Digit", range(len(labels)), key=f"{key}_digit",
                         format_func=lambda i: f"test image {i} (a {labels[i]})")
    side = link.control("side", st.slider, "Shrink to (cells per side)", 6, MAX_GRID_SIZE, 12,
                        key=f"{key}_side")
    return Grid(f"MNIST digit {labels[index]}", image_to_grid(images[index], side), PIXEL_UNIT)


def _photo_ui(key: str, link: PageLink) -> Grid | None:
    photos = available_photos()
    if not photos:
        st.info("No sample photos were found in assets/samples, so pick another input.")
        return None
    label = link.control("photo", st.selectbox, "Photo", list(photos), key=f"{key}_photo")
    if label not in photos:  # hidden, and the linked photo is missing on this server
        label = next(iter(photos))
    try:
        grey = grey_photo(photos[label])
    except ImageError as error:
        st.error(str(error))
        return None
    crop = link.control("crop", st.slider, "Crop size (% of the photo)", 5, 100, 30,
                        key=f"{key}_crop")
    across = link.control("across", st.slider, "Crop centre, across (%)", 0, 100, 50,
                          key=f"{key}_across")
    down = link.control("down", st.slider, "Crop centre, down (%)", 0, 100, 40,
                        key=f"{key}_down")
    side = link.control("side", st.slider, "Shrink to (cells per side)", 6, MAX_GRID_SIZE, 12,
                        key=f"{key}_side")
    part = crop_square(grey, down / 100, across / 100, round(min(grey.shape) * crop / 100))
    return Grid(f"Crop of {label}", image_to_grid(part, side), PIXEL_UNIT)


def _editor_key(key: str, start: np.ndarray) -> str:
    """One table per size and starting grid; the usual start keeps the plain name."""
    rows, cols = start.shape
    name = f"{key}_editor_{rows}x{cols}"
    if np.array_equal(start, fitted_grid(None, rows, cols)):
        return name
    return f"{name}_{hashlib.sha1(start.tobytes()).hexdigest()[:8]}"


def _cell_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _editor_ui(key: str, link: PageLink) -> Grid | None:
    """A table to type numbers into. Streamlit forgets a table's edits once it is off screen
    (another page, another size), so the last good grid is kept, and a new table starts
    from it."""
    typed_key, start_key = f"{key}_typed", f"{key}_start"
    if link.hidden("grid"):
        typed = st.session_state.get(typed_key)
        values = fitted_grid(None, 5, 5) if typed is None else np.asarray(typed)
        link.record("grid", values)
        return Grid("Your grid", values)
    locked = link.locked("grid")
    sizes = st.columns(2)
    rows = int(sizes[0].number_input("Rows", 1, MAX_GRID_SIZE, 5, key=f"{key}_rows",
                                     disabled=locked))
    cols = int(sizes[1].number_input("Columns", 1, MAX_GRID_SIZE, 5, key=f"{key}_cols",
                                     disabled=locked))
    start = fitted_grid(st.session_state.get(start_key), rows, cols)
    editor_key = _editor_key(key, start)
    if editor_key not in st.session_state:  # a new table: first visit, back again, new size
        start = fitted_grid(st.session_state.get(typed_key), rows, cols)
        st.session_state[start_key] = start
        editor_key = _editor_key(key, start)
    cells = [[_cell_text(v) for v in row] for row in start]
    table = pd.DataFrame(cells, columns=[str(c) for c in range(cols)], dtype=object)
    edited = st.data_editor(table, key=editor_key, hide_index=True, num_rows="fixed",
                            width="content", disabled=locked)
    try:
        values = parse_grid(edited.to_numpy().tolist(), MAX_GRID_SIZE)
    except ValueError as error:
        st.error(str(error))
        return None
    st.session_state[typed_key] = values
    link.record("grid", values)
    return Grid("Your grid", values)


def input_grid_ui(key: str = "grid", link: PageLink = NO_LINK) -> Grid | None:
    """Pick the input grid: the classic 5x5, the 6x6 edge, random, a digit, a photo, or typed."""
    source = link.control("input", st.selectbox, "Input grid", SOURCES, key=f"{key}_source")
    if source != EDITED:
        link.record("grid", None)  # a typed grid joins the link only while it is the input
    if source == "Classic 5x5":
        return Grid("Classic 5x5", np.array(CLASSIC_GRID, dtype=np.float64))
    if source == "Edge 6x6":
        return Grid("Edge 6x6", np.array(EDGE_GRID, dtype=np.float64))
    if source == "Random":
        return random_grid_ui(key, link)
    if source == "MNIST digit":
        return _digit_ui(key, link)
    if source == "Photo crop":
        return _photo_ui(key, link)
    return _editor_ui(key, link)


def random_grid_ui(key: str, link: PageLink = NO_LINK) -> Grid:
    cols = st.columns(2)
    with cols[0]:
        size = link.control("grid_size", st.slider, "Size", MIN_GRID_SIZE, MAX_GRID_SIZE, 8,
                            key=f"{key}_size")
    with cols[1]:
        seed = link.control("seed", st.number_input, "Seed", 0, 10_000, SEED, key=f"{key}_seed",
                            help="The same seed always gives the same grid.")
    return Grid(f"Random {size}x{size} (seed {seed})", random_grid(size, int(seed)))


def window_kernel_ui(key: str = "kernel", link: PageLink = NO_LINK) -> Kernel | None:
    """A preset kernel or a custom one small enough that every product can be shown.

    A teacher's link locks or hides the preset, the custom kernel and the choice between
    them together: any of them is the kernel the learner sees. Hidden, the kernel is still
    written out (it is part of the sum), but cannot be changed."""
    locked = any(link.locked(name) for name in KERNEL_SETTINGS)
    hidden = any(link.hidden(name) for name in KERNEL_SETTINGS)
    state = st.session_state
    if hidden:
        mode = state.get(f"{key}_mode", "Preset")
    else:
        mode = st.radio("Kernel", ["Preset", "Custom"], horizontal=True, key=f"{key}_mode",
                        disabled=locked)
    names = list(PRESET_KERNELS)
    if hidden:
        name = state.get(f"{key}_preset", DEFAULT_WINDOW_KERNEL)
    else:
        name = st.selectbox("Preset", names, index=names.index(DEFAULT_WINDOW_KERNEL),
                            key=f"{key}_preset", disabled=mode == "Custom" or locked,
                            help="A custom kernel starts from the selected preset.")
    kernel = PRESET_KERNELS[name]
    if mode == "Custom":
        label = f"Rows of numbers (1x1 up to {MAX_WINDOW_KERNEL}x{MAX_WINDOW_KERNEL})"
        if hidden:
            text = state.get(f"{key}_text", format_kernel(kernel.matrix))
        else:
            text = st.text_area(label, format_kernel(kernel.matrix), key=f"{key}_text",
                                height=110, disabled=locked)
        try:
            kernel = custom_kernel(parse_kernel(text, MAX_WINDOW_KERNEL))
        except KernelError as error:
            st.error(str(error))
            return None
        link.record("matrix", kernel.matrix)
    else:
        link.record("matrix", None)
    if hidden:
        st.markdown(f"**Kernel:** {kernel.name if mode == 'Preset' else 'set by the link'}")
    formula(kernel_latex(kernel.matrix))
    return kernel


def padding_stride_ui(key: str, default_stride: int = 1,
                      link: PageLink = NO_LINK) -> tuple[str, int]:
    padding = link.control("padding", st.radio, "Padding", list(PADDING_LABELS),
                           format_func=PADDING_LABELS.get, key=f"{key}_padding",
                           horizontal=True)
    stride = link.control("stride", st.radio, "Stride", list(range(1, MAX_STRIDE + 1)),
                          index=default_stride - 1, key=f"{key}_stride", horizontal=True,
                          help="How many cells the window moves between outputs.")
    return padding, int(stride)


def player_ui(count: int, key: str, figure: Callable[[int], go.Figure] | None,
              describe: Callable[[int], None], link: PageLink = NO_LINK,
              setting: str = "step") -> None:
    """The figure of one step, Back / Play / Next and a step slider, then `describe(step)`.

    count: number of steps; figure(step) and describe(step) take the 0-based step. All of it
    is one fragment, and Play steps it on the server every ANIMATION_FRAME_MS: the page
    state always knows the step, so the figure, the slider, the buttons and the written sum
    show the same one, and Back / Next after Play go on from the step that was played.
    (Plotly's own animation runs in the browser, where the page could not see its step.)
    A teacher's link may lock the step (every control shown disabled) or hide the controls
    (the figure and the sum stay at the linked step); `setting` names the step in the link.
    """
    locked, hidden = link.locked(setting), link.hidden(setting)
    at_key, slider_key = f"{key}_at", f"{key}_step"
    playing_key, hold_key = f"{key}_playing", f"{key}_hold"
    st.session_state[at_key] = min(max(int(st.session_state.get(at_key, 1)), 1), max(count, 1))
    playing = bool(st.session_state.get(playing_key)) and count > 1 and not (locked or hidden)
    st.session_state[playing_key] = playing

    def move(delta: int) -> None:
        st.session_state[at_key] = min(max(st.session_state[at_key] + delta, 1), count)
        st.session_state[playing_key] = False

    def toggle() -> None:
        if st.session_state[playing_key]:
            st.session_state[playing_key] = False
            return
        if st.session_state[at_key] >= count:
            st.session_state[at_key] = 1  # Play at the end starts again
        st.session_state[playing_key] = True
        st.session_state[hold_key] = True  # show the current step first, then move on

    def dragged() -> None:
        st.session_state[at_key] = st.session_state[slider_key]

    @st.fragment(run_every=ANIMATION_FRAME_MS / 1000 if playing else None)
    def player() -> None:
        keep_settings_across_pages()
        if bool(st.session_state[playing_key]) != playing:
            st.rerun()  # starting or stopping the timer takes a run of the whole page
        if playing and not st.session_state.pop(hold_key, False):
            st.session_state[at_key] = min(st.session_state[at_key] + 1, count)
        at = st.session_state[at_key]
        if at >= count:
            st.session_state[playing_key] = False  # the next tick reruns the page to stop
        if figure is not None:
            st.plotly_chart(figure(at - 1), key=f"{key}_animation",
                            config={"displayModeBar": False})
        if count > 1 and not hidden:
            with st.container(horizontal=True, gap="small"):
                st.button("◀ Back", key=f"{key}_back", on_click=move, args=(-1,),
                          disabled=at == 1 or locked)
                st.button("❚❚ Pause" if st.session_state[playing_key] else "▶ Play",
                          key=f"{key}_play", on_click=toggle, disabled=locked)
                st.button("Next ▶", key=f"{key}_next", on_click=move, args=(1,),
                          disabled=at == count or locked)
            if st.session_state[playing_key]:
                # No slider while playing: the browser would send back the value it showed
                # a tick ago with every request, and the page would take that as a drag.
                st.progress(at / count, text=f"Playing: step {at} of {count}")
            else:
                st.session_state[slider_key] = at
                st.slider("Step (output cell)", 1, count, key=slider_key, on_change=dragged,
                          disabled=locked)
        describe(at - 1)

    player()


def sum_ui(frame: ConvFrame | PoolFrame, count: int) -> None:
    """Where the window is, and its sum written out below the figure (long sums shortened,
    in full on demand), so the sum never runs over the grids."""
    top, left = frame.input_position
    st.markdown(f"**Step {frame.index + 1} of {count}: output row {frame.row}, column "
                f"{frame.col}** (window from input row {top}, column {left})")
    short = shorten_arithmetic(frame.arithmetic)
    st.code(short, language=None, wrap_lines=True)
    if short != frame.arithmetic:
        terms = frame.window.size
        with st.expander(f"The whole sum ({terms} terms)"):
            st.code(frame.arithmetic, language=None, wrap_lines=True)


# ---- Pooling inputs ------------------------------------------------------------------------

EDGE_KERNELS = ["Sobel x", "Sobel y", "Vertical edge", "Laplacian",
                "Edge detector 3 (8-neighbour)"]


@st.cache_data(show_spinner=False)
def photo_feature_map(filename: str, kernel_name: str, side: int) -> np.ndarray:
    """The photo's centre square through an edge kernel, then ReLU (see feature_map_grid)."""
    return feature_map_grid(grey_photo(filename), PRESET_KERNELS[kernel_name].matrix, side)


POOL_SOURCES = ["Edge map of a digit", "Sliding-window output", "Random grid",
                "Edge map of a photo"]
POOL_MODES, POOL_WINDOWS = ["max", "avg"], [2, 3]


def _digit_edges_ui(key: str, link: PageLink) -> Grid | None:
    digits = mnist_digits()
    if digits is None:
        st.error("No MNIST digits are available here (assets/mnist_subset.npz is missing).")
        return None
    images, labels = digits
    index = link.control("digit", st.selectbox, "Digit", range(len(labels)), key=f"{key}_digit",
                         format_func=lambda i: f"test image {i} (a {labels[i]})")
    kernel = link.control("digit_edge", st.selectbox, "Edge kernel", EDGE_KERNELS,
                          key=f"{key}_digit_edge")
    side = link.control("side", st.slider, "Map size (cells per side)", 6, MAX_GRID_SIZE,
                        POOL_DIGIT_SIDE, key=f"{key}_digit_side")
    values = feature_map_grid(images[index], PRESET_KERNELS[kernel].matrix, side)
    return Grid(f"Digit {labels[index]} through {kernel}, then ReLU", values, "edge strength")


def _shared_map_ui() -> Grid | None:
    shared = st.session_state.get(SLIDING_WINDOW_OUTPUT_KEY)
    if shared is None:
        st.info("Nothing from the Sliding window page yet: open it, pick an input and a "
                "kernel, and its output appears here. Or pick another input above.")
        return None
    values = np.asarray(shared["values"])
    note = ""
    if min(values.shape) < MIN_POOL_MAP:
        note = (" It is small: \"same\" padding or a larger input there gives a map with more "
                "to pool.")
    st.caption(f"From the Sliding window page: {shared['label']}, "
               f"{values.shape[0]}x{values.shape[1]}.{note}")
    return Grid(shared["label"], values, "feature-map value")


def pooling_input_ui(key: str = "pool", link: PageLink = NO_LINK) -> Grid | None:
    """The map to pool: a digit's or photo's edges, the sliding-window output, random."""
    source = link.control("input", st.radio, "Input", POOL_SOURCES, key=f"{key}_source")
    if source == "Edge map of a digit":
        return _digit_edges_ui(key, link)
    if source == "Sliding-window output":
        return _shared_map_ui()
    if source == "Random grid":
        return random_grid_ui(f"{key}_grid", link)
    photos = available_photos()
    if not photos:
        st.info("No sample photos were found in assets/samples, so pick another input.")
        return None
    label = link.control("photo", st.selectbox, "Photo", list(photos), key=f"{key}_photo")
    if label not in photos:  # hidden, and the linked photo is missing on this server
        label = next(iter(photos))
    kernel = link.control("photo_edge", st.selectbox, "Edge kernel", EDGE_KERNELS,
                          key=f"{key}_edge")
    try:
        values = photo_feature_map(photos[label], kernel, POOL_PHOTO_SIDE)
        grey = grey_photo(photos[label])
    except ImageError as error:
        st.error(str(error))
        return None
    st.image(crop_square(grey, 0.5, 0.5, min(grey.shape)), width=140,
             caption="The centre of the photo, before the edge kernel")
    return Grid(f"{label} through {kernel}, then ReLU", values, "edge strength")


def pool_options_ui(key: str = "pool", link: PageLink = NO_LINK) -> tuple[str, int, int, str]:
    """Returns (mode, window size, stride, padding)."""
    mode = link.control("mode", st.radio, "Pooling", POOL_MODES, key=f"{key}_mode",
                        horizontal=True, format_func={"max": "max", "avg": "average"}.get)
    size = link.control("window", st.radio, "Window", POOL_WINDOWS, key=f"{key}_size",
                        horizontal=True, format_func=lambda s: f"{s}x{s}")
    padding, stride = padding_stride_ui(key, default_stride=2, link=link)
    return mode, int(size), stride, padding


# ---- Figures, cached: one per step, shared read-only between reruns and sessions -----------

@st.cache_resource(max_entries=256, show_spinner=False)
def conv_figure(x: np.ndarray, kernel: np.ndarray, padding: str, stride: int, step: int,
                unit: str) -> go.Figure:
    """`conv_step_figure`."""
    return conv_step_figure(x, kernel, padding, stride, step, unit)


@st.cache_resource(max_entries=256, show_spinner=False)
def pool_figure(x: np.ndarray, size: int, stride: int, mode: str, padding: str, step: int,
                unit: str) -> go.Figure:
    """`pool_step_figure`."""
    return pool_step_figure(x, size, stride, mode, padding, step, unit)


# ---- The shift study: many inputs, measured once per pooling setting -------------------------

@st.cache_data(show_spinner="Measuring shifts over many inputs...")
def shift_study_table(size: int, stride: int, mode: str, padding: str) -> dict[str, list]:
    """`shift_study` over four kinds of input, as {"label (count)": [ShiftSummary, ...]}."""
    side, count = SHIFT_STUDY_SIDE, SHIFT_STUDY_COUNT
    kinds: dict[str, list[np.ndarray]] = {
        "Random grids": random_maps(count, side, SEED),
        "A few strong dots": dot_maps(count, side, SEED),
    }
    digits = mnist_digits(count)
    if digits is not None:
        kinds["MNIST digits"] = digit_maps(digits[0], side)
    photos = available_photos()
    if photos:
        per_photo = max(count // len(photos), 1)
        kinds["Photo edge maps"] = [
            crop for i, f in enumerate(photos.values())
            for crop in photo_edge_maps(grey_photo(f), PRESET_KERNELS["Sobel x"].matrix,
                                        per_photo, side, SEED + i)]
    return {f"{label} ({len(maps)})": shift_study(maps, (1, 2, 3), size, stride, mode, padding)
            for label, maps in kinds.items()}
