"""The grid figures: one step at a time, highlights, padding, labels, layout."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from cnn_core.config import CLASSIC_GRID, PADDING_FILL
from cnn_core.data.grids import random_grid
from cnn_core.maths.frames import conv_frames, pool_frames
from cnn_core.views.grid_figures import (
    GAP_PX,
    PLOT_WIDTH_PX,
    channels_figure,
    conv_step_figure,
    pool_step_figure,
    side_by_side_figure,
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


def test_a_step_figure_is_one_still_picture():
    # The page steps on the server, so the figure carries no plotly frames or player of its
    # own that could show a different step from the page's slider and sum.
    fig = conv_step_figure(SEED_GRID, VERTICAL_EDGE, step=3)
    assert not fig.frames and not fig.layout.updatemenus and not fig.layout.sliders
    json.loads(fig.to_json())  # serialisable as Streamlit sends it


@pytest.mark.parametrize("step", [0, 4, 8])
def test_the_figure_shows_the_chosen_step(step):
    fig = conv_step_figure(SEED_GRID, VERTICAL_EDGE, step=step)
    frame = conv_frames(SEED_GRID, VERTICAL_EDGE)[step]
    top, left = frame.input_position
    assert box(overlay(fig, "x", "inner")) == (left - 0.5, left + 2.5, top - 0.5, top + 2.5)
    assert box(overlay(fig, "x3", "inner")) == (frame.col - 0.5, frame.col + 0.5,
                                                frame.row - 0.5, frame.row + 0.5)


def test_output_cells_not_yet_computed_are_covered():
    fig = conv_step_figure(SEED_GRID, VERTICAL_EDGE, step=4)  # output (1, 1)
    cover = overlay(fig, "x3", "cover")
    assert cover.fill == "toself"
    # Two blocks: the rest of row 1 (column 2) and all of row 2.
    assert list(cover.x).count(None) == 1
    rest, below = (cover.x[:5], cover.y[:5]), (cover.x[6:], cover.y[6:])
    assert (min(rest[0]), max(rest[0]), min(rest[1]), max(rest[1])) == (1.5, 2.5, 0.5, 1.5)
    assert (min(below[0]), max(below[0]), min(below[1]), max(below[1])) == (-0.5, 2.5, 1.5, 2.5)
    last = conv_step_figure(SEED_GRID, VERTICAL_EDGE, step=8)
    assert list(overlay(last, "x3", "cover").x) == [None]


def test_same_padding_draws_zeros_distinctly_and_labels_input_coordinates():
    fig = conv_step_figure(SEED_GRID, VERTICAL_EDGE, "same", 2, value_label="pixel")
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


def test_pool_animation_circles_the_kept_number():
    fig = pool_step_figure(SEED_GRID, 2, 2, "max", "same", step=0)
    kept = pool_frames(SEED_GRID, 2, 2, "max", "same")[0].kept
    inner = overlay(fig, "x", "inner")
    circle_x = [v for v in inner.x[6:] if v is not None]
    circle_y = [v for v in inner.y[6:] if v is not None]
    assert np.mean(circle_x) == pytest.approx(kept[1], abs=0.05)
    assert np.mean(circle_y) == pytest.approx(kept[0], abs=0.05)
    # Around the number, not over it: the ring keeps to the edge of the kept cell.
    distances = np.hypot(np.array(circle_x) - kept[1], np.array(circle_y) - kept[0])
    assert distances.min() >= 0.44 and distances.max() <= 0.5
    padding = next(t for t in fig.data if t.name == "padding")
    assert "pad" in set(np.asarray(padding.text).ravel())
    # The pooled map shares the input's colours, so a kept number keeps its colour.
    assert (fig.data[-6].zmin, fig.data[-6].zmax) == (1, 9)
    avg = pool_step_figure(SEED_GRID, 2, 2, "avg", step=3)
    assert len([t for t in avg.data if t.name == "inner"]) == 2 and not any(
        t.name == "inner" and len(t.x) > 6 for t in avg.data)  # no circle: average keeps none


def test_large_grids_are_heat_maps_without_numbers():
    fig = pool_step_figure(random_grid(28, 1), 2, 2)
    assert fig.data[0].texttemplate is None


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


def _panel_pixels(fig) -> list[tuple[float, float, float]]:
    """(left, right, cell) in pixels of every panel's x axis, at PLOT_WIDTH_PX."""
    out = []
    for name in sorted(k for k in fig.layout.to_plotly_json() if k.startswith("xaxis")):
        axis = fig.layout[name]
        yaxis = fig.layout["yaxis" + name[5:]]
        cells = axis.range[1] - axis.range[0]
        rows = abs(yaxis.range[0] - yaxis.range[1])
        height_px = (yaxis.domain[1] - yaxis.domain[0]) * (fig.layout.height - fig.layout.margin.t
                                                           - fig.layout.margin.b)
        cell = min((axis.domain[1] - axis.domain[0]) * PLOT_WIDTH_PX / cells, height_px / rows)
        out.append((axis.domain[0] * PLOT_WIDTH_PX, axis.domain[0] * PLOT_WIDTH_PX + cell * cells,
                    cell))
    return out


@pytest.mark.parametrize("fig", [
    conv_step_figure(random_grid(6, 1), VERTICAL_EDGE, "same"),
    conv_step_figure(random_grid(16, 1), np.ones((5, 5)), "same"),
    pool_step_figure(random_grid(6, 1) * 100, 2, 2),
    pool_step_figure(random_grid(16, 1), 3, 1, padding="same"),
], ids=["conv 6x6", "conv 16x16 5x5", "pool 6x6", "pool 16x16"])
def test_panels_leave_room_for_row_numbers_and_share_one_cell_size(fig):
    # On a 1024-pixel projector the plot area is about PLOT_WIDTH_PX wide: each panel must
    # leave the next one GAP_PX for its row numbers and "row" title, and fit in the figure.
    panels = _panel_pixels(fig)
    for (_, right, _), (left, _, _) in zip(panels, panels[1:], strict=False):
        assert left - right >= GAP_PX - 0.5
    assert panels[-1][1] <= PLOT_WIDTH_PX + 0.5
    cells = [cell for _, _, cell in panels]
    assert max(cells) - min(cells) < 0.5  # square cells of one size in every panel
