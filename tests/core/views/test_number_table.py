"""The inspector's number tables: the colours of plotly's scales on fixed ranges, numbers that
read on every cell, places named, and nothing a number could inject."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from plotly.colors import sample_colorscale

from cnn_core.views.number_table import (
    DARK_CELL_LUMINANCE,
    cell_colour,
    number_table_html,
    relative_luminance,
    text_colour,
)
from tests.core.views.number_table_cells import table_cells, table_headers

GREY = [[0.0, "rgb(0, 0, 0)"], [1.0, "rgb(255, 255, 255)"]]


def test_cells_are_the_grid_row_by_row_with_their_numbers():
    grid = np.array([[1, -2.5, 0], [255, 0.125, -0.0]])
    cells = table_cells(number_table_html(grid, -255, 255, "RdBu", unit="weight"))
    assert [[cell.text for cell in row] for row in cells] == [["1", "-2.5", "0"],
                                                               ["255", "0.125", "0"]]
    assert cells[1][0].title == "row 1, column 0: 255 (weight)"


def test_rows_and_columns_are_numbered_from_0_like_an_image():
    headers = table_headers(number_table_html(np.zeros((2, 4)), 0, 1, GREY))
    assert headers[0] == ["", "column"]
    assert headers[1] == ["row", "0", "1", "2", "3"]
    assert [row[0] for row in headers[2:]] == ["0", "1"]


def test_colours_are_plotlys_scale_on_the_fixed_range():
    """The same value gets the same colour whatever else is in the grid: 154 and 162 look
    alike beside 0 or beside 255, since the range is given, not taken from the numbers."""
    alone = table_cells(number_table_html(np.array([[154.0, 162.0]]), 0, 255, GREY))[0]
    beside = table_cells(number_table_html(np.array([[154.0, 162.0, 0.0, 255.0]]), 0, 255,
                                           GREY))[0]
    assert [c.background for c in alone] == [c.background for c in beside[:2]]
    assert alone[0].background == sample_colorscale(GREY, [154 / 255])[0]
    assert beside[2].background == "rgb(0, 0, 0)" and beside[3].background == "rgb(255, 255, 255)"


def test_signed_scale_is_red_below_0_white_at_0_and_blue_above():
    low, middle, high = (cell_colour(v, -4, 4, "RdBu") for v in (-4, 0, 4))
    red, green, blue = (int(c) for c in low[4:-1].split(","))
    assert red > blue
    red, green, blue = (int(c) for c in high[4:-1].split(","))
    assert blue > red
    assert relative_luminance(middle) > 0.9


def test_values_beyond_the_range_take_its_end_colours():
    assert cell_colour(-1000, -4, 4, "RdBu") == cell_colour(-4, -4, 4, "RdBu")
    assert cell_colour(1000, -4, 4, "RdBu") == cell_colour(4, -4, 4, "RdBu")


def test_an_empty_range_and_not_a_number_still_get_a_colour():
    assert cell_colour(3, 3, 3, GREY) == sample_colorscale(GREY, [0.5])[0]
    cells = table_cells(number_table_html(np.array([[np.nan, np.inf]]), 0, 1, GREY))[0]
    assert [c.text for c in cells] == ["nan", "inf"]
    assert all(c.background.startswith("rgb(") for c in cells)


@given(st.floats(0, 1), st.sampled_from(["RdBu", "Viridis", "Greys"]))
def test_every_number_contrasts_with_its_cell(position, scale):
    background = sample_colorscale(scale, [position])[0]
    luminance = relative_luminance(background)
    text = 1.0 if text_colour(background) == "white" else 0.0
    contrast = (max(luminance, text) + 0.05) / (min(luminance, text) + 0.05)
    other = (max(luminance, 1 - text) + 0.05) / (min(luminance, 1 - text) + 0.05)
    assert contrast >= other  # the better of black and white, at least 4.58 : 1
    assert contrast >= 4.5


def test_black_and_white_swap_where_they_contrast_equally():
    def contrast(first: float, second: float) -> float:
        return (max(first, second) + 0.05) / (min(first, second) + 0.05)

    assert contrast(DARK_CELL_LUMINANCE, 1.0) == pytest.approx(
        contrast(DARK_CELL_LUMINANCE, 0.0), rel=0.01)
    assert text_colour("rgb(0, 0, 0)") == "white" and text_colour("rgb(110, 110, 110)") == "white"
    assert text_colour("rgb(125, 125, 125)") == "black"
    assert text_colour("rgb(255, 255, 255)") == "black"


def test_unit_is_escaped_in_the_tooltip():
    html = number_table_html(np.ones((1, 1)), 0, 1, GREY, unit='<b onclick="x">"')
    assert "<b " not in html and table_cells(html)[0][0].title.endswith('(<b onclick="x">")')


def test_only_two_dimensional_grids():
    with pytest.raises(ValueError, match="2-D"):
        number_table_html(np.ones(3), 0, 1, GREY)
