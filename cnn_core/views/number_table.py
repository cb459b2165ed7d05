"""A small grid of numbers as an HTML table, every cell coloured by its value on a fixed scale:
the pixel inspector's window, weights and products.

A table rather than a plotly heat map: the inspector redraws three of them on every kernel
change, and a browser lays out a table in a fraction of the time a chart takes (the three
charts were about a third of the kernel page's drawing time, which a class's shared server
feels most). The numbers are text, so they stay sharp on a projector and wrap with the page.
"""

from __future__ import annotations

from html import escape

import numpy as np
from plotly.colors import sample_colorscale, unlabel_rgb

from cnn_core.maths.frames import format_number

Colorscale = str | list[list[float | str]]

# Below this relative luminance (0 black, 1 white) a cell's number is written in white: at
# 0.179 white and black text contrast equally with the cell (WCAG contrast ratios), so either
# side of it the chosen one contrasts more.
DARK_CELL_LUMINANCE = 0.179
NOT_A_NUMBER_COLOUR = "rgb(200, 200, 200)"


def cell_colours(values: np.ndarray, low: float, high: float,
                 colorscale: Colorscale) -> list[str]:
    """The colour of each of `values` (flattened, row by row) on `colorscale` stretched from
    `low` to `high` ("rgb(r, g, b)"), as a plotly heat map with zmin=low and zmax=high
    colours it; values outside are clipped. One call to plotly for the whole grid: a 15x15
    grid cell by cell took about 45 ms, three times on every kernel change."""
    values = np.asarray(values, dtype=np.float64).ravel()
    finite = np.isfinite(values)
    positions = (np.full(values.shape, 0.5) if high <= low
                 else np.clip((np.where(finite, values, low) - low) / (high - low), 0.0, 1.0))
    sampled = sample_colorscale(colorscale, positions.tolist()) if len(values) else []
    return [colour if ok else NOT_A_NUMBER_COLOUR
            for colour, ok in zip(sampled, finite, strict=True)]


def cell_colour(value: float, low: float, high: float, colorscale: Colorscale) -> str:
    """The colour of one value, as `cell_colours` gives it."""
    return cell_colours(np.array([value]), low, high, colorscale)[0]


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of an "rgb(r, g, b)" colour: 0 for black, 1 for white."""
    def linear(channel: float) -> float:
        channel /= 255
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(float(c)) for c in unlabel_rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def text_colour(background: str) -> str:
    """Black on light cells, white on dark ones, so every number reads."""
    return "white" if relative_luminance(background) < DARK_CELL_LUMINANCE else "black"


def number_table_html(values: np.ndarray, low: float, high: float, colorscale: Colorscale,
                      unit: str = "value", cell_px: int = 30) -> str:
    """A table of the (H, W) grid `values`, row 0 at the top as in an image, columns numbered
    across the top under "column" and rows down the side under "row"; each cell shows its
    number on its colour (`cell_colour`), and hovering it names its place, value and unit."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"A number table needs a 2-D grid, not shape {values.shape}.")
    height, width = values.shape
    font_px = 14 if max(height, width) <= 8 else 10
    label = "color: #555; font-weight: normal; font-size: 12px; padding: 0 4px;"
    cell = (f"min-width: {cell_px}px; height: {cell_px}px; padding: 0 2px; text-align: center;"
            f" font-size: {font_px}px; font-variant-numeric: tabular-nums; border: 1px solid"
            " white; white-space: nowrap;")
    rows = [f'<tr><th style="{label}"></th><th colspan="{width}" style="{label}">column</th>'
            "</tr>",
            f'<tr><th style="{label}">row</th>'
            + "".join(f'<th style="{label}">{c}</th>' for c in range(width)) + "</tr>"]
    backgrounds = iter(cell_colours(values, low, high, colorscale))
    for r in range(height):
        cells = []
        for c in range(width):
            value = float(values[r, c])
            background = next(backgrounds)
            number = escape(format_number(value))
            tooltip = escape(f"row {r}, column {c}: {number} ({unit})")
            cells.append(f'<td title="{tooltip}" style="{cell} background: {background};'
                         f' color: {text_colour(background)};">{number}</td>')
        rows.append(f'<tr><th style="{label}">{r}</th>{"".join(cells)}</tr>')
    return ('<div style="overflow-x: auto;"><table style="border-collapse: collapse;'
            ' margin: 0;">' + "".join(rows) + "</table></div>")
