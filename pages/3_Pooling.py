"""Pooling: max and average pooling shrink a feature map, animated window by window."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn_core.data.images import shift_image
from cnn_core.maths.frames import pool_frames, size_formula_latex
from cnn_core.maths.pooling import pool2d, unchanged_fraction
from cnn_core.views.grid_figures import side_by_side_figure
from ui.grid_widgets import (
    pool_figure,
    pool_options_ui,
    pooling_input_ui,
    step_ui,
    text_section,
)

TEXT = "pooling.md"
NO_BAR = {"displayModeBar": False}
SHIFTS = {"right": (0, 1), "down": (1, 0), "left": (0, -1), "up": (-1, 0)}

st.title("Pooling")
st.markdown(text_section(TEXT, "Intro"))

controls = st.columns([1.3, 1], gap="large")
with controls[0]:
    grid = pooling_input_ui("pool")
with controls[1]:
    mode, size, stride, padding = pool_options_ui("pool")

if grid is None:
    st.stop()
x = grid.values
try:
    frames = pool_frames(x, size, stride, mode, padding)
except ValueError as error:
    st.error(str(error))
    st.stop()
out_h, out_w = frames[-1].row + 1, frames[-1].col + 1

before, after = x.size, out_h * out_w
with st.container(border=True):
    sizes = st.columns([2.2, 1, 1], vertical_alignment="center")
    sizes[0].markdown(f"**Size:** {x.shape[0]}x{x.shape[1]} → {out_h}x{out_w} "
                      f"({before} numbers → {after})")
    with sizes[0]:
        st.latex(r"\text{rows: }" + size_formula_latex(x.shape[0], size, padding, stride))
    sizes[1].metric("Numbers kept", f"{after} of {before}", f"{after / before - 1:.0%}",
                    delta_color="off", help="How much smaller the map is after pooling.")
    sizes[2].metric("Parameters to learn", "0")
    st.caption(text_section(TEXT, "Parameters"))

st.caption(text_section(TEXT, "Player"))
chart = st.container()
step = step_ui(len(frames), "pool")
frame = frames[step]
chart.plotly_chart(pool_figure(x, size, stride, mode, padding, step, grid.unit),
                   key="pool_animation", config=NO_BAR)
top, left = frame.input_position
st.markdown(f"**Step {step + 1} of {len(frames)}: output row {frame.row}, column {frame.col}** "
            f"(window from input row {top}, column {left})")
st.code(frame.arithmetic, language=None, wrap_lines=True)

st.subheader("Does a one-cell shift change the result?")
direction = st.radio("Shift the input by one cell", list(SHIFTS), horizontal=True,
                     key="pool_shift")
moved = shift_image(x, *SHIFTS[direction])
pooled = pool2d(x, size, stride, mode, padding)
pooled_moved = pool2d(moved, size, stride, mode, padding)
changed = ~np.isclose(pooled, pooled_moved)
st.plotly_chart(side_by_side_figure([pooled, pooled_moved],
                                    ["Pooled input", f"Pooled after a shift {direction}"],
                                    "pooled value", outline=changed),
                key="pool_shift_figure", config=NO_BAR)
input_same = unchanged_fraction(x, moved)
pooled_same = unchanged_fraction(pooled, pooled_moved)
hidden = (1 - pooled_same) < 0.75 * (1 - input_same)
st.caption(f"The shift changed {1 - input_same:.0%} of the input numbers and "
           f"{1 - pooled_same:.0%} of the pooled ones (outlined). "
           + text_section(TEXT, "Shift hidden" if hidden else "Shift not hidden"))
st.caption(text_section(TEXT, "Shift"))
