"""Kernel picking: presets with their matrix and caption, or a custom grid / text entry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core.config import MAX_KERNEL_SIZE
from cnn_core.maths.kernels import (
    PRESET_KERNELS,
    Kernel,
    KernelError,
    common_fraction,
    custom_kernel,
    kernel_from_grid,
    kernel_latex,
    normalise_kernel,
    parse_kernel,
)
from cnn_core.views.links import format_matrix
from ui.formulas import formula as show_formula
from ui.links import NO_LINK, PageLink

NORMALISE_LABEL = "Divide by the sum of the weights (keeps brightness)"
WIDEST_WRITTEN = 8  # columns; the 8x8 mean blur is the widest preset
GRID_PX, GRID_CELL_MIN_PX = 240, 30


def _custom_kernel_ui(key: str, start: np.ndarray) -> np.ndarray:
    how = st.radio("Enter the numbers", ["In a grid", "As text"], horizontal=True,
                   key=f"{key}_entry")
    if how == "As text":
        # Every digit, so the kernel typed in the grid is the one the text box starts with.
        exact = format_matrix(start).replace(",", " ").replace(";", "\n")
        text = st.text_area("One row per line; spaces or commas between numbers; fractions "
                            "like 1/9 are fine", value=exact, key=f"{key}_text",
                            height=120)
        return parse_kernel(text)
    size_cols = st.columns(2)
    rows = size_cols[0].number_input("Rows", 1, MAX_KERNEL_SIZE, start.shape[0], key=f"{key}_rows")
    cols = size_cols[1].number_input("Columns", 1, MAX_KERNEL_SIZE, start.shape[1],
                                     key=f"{key}_cols")
    grid = np.zeros((int(rows), int(cols)))
    h, w = min(rows, start.shape[0]), min(cols, start.shape[1])
    grid[:h, :w] = start[:h, :w]
    names = [str(c + 1) for c in range(int(cols))]
    frame = pd.DataFrame(grid.astype(object), columns=names)
    # Narrow columns so up to 8 fit the controls column on a projector; wider grids scroll.
    cell_px = max(GRID_CELL_MIN_PX, min(60, GRID_PX // int(cols)))
    edited = st.data_editor(frame, key=f"{key}_grid_{rows}x{cols}", hide_index=True,
                            num_rows="fixed", width="content",
                            column_config={n: st.column_config.Column(width=cell_px)
                                           for n in names})
    return kernel_from_grid(edited.to_numpy().tolist())


def _show_matrix(matrix: np.ndarray) -> None:
    """The kernel as a matrix, small enough for the controls column on a 1024-pixel projector."""
    columns = matrix.shape[1]
    if columns > WIDEST_WRITTEN:
        st.caption(f"A {matrix.shape[0]}x{columns} kernel: too wide to write out here.")
        return
    # Thin spaces keep the brackets' overhang inside the box; 8 columns need a smaller size.
    size = r"\small " if columns > 5 else ""
    show_formula(size + kernel_latex(matrix))


def kernel_ui(key: str = "kernel", link: PageLink = NO_LINK) -> Kernel | None:
    """Pick a preset or type a kernel. Returns it, or None after showing a one-line error.

    A teacher's link may lock or hide the choice: locking "kernel" or "matrix" locks both the
    preset and the custom kernel, since either one is the kernel the learner sees."""
    locked = link.locked("kernel") or link.locked("matrix") or link.locked("mode")
    hidden = link.hidden("kernel") or link.hidden("matrix") or link.hidden("mode")
    if hidden:
        return _linked_kernel_only(key)
    mode = st.radio("Kernel", ["Preset", "Custom"], horizontal=True, key=f"{key}_mode",
                    disabled=locked)
    preset_name = st.selectbox("Preset", list(PRESET_KERNELS), key=f"{key}_preset",
                               index=list(PRESET_KERNELS).index("Sobel x"),
                               disabled=mode == "Custom" or locked,
                               help="A custom kernel starts from the selected preset.")
    preset = PRESET_KERNELS[preset_name]
    if mode == "Preset":
        st.session_state.pop(f"{key}_typed", None)  # "Custom" starts from the preset again
        link.record("matrix", None)
        _show_matrix(preset.matrix)
        st.caption(preset.caption)
        return preset
    if locked:
        return _linked_kernel_only(key)
    # A blur starts as whole numbers with the box ticked (64 ones divided by 64, not 64 copies
    # of 0.015625, which no grid cell can show).
    scale, multiples = common_fraction(preset.matrix)
    as_sum = scale != 1 and bool(np.isclose(float(np.sum(multiples) * scale), 1.0))
    normalise = st.checkbox(NORMALISE_LABEL, value=as_sum, key=f"{key}_normalise")
    # Streamlit forgets a grid's edits when the page is left or the grid is resized; the
    # kernel last typed (kept in the session) is where the grid starts again.
    typed = st.session_state.get(f"{key}_typed")
    start = typed if typed is not None else (multiples if as_sum else np.asarray(preset.matrix))
    try:
        matrix = _custom_kernel_ui(key, start)
        kernel = custom_kernel(matrix)
    except KernelError as error:
        st.error(str(error))
        return None
    st.session_state[f"{key}_typed"] = kernel.matrix
    if normalise:
        try:
            kernel = custom_kernel(normalise_kernel(matrix))
        except KernelError as error:
            # Name the box by its label, so the learner knows which one to untick.
            st.error(f"{error} Untick '{NORMALISE_LABEL}' to use them as they are.")
            return None
    _show_matrix(kernel.matrix)
    link.record("matrix", kernel.matrix)
    return kernel


def _linked_kernel_only(key: str) -> Kernel | None:
    """The kernel a teacher's link fixed, shown (locked) or not (hidden), never editable."""
    if st.session_state.get(f"{key}_mode") == "Custom":
        try:
            kernel = custom_kernel(parse_kernel(st.session_state.get(f"{key}_text", "")))
        except KernelError as error:
            st.error(str(error))
            return None
    else:
        kernel = PRESET_KERNELS[st.session_state.get(f"{key}_preset", "Sobel x")]
    if st.session_state.get(f"{key}_mode") != "Custom":
        st.markdown(f"**Kernel:** {kernel.name}")
    else:
        st.markdown("**Kernel:** the link's own")
    _show_matrix(kernel.matrix)
    return kernel
