"""Sliding window: a kernel moves over a grid of numbers and fills the output cell by cell."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn_core.config import SEED, SIGNED_SCALE, SLIDING_WINDOW_OUTPUT_KEY
from cnn_core.data.grids import random_grid
from cnn_core.maths.convolution import conv_parameters, convolve2d, feature_map_stack
from cnn_core.maths.frames import conv_frames, size_formula_latex
from cnn_core.maths.kernels import PRESET_KERNELS
from cnn_core.maths.windows import pad
from cnn_core.views.grid_figures import channels_figure, side_by_side_figure
from ui.formulas import formula
from ui.grid_widgets import (
    conv_figure,
    input_grid_ui,
    padding_stride_ui,
    player_ui,
    sum_ui,
    text_section,
    window_kernel_ui,
)
from ui.links import page_link
from ui.sliding_window_link import (
    DEFAULT_FILTERS,
    MAX_FILTERS,
    NOT_IN_LINK,
    PAGE,
    sliding_window_settings,
)

TEXT = "sliding_window.md"
NO_BAR = {"displayModeBar": False}

st.title("Sliding window")
st.markdown(text_section(TEXT, "Intro"))
link = page_link(PAGE, sliding_window_settings(), NOT_IN_LINK)

controls = st.columns(2, gap="large")
with controls[0]:
    grid = input_grid_ui("sw_grid", link)
    padding, stride = padding_stride_ui("sw", link=link)
with controls[1]:
    chosen = window_kernel_ui("sw_kernel", link)

if grid is None or chosen is None:
    st.stop()
name, kernel = chosen.name, chosen.matrix
x = grid.values
try:
    frames = conv_frames(x, kernel, padding, stride)
except ValueError as error:
    st.error(str(error))
    st.stop()
out_h, out_w = frames[-1].row + 1, frames[-1].col + 1
output = np.array([f.value for f in frames]).reshape(out_h, out_w)
st.session_state[SLIDING_WINDOW_OUTPUT_KEY] = {
    "values": output, "label": f"{grid.name} through {name} ({padding}, stride {stride})"}

padded = pad(x, kernel.shape, padding, stride).shape
with st.container(border=True):
    st.markdown(f"**Shapes:** input {x.shape[0]}x{x.shape[1]} → padded "
                f"{padded[0]}x{padded[1]} → output {out_h}x{out_w}")
    formula(size_formula_latex(x.shape[0], kernel.shape[0], padding, stride, "rows"))
    if x.shape[1] != x.shape[0] or kernel.shape[1] != kernel.shape[0]:
        formula(size_formula_latex(x.shape[1], kernel.shape[1], padding, stride, "columns"))
    with st.expander("How the size is worked out"):
        st.markdown(text_section(TEXT, "Sizes"))

steps_tab, channels_tab, filters_tab = st.tabs(
    ["Step by step", "Three colour channels", "Several filters"])

with steps_tab:
    st.caption(text_section(TEXT, "Player"))

    def describe(step: int) -> None:
        sum_ui(frames[step], len(frames))
        if grid.name == "Edge 6x6":
            st.caption(text_section(TEXT, "Edge"))

    player_ui(len(frames), "sw",
              lambda step: conv_figure(x, kernel, padding, stride, step, grid.unit), describe,
              link)

with channels_tab:
    st.markdown(text_section(TEXT, "Channels"))
    rgb = random_grid(5, SEED, channels=3)
    rgb_kernel = random_grid(3, SEED + 1, low=-1, high=1, channels=3)
    rgb_frames = conv_frames(rgb, rgb_kernel)
    rgb_output = convolve2d(rgb, rgb_kernel)

    def describe_rgb(step: int) -> None:
        sum_ui(rgb_frames[step], len(rgb_frames))
        st.caption("The 3x3x3 kernel here (one 3x3 slice per channel): "
                   + "; ".join(f"{c}: {rgb_kernel[:, :, i].astype(int).tolist()}"
                               for i, c in enumerate(("red", "green", "blue"))))

    player_ui(len(rgb_frames), "sw_rgb",
              lambda step: channels_figure(rgb, rgb_frames[step], rgb_output), describe_rgb,
              link, "rgb_step")

with filters_tab:
    st.markdown(text_section(TEXT, "Filters"))
    names = [n for n, k in PRESET_KERNELS.items() if k.matrix.shape == (3, 3)]
    picked = link.control("filters", st.multiselect, "Filters in this layer", names,
                          key="sw_filters", max_selections=MAX_FILTERS, default=DEFAULT_FILTERS)
    if not picked:
        st.info("Pick at least one filter to see its feature map.")
    else:
        try:
            maps = feature_map_stack(x, [PRESET_KERNELS[n].matrix for n in picked],
                                     padding, stride)
        except ValueError as error:
            st.error(str(error))
        else:
            st.plotly_chart(side_by_side_figure([maps[:, :, i] for i in range(len(picked))],
                                                picked, "output value", SIGNED_SCALE),
                            key="sw_stack", config=NO_BAR)
            count = conv_parameters(3, 1, len(picked))
            st.latex(rf"k \cdot k \cdot c_{{in}} \cdot c_{{out}} + c_{{out}} = 3 \cdot 3 \cdot 1"
                     rf" \cdot {len(picked)} + {len(picked)} = {count} \text{{ parameters}}")
            st.caption(f"Output shape {maps.shape[0]} x {maps.shape[1]} x {maps.shape[2]}: one "
                       "map per filter, stacked like the channels of an image. A colour input "
                       f"(3 channels) would need {conv_parameters(3, 3, len(picked))}.")
