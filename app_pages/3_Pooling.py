"""Pooling: max and average pooling shrink a feature map, stepped window by window."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn_core.data.images import shift_image
from cnn_core.maths.frames import pool_frames, size_formula_latex
from cnn_core.maths.pooling import (
    SHIFT_DIRECTIONS,
    dropped_cells_note,
    pool2d,
    shift_effect,
    shift_study_markdown,
)
from cnn_core.views.grid_figures import side_by_side_figure
from ui.formulas import formula
from ui.grid_widgets import (
    player_ui,
    pool_figure,
    pool_options_ui,
    pooling_input_ui,
    shift_study_table,
    sum_ui,
    text_section,
)
from ui.links import page_link
from ui.pooling_link import NOT_IN_LINK, PAGE, SHIFT_DISTANCES, pooling_settings

TEXT = "pooling.md"
NO_BAR = {"displayModeBar": False}

st.title("Pooling")
st.markdown(text_section(TEXT, "Intro"))
link = page_link(PAGE, pooling_settings(), NOT_IN_LINK)

controls = st.columns(2, gap="large")
with controls[0]:
    grid = pooling_input_ui("pool", link)
with controls[1]:
    mode, size, stride, padding = pool_options_ui("pool", link)

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
    sizes = st.columns([2, 1, 1], vertical_alignment="top")
    sizes[0].markdown(f"**Size:** {x.shape[0]}x{x.shape[1]} → {out_h}x{out_w} "
                      f"({before} numbers → {after})")
    sizes[1].metric("Numbers kept", f"{after} of {before}", f"{after / before - 1:.0%}",
                    delta_color="off", help="How much smaller the map is after pooling.")
    sizes[2].metric("Parameters to learn", "0")
    formula(size_formula_latex(x.shape[0], size, padding, stride, "rows"))
    if x.shape[1] != x.shape[0]:
        formula(size_formula_latex(x.shape[1], size, padding, stride, "columns"))
    dropped = dropped_cells_note(x.shape, size, padding, stride)
    if dropped:
        st.warning(dropped)
    st.caption(text_section(TEXT, "Parameters"))

st.caption(text_section(TEXT, "Player"))
player_ui(len(frames), "pool",
          lambda step: pool_figure(x, size, stride, mode, padding, step, grid.unit),
          lambda step: sum_ui(frames[step], len(frames)), link)

st.subheader("Does a small shift change the result?")
st.markdown(text_section(TEXT, "Shift"))
choice = st.columns(2)
direction = link.control("shift", choice[0].radio, "Move the map", list(SHIFT_DIRECTIONS),
                         horizontal=True, key="pool_shift")
distance = link.control("shift_by", choice[1].radio, "By", SHIFT_DISTANCES, horizontal=True,
                        key="pool_shift_by",
                        format_func=lambda d: f"{d} cell{'s' if d > 1 else ''}")
down, right = (distance * v for v in SHIFT_DIRECTIONS[direction])
moved = shift_image(x, down, right)
pooled = pool2d(x, size, stride, mode, padding)
pooled_moved = pool2d(moved, size, stride, mode, padding)
effect = shift_effect(x, moved, size, stride, mode, padding)
changed = ~np.isclose(pooled, pooled_moved)
st.plotly_chart(side_by_side_figure([pooled, pooled_moved],
                                    ["Pooled map", f"Pooled after moving {direction}"],
                                    "pooled value", outline=changed),
                key="pool_shift_figure", config=NO_BAR)
similar = ("" if np.isnan(effect.pooled_correlation) else
           f" The pooled maps before and after correlate at r = {effect.pooled_correlation:.2f}"
           f" (the input maps at r = {effect.input_correlation:.2f}; 1 means the same pattern "
           "in the same place).")
st.caption(f"Moving the map {distance} cell{'s' if distance > 1 else ''} {direction} (zeros "
           f"come in at the edge) changed {1 - effect.input_unchanged:.0%} of the input numbers "
           f"that are not zero and {1 - effect.pooled_unchanged:.0%} of the pooled ones "
           f"(outlined).{similar}")

name = {"max": "max", "avg": "average"}[mode]
st.markdown(f"**Measured over many inputs** ({name} pooling, {size}x{size} window, stride "
            f"{stride}, {padding}): the share of pooled numbers a shift leaves unchanged, and "
            "how alike the pooled maps stay (r, correlation). Medians over every map and the "
            "four directions.")
st.markdown(shift_study_markdown(shift_study_table(size, stride, mode, padding)))
st.markdown(text_section(TEXT, "Shift verdict"))
