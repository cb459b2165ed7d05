"""The grid figures: client-side animation frames, highlights, padding, labels."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from cnn_core.config import CLASSIC_GRID, PADDING_FILL
from cnn_core.data.grids import random_grid
from cnn_core.maths.frames import conv_frames
from cnn_core.views.grid_figures import (
    channels_figure,
    conv_animation_figure,
    pool_animation_figure,
    side_by_side_figure,
    wrap_arithmetic,
)

SEED_GRID = np.array(CLASSIC_GRID)
VERTICAL_EDGE = np.array([[1, 0, -1]] * 3)


def overlay(fig: go.Figure, axis: str, name: str) -> go.Scatter:
    """The first highlight trace called `name` ("outer", "inner", "cover") on x axis `axis`."""
    return next(t for t in fig.data if t.type == "scatter" and t.name == name and t.xaxis == axis)


def box(trace) -> tuple[float, float, float, float]:
    xs = [v for v in trace.x if v is not None][:5]
    ys = [v for v in trace.y if v is not None][:5]
    return min(xs), max(xs), min(ys), max(ys)


def test_conv_animation_has_one_frame_per_output_cell_and_a_player():
    fig = conv_animation_figure(SEED_GRID, VERTICAL_EDGE)
    assert len(fig.frames) == 9
    assert [f.name for f in fig.frames] == [str(i) for i in range(9)]
    assert fig.frames[0].layout.title.text == "output (0, 0): " + (
        "3x1 + 1x1 + 2x1 + 2x0 + 9x0 + 3x0 + 3x(-1) + 1x(-1) + 5x(-1) = -3")
    assert fig.frames[1].layout.title.text.endswith("= 4")
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["▶ Play", "❚❚ Pause"]
    assert all(b.method == "animate" for b in buttons)
    assert buttons[0].args[1]["fromcurrent"] is True
    steps = fig.layout.sliders[0].steps
    assert len(steps) == 9 and list(steps[4].args[0]) == ["4"]
    # Frames only touch the highlight traces, never the heat maps: cheap to play.
    heatmaps = [i for i, t in enumerate(fig.data) if t.type == "heatmap"]
    assert not set(fig.frames[0].traces) & set(heatmaps)
    json.loads(fig.to_json())  # serialisable as Streamlit sends it


@pytest.mark.parametrize("step", [0, 4, 8])
def test_the_figure_opens_on_the_chosen_step(step):
    fig = conv_animation_figure(SEED_GRID, VERTICAL_EDGE, step=step)
    row, col = divmod(step, 3)
    assert fig.layout.sliders[0].active == step
    assert fig.layout.title.text.startswith(f"output ({row}, {col}):")
    assert box(overlay(fig, "x", "inner")) == (col - 0.5, col + 2.5, row - 0.5, row + 2.5)
    assert box(overlay(fig, "x3", "inner")) == (col - 0.5, col + 0.5, row - 0.5, row + 0.5)


def test_output_cells_not_yet_computed_are_covered():
    fig = conv_animation_figure(SEED_GRID, VERTICAL_EDGE, step=4)  # output (1, 1)
    cover = overlay(fig, "x3", "cover")
    assert cover.fill == "toself"
    # Two blocks: the rest of row 1 (column 2) and all of row 2.
    assert list(cover.x).count(None) == 1
    rest, below = (cover.x[:5], cover.y[:5]), (cover.x[6:], cover.y[6:])
    assert (min(rest[0]), max(rest[0]), min(rest[1]), max(rest[1])) == (1.5, 2.5, 0.5, 1.5)
    assert (min(below[0]), max(below[0]), min(below[1]), max(below[1])) == (-0.5, 2.5, 1.5, 2.5)
    last = conv_animation_figure(SEED_GRID, VERTICAL_EDGE, step=8)
    assert list(overlay(last, "x3", "cover").x) == [None]


def test_same_padding_draws_zeros_distinctly_and_labels_input_coordinates():
    fig = conv_animation_figure(SEED_GRID, VERTICAL_EDGE, "same", 2, value_label="pixel")
    assert len(fig.frames) == 9
    padding = next(t for t in fig.data if t.name == "padding")
    assert padding.colorscale[0][1] == PADDING_FILL
    assert set(np.asarray(padding.text).ravel()) == {"", "0"}
    main = fig.data[0]
    assert list(main.x) == list(range(-1, 6))  # padding sits at column -1 and 5
    assert main.colorbar.title.text == "pixel"
    assert "padded to 7x7" in fig.layout.annotations[0].text
    assert fig.layout.xaxis.title.text == "column" and fig.layout.yaxis.title.text == "row"
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # row 0 at the top
    assert {t.colorbar.title.text for t in fig.data if t.type == "heatmap" and t.name
            != "padding"} == {"pixel", "weight", "output value"}


def test_long_sums_are_wrapped():
    text = wrap_arithmetic("1x1 + " * 24 + "1x1 = 25")
    assert text.count("<br>") == 2 and text.endswith("= 25")
    assert wrap_arithmetic("max(1, 2) = 2") == "max(1, 2) = 2"
    fig = conv_animation_figure(random_grid(6, 1), np.ones((5, 5)))
    assert fig.layout.margin.t > conv_animation_figure(SEED_GRID, VERTICAL_EDGE).layout.margin.t


def test_pool_animation_circles_the_kept_number():
    fig = pool_animation_figure(SEED_GRID, 2, 2, "max", "same", step=0)
    assert len(fig.frames) == 9
    assert fig.layout.title.text == "output (0, 0): max(3, 2, 1, 9) = 9"
    inner = overlay(fig, "x", "inner")
    circle = [v for v in inner.x[6:] if v is not None]
    assert np.mean(circle) == pytest.approx(1, abs=0.05)  # the 9 at row 1, column 1
    padding = next(t for t in fig.data if t.name == "padding")
    assert "pad" in set(np.asarray(padding.text).ravel())
    # The pooled map shares the input's colours, so a kept number keeps its colour.
    assert (fig.data[-6].zmin, fig.data[-6].zmax) == (1, 9)
    avg = pool_animation_figure(SEED_GRID, 2, 2, "avg", step=3)
    assert avg.layout.title.text == "output (1, 1): (5 + 6 + 3 + 5) / 4 = 4.75"


def test_large_grids_are_heat_maps_without_numbers():
    fig = pool_animation_figure(random_grid(28, 1), 2, 2)
    assert fig.data[0].texttemplate is None
    assert len(fig.frames) == 196


def test_channels_figure_outlines_the_window_on_every_channel():
    x = random_grid(5, 3, channels=3)
    kernel = random_grid(3, 4, low=-1, high=1, channels=3)
    frame = conv_frames(x, kernel)[4]
    fig = channels_figure(x, frame, np.zeros((3, 3)))
    assert [a.text for a in fig.layout.annotations] == [
        "<b>Red channel</b>", "<b>Green channel</b>", "<b>Blue channel</b>",
        "<b>Output: one map</b>"]
    for axis in ("x", "x2", "x3"):
        assert box(overlay(fig, axis, "inner")) == (0.5, 3.5, 0.5, 3.5)
    assert box(overlay(fig, "x4", "inner")) == (0.5, 1.5, 0.5, 1.5)


def test_side_by_side_shares_one_colour_range_and_outlines_changes():
    a, b = np.zeros((3, 3)), np.full((3, 3), 4.0)
    fig = side_by_side_figure([a, b], ["before", "after"], "value",
                              outline=np.eye(3, dtype=bool))
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert {(t.zmin, t.zmax) for t in heat} == {(0, 4)}
    assert [t.showscale for t in heat] == [True, False]
    assert overlay(fig, "x2", "inner").x.count(None) == 2  # three boxes
