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
    custom_kernel,
    format_kernel,
    kernel_from_grid,
    kernel_latex,
    normalise_kernel,
    parse_kernel,
)


def _custom_kernel_ui(key: str, start: np.ndarray) -> np.ndarray:
    how = st.radio("Enter the numbers", ["In a grid", "As text"], horizontal=True,
                   key=f"{key}_entry")
    if how == "As text":
        text = st.text_area("One row per line; spaces or commas between numbers; fractions "
                            "like 1/9 are fine", value=format_kernel(start), key=f"{key}_text",
                            height=120)
        return parse_kernel(text)
    size_cols = st.columns(2)
    rows = size_cols[0].number_input("Rows", 1, MAX_KERNEL_SIZE, start.shape[0], key=f"{key}_rows")
    cols = size_cols[1].number_input("Columns", 1, MAX_KERNEL_SIZE, start.shape[1],
                                     key=f"{key}_cols")
    grid = np.zeros((int(rows), int(cols)))
    h, w = min(rows, start.shape[0]), min(cols, start.shape[1])
    grid[:h, :w] = start[:h, :w]
    frame = pd.DataFrame(grid.astype(object), columns=[str(c + 1) for c in range(int(cols))])
    edited = st.data_editor(frame, key=f"{key}_grid_{rows}x{cols}", hide_index=True,
                            num_rows="fixed", width="content")
    return kernel_from_grid(edited.to_numpy().tolist())


def kernel_ui(key: str = "kernel") -> Kernel | None:
    """Pick a preset or type a kernel. Returns it, or None after showing a one-line error."""
    mode = st.radio("Kernel", ["Preset", "Custom"], horizontal=True, key=f"{key}_mode")
    preset_name = st.selectbox("Preset", list(PRESET_KERNELS), key=f"{key}_preset",
                               index=list(PRESET_KERNELS).index("Sobel x"),
                               disabled=mode == "Custom",
                               help="A custom kernel starts from the selected preset.")
    preset = PRESET_KERNELS[preset_name]
    if mode == "Preset":
        st.latex(kernel_latex(preset.matrix))
        st.caption(preset.caption)
        return preset
    normalise = st.checkbox("Divide by the sum of the weights (keeps brightness)",
                            key=f"{key}_normalise")
    try:
        matrix = _custom_kernel_ui(key, np.asarray(preset.matrix))
        kernel = custom_kernel(normalise_kernel(matrix) if normalise else matrix)
    except KernelError as error:
        st.error(str(error))
        return None
    st.latex(kernel_latex(kernel.matrix))
    return kernel
