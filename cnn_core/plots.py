"""Plotly figures shared by pages. Functions return go.Figure and never call Streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnn_core.config import SEQUENTIAL_SCALE


def format_number(value: float) -> str:
    """Short text for a cell: integers without '.0', others with up to 3 significant digits."""
    value = float(value)
    if value.is_integer():
        return f"{int(value)}"
    return f"{value:.3g}"


def number_grid_figure(values: np.ndarray, title: str = "", colorbar_title: str = "value",
                       colorscale: str = SEQUENTIAL_SCALE, cell_px: int = 34,
                       show_numbers: bool = True) -> go.Figure:
    """A heat map of a small 2-D grid with every number written in its cell.

    values: (H, W) numbers. Row 0 is drawn at the top, as in an image. The colour scale
    is lightness-monotonic so the grid still reads when printed in greyscale.
    """
    values = np.asarray(values, dtype=np.float64)
    height, width = values.shape
    text = [[format_number(v) for v in row] for row in values] if show_numbers else None
    fig = go.Figure(go.Heatmap(
        z=values, text=text, texttemplate="%{text}" if show_numbers else None,
        textfont={"size": 12 if max(height, width) <= 8 else 9},
        colorscale=colorscale, colorbar={"title": {"text": colorbar_title}, "thickness": 12},
        hovertemplate="row %{y}, column %{x}: %{z:.4g}<extra></extra>",
        xgap=1, ygap=1,
    ))
    fig.update_yaxes(autorange="reversed", title_text="row", scaleanchor="x", constrain="domain",
                     dtick=1 if height <= 16 else None)
    fig.update_xaxes(title_text="column", side="top", constrain="domain",
                     dtick=1 if width <= 16 else None)
    side = max(220, min(520, cell_px * max(height, width) + 110))
    fig.update_layout(title={"text": title, "font": {"size": 14}, "y": 0.02, "yanchor": "bottom"},
                      height=side, margin={"l": 40, "r": 10, "t": 40, "b": 40},
                      plot_bgcolor="white")
    return fig
