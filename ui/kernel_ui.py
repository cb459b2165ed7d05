"""Kernel picking: presets with their matrix and caption, or a custom grid / text entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core.config import MAX_KERNEL_SIZE
from cnn_core.maths.kernels import (
    PRESET_KERNELS,
    KernelError,
    format_kernel,
    kernel_from_grid,
    normalise_kernel,
    parse_kernel,
)


@dataclass(frozen=True)
class ChosenKernel:
    name: str
    matrix: np.ndarray = field(repr=False)
    caption: str
    signed_output: bool


def kernel_latex(matrix: np.ndarray) -> str:
    """A kernel as a LaTeX matrix, pulling out a common fraction (1/9, 1/16) when there is one."""
    scale = Fraction(1)
    values = np.asarray(matrix, dtype=np.float64)
    smallest = np.min(np.abs(values[values != 0])) if np.any(values) else 1.0
    guess = Fraction(float(smallest)).limit_denominator(256)
    if guess.numerator == 1 and guess.denominator > 1 and np.allclose(
            values / float(guess), np.rint(values / float(guess)), atol=1e-9):
        scale, values = guess, np.rint(values / float(guess))

    def cell(v: float) -> str:
        return f"{v:g}" if float(v).is_integer() else f"{v:.3g}"

    body = r" \\ ".join(" & ".join(cell(v) for v in row) for row in values)
    prefix = rf"\frac{{1}}{{{scale.denominator}}}" if scale != 1 else ""
    return rf"{prefix}\begin{{bmatrix}} {body} \end{{bmatrix}}"


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


def kernel_ui(key: str = "kernel") -> ChosenKernel | None:
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
        return ChosenKernel(preset.name, np.asarray(preset.matrix), preset.caption,
                            preset.signed_output)
    normalise = st.checkbox("Divide by the sum of the weights (keeps brightness)",
                            key=f"{key}_normalise")
    try:
        matrix = _custom_kernel_ui(key, np.asarray(preset.matrix))
        if normalise:
            matrix = normalise_kernel(matrix)
    except KernelError as error:
        st.error(str(error))
        return None
    st.latex(kernel_latex(matrix))
    signed = bool(np.any(matrix < 0))
    return ChosenKernel("Custom", matrix, "Your own kernel.", signed)
