"""Plotly figures of small number grids, one step of a sliding window at a time (no Streamlit).

A figure is a row of panels (input, kernel, output, ...), each a heat map with a number in
every cell. A step figure outlines the window on the input and the cell it fills; the
pages step through them on the server (Play included), so what the figure shows is always
the step the page's controls and written sum show. Padded cells are drawn in light grey
with a grey "0" (or "pad"); cells of the output that are not computed yet are blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from cnn_core.config import (
    HIGHLIGHT_INNER,
    HIGHLIGHT_OUTER,
    MAX_NUMBERED_GRID,
    PADDING_FILL,
    SEQUENTIAL_SCALE,
    SIGNED_SCALE,
)
from cnn_core.maths.frames import ConvFrame, PoolFrame, conv_frames, format_number, pool_frames
from cnn_core.maths.pooling import PoolMode
from cnn_core.maths.windows import Padding, sliding_windows

# The plot area (figure minus margins) that the cells are sized for: what a 1024-pixel-wide
# projector leaves beside the sidebar. Wider screens draw the same cells with wider gaps
# (the panels keep square cells and their height), so nothing overlaps at any width.
PLOT_WIDTH_PX = 480
# Between two panels: room for the next panel's row numbers and its "row" title.
GAP_PX = 52
MIN_GAP = 1.6  # cells
# Margins in pixels: panel titles on top, colour bars below.
TOP_PX, BOTTOM_PX = 50, 120
# Weights in grey, from dark to light, stopping short of white so no cell vanishes.
KERNEL_SCALE = [[0.0, "#2b2b2b"], [1.0, "#e2e2e2"]]


@dataclass(frozen=True, eq=False)
class Panel:
    """One heat map. values: (h, w) numbers, NaN for padded cells. origin: the (row, col)
    label of values[0, 0] (negative when padding comes first)."""

    values: np.ndarray = field(repr=False)
    title: str
    colorbar: str
    colorscale: str = SEQUENTIAL_SCALE
    origin: tuple[int, int] = (0, 0)
    pad_text: str = "0"
    numbers: bool = True
    zrange: tuple[float, float] | None = None  # colour range; the panel's own min..max if None


def _ax(letter: str, i: int) -> str:
    """Plotly's axis id: 'x' for the first panel, then 'x2', 'x3', ..."""
    return letter if i == 1 else f"{letter}{i}"


def _layout_units(panels: Sequence[Panel]) -> tuple[float, float]:
    """(cell size in pixels, gap between panels in cells) for a PLOT_WIDTH_PX plot area.

    The gap is at least GAP_PX, so small cells get a gap of more cells.
    """
    cells = sum(p.values.shape[1] for p in panels)
    gaps = len(panels) - 1
    cell = PLOT_WIDTH_PX / (cells + MIN_GAP * gaps)
    if gaps and cell * MIN_GAP < GAP_PX:
        cell = (PLOT_WIDTH_PX - GAP_PX * gaps) / cells
    cell = float(min(cell, 56))  # never larger than this; smaller grids get wider gaps
    return cell, max(MIN_GAP, GAP_PX / cell)


def _font_px(cell: float, texts: Sequence[str]) -> int:
    """Cell numbers as large as fit: about 0.6 em per character, 17 px at most."""
    longest = max((len(t) for t in texts), default=1)
    return int(np.clip(min(cell * 0.45, 1.5 * cell / max(longest, 1)), 8, 17))


def _heatmaps(panel: Panel, i: int, cell: float, colorbar: dict) -> list[go.Heatmap]:
    values = np.asarray(panel.values, dtype=np.float64)
    h, w = values.shape
    r0, c0 = panel.origin
    xs, ys = np.arange(c0, c0 + w), np.arange(r0, r0 + h)
    real = np.isfinite(values)
    show = panel.numbers and max(h, w) <= MAX_NUMBERED_GRID and cell >= 16
    text = [[format_number(v) if np.isfinite(v) else "" for v in row] for row in values]
    font = {"size": _font_px(cell, [t for row in text for t in row])}
    low, high = (float(values[real].min()), float(values[real].max())) if real.any() else (0, 1)
    low, high = panel.zrange or (low, high)
    axes = {"x": xs, "y": ys, "xaxis": _ax("x", i), "yaxis": _ax("y", i), "xgap": 1, "ygap": 1}
    traces = [go.Heatmap(
        z=values, name=panel.title, colorscale=panel.colorscale, zmin=low,
        zmax=high if high > low else low + 1, text=text, texttemplate="%{text}" if show else None,
        textfont=font, colorbar=colorbar, **axes,
        hovertemplate="row %{y}, column %{x}: %{z:.4g}<extra>" + panel.title + "</extra>",
    )]
    if not real.all():  # padded cells: light grey, with a grey "0" (or "pad")
        traces.append(go.Heatmap(
            z=np.where(real, np.nan, 0.0), showscale=False, name="padding",
            colorscale=[[0, PADDING_FILL], [1, PADDING_FILL]], textfont={**font, "color": "#888"},
            text=np.where(real, "", panel.pad_text), texttemplate="%{text}" if show else None,
            hovertemplate="row %{y}, column %{x}: padding<extra></extra>", **axes,
        ))
    return traces


def panels_figure(panels: Sequence[Panel]) -> go.Figure:
    """Panels side by side with square cells, row 0 at the top, a colour bar under each.

    Panel i (from 1) uses axes x{i}/y{i} (plain x/y for the first); cells sit at integer
    (column, row) coordinates counted from the panel's origin.
    """
    widths = [p.values.shape[1] for p in panels]
    cell, gap = _layout_units(panels)
    units = sum(widths) + gap * (len(panels) - 1)
    rows = max(p.values.shape[0] for p in panels)
    plot_h = int(cell * rows)
    fig = go.Figure()
    layout: dict = {}
    start = 0.0
    for i, (panel, width) in enumerate(zip(panels, widths, strict=True), start=1):
        h, w = panel.values.shape
        domain = [min(start / units, 1.0), min((start + width) / units, 1.0)]
        start += width + gap
        colorbar = {"orientation": "h", "x": sum(domain) / 2, "xanchor": "center",
                    "y": -62 / plot_h, "yanchor": "top", "len": max(domain[1] - domain[0], 0.14),
                    "thickness": 10, "title": {"text": panel.colorbar, "side": "top"}}
        fig.add_traces(_heatmaps(panel, i, cell, colorbar))
        r0, c0 = panel.origin
        common = {"dtick": 1 if max(h, w) <= MAX_NUMBERED_GRID else None, "showgrid": False,
                  "zeroline": False, "constrain": "domain", "ticks": ""}
        layout[_ax("xaxis", i)] = {**common, "domain": domain, "anchor": _ax("y", i),
                                   "title": {"text": "column", "standoff": 2},
                                   "range": [c0 - 0.5, c0 + w - 0.5]}
        # A panel with fewer rows gets a shorter strip at the top, so every panel's cells are
        # the same size however wide the page is.
        layout[_ax("yaxis", i)] = {**common, "domain": [1 - h / rows, 1], "anchor": _ax("x", i),
                                   "title": {"text": "row", "standoff": 2},
                                   "scaleanchor": _ax("x", i), "constraintoward": "top",
                                   "range": [r0 + h - 0.5, r0 - 0.5]}
    fig.update_layout(
        **layout, height=plot_h + TOP_PX + BOTTOM_PX, plot_bgcolor="white",
        margin={"l": 50, "r": 20, "t": TOP_PX, "b": BOTTOM_PX}, showlegend=False,
        annotations=_titles(panels), font={"size": 13},
    )
    return fig


def _titles(panels: Sequence[Panel]) -> list[dict]:
    return [{"text": f"<b>{p.title}</b>", "xref": _ax("x", i) + " domain",
             "yref": _ax("y", i) + " domain", "x": 0.5, "y": 1.0, "yanchor": "bottom",
             "showarrow": False, "yshift": 4, "font": {"size": 15}}
            for i, p in enumerate(panels, start=1)]


def _rect(top: float, left: float, h: float, w: float) -> tuple[list, list]:
    """Closed outline of cells [top, top + h) x [left, left + w) in cell coordinates."""
    x0, x1, y0, y1 = left - 0.5, left + w - 0.5, top - 0.5, top + h - 0.5
    return [x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0]


# The ring around the kept number runs along the inside of its cell: drawn nearer the middle,
# its thick outline covered a three-digit number on a projector's small cells.
KEPT_RING_RADIUS = 0.46


def _circle(row: int, col: int, radius: float = KEPT_RING_RADIUS) -> tuple[list, list]:
    angles = np.linspace(0, 2 * np.pi, 25)
    return (np.round(col + radius * np.cos(angles), 3).tolist(),
            np.round(row + radius * np.sin(angles), 3).tolist())


def _join(*paths: tuple[list, list]) -> dict:
    """Several outlines as one scatter path, separated by None (plotly's gap)."""
    xs: list = []
    ys: list = []
    for px, py in paths:
        xs += ([None] if xs else []) + list(px)
        ys += ([None] if ys else []) + list(py)
    return {"x": xs or [None], "y": ys or [None]}


def _covers(row: int, col: int, out_h: int, out_w: int) -> dict:
    """Blocks over the output cells after (row, col): they are not computed yet."""
    paths = []
    if col + 1 < out_w:
        paths.append(_rect(row, col + 1, 1, out_w - col - 1))
    if row + 1 < out_h:
        paths.append(_rect(row + 1, 0, out_h - row - 1, out_w))
    return _join(*paths)


def _overlay(axis: int, kind: str) -> go.Scatter:
    """An empty trace that frames fill with outlines ("outer"/"inner") or covers."""
    style = {
        "outer": {"line": {"color": HIGHLIGHT_OUTER, "width": 7}},
        "inner": {"line": {"color": HIGHLIGHT_INNER, "width": 3}},
        "cover": {"line": {"color": "#d0d0d0", "width": 1}, "fill": "toself",
                  "fillcolor": "#fafafa"},
    }[kind]
    return go.Scatter(x=[None], y=[None], xaxis=_ax("x", axis), yaxis=_ax("y", axis),
                      mode="lines", hoverinfo="skip", showlegend=False, name=kind, **style)


def with_step(fig: go.Figure, overlays: Sequence[tuple[int, str]],
              paths: Sequence[dict]) -> go.Figure:
    """Add the highlight of one step: overlays are (panel, "outer" | "inner" | "cover")
    traces, paths their x/y (see `_join`). The page's player picks the step on the server,
    so the figure, the buttons, the slider and the written sum cannot disagree.
    """
    fig.add_traces([_overlay(axis, kind).update(path)
                    for (axis, kind), path in zip(overlays, paths, strict=True)])
    return fig


def _padded_input(x: np.ndarray, shape: tuple[int, int], padding: Padding,
                  stride: int) -> np.ndarray:
    """The input as the window sees it, with NaN on the padding (drawn grey)."""
    windows = sliding_windows(x, shape, padding, stride)
    return np.where(windows.padded_real, windows.padded, np.nan)


def _clamp(step: int, n: int) -> int:
    return min(max(int(step), 0), n - 1)


def conv_step_figure(x: np.ndarray, kernel: np.ndarray, padding: Padding = "valid",
                          stride: int = 1, step: int = 0, value_label: str = "input value",
                          frames: Sequence[ConvFrame] | None = None) -> go.Figure:
    """Input (padded) | kernel | output at one step (0-based): the window, the cell it
    fills, and the cells not computed yet covered.

    x: (H, W) numbers; kernel: (kh, kw). frames: `conv_frames(x, kernel, padding, stride)`
    if already made. Raises ValueError like `convolve2d`.
    """
    x, kernel = np.asarray(x, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    frames = list(frames) if frames is not None else conv_frames(x, kernel, padding, stride)
    kh, kw = kernel.shape
    out = np.array([f.value for f in frames]).reshape(frames[-1].row + 1, frames[-1].col + 1)
    shown = _padded_input(x, (kh, kw), padding, stride)
    note = f" (padded to {shown.shape[0]}x{shown.shape[1]})" if shown.shape != x.shape else ""
    panels = [
        Panel(shown, f"Input {x.shape[0]}x{x.shape[1]}{note}", value_label,
              origin=(-frames[0].pad_top, -frames[0].pad_left)),
        Panel(kernel, f"Kernel {kh}x{kw}", "weight", KERNEL_SCALE),
        Panel(out, f"Output {out.shape[0]}x{out.shape[1]}", "output value", SIGNED_SCALE),
    ]
    f = frames[_clamp(step, len(frames))]
    window = _join(_rect(*f.input_position, kh, kw))
    cell = _join(_rect(f.row, f.col, 1, 1))
    overlays = [(3, "cover"), (1, "outer"), (1, "inner"), (3, "outer"), (3, "inner")]
    return with_step(panels_figure(panels), overlays,
                     [_covers(f.row, f.col, *out.shape), window, window, cell, cell])


def pool_step_figure(x: np.ndarray, size: int = 2, stride: int = 2, mode: PoolMode = "max",
                          padding: Padding = "valid", step: int = 0,
                          value_label: str = "input value",
                          frames: Sequence[PoolFrame] | None = None) -> go.Figure:
    """Input (padded) | pooled output at one step; max pooling circles the number it keeps.

    x: (H, W) numbers. Padded cells read "pad": pooling ignores them.
    """
    x = np.asarray(x, dtype=np.float64)
    frames = list(frames) if frames is not None else pool_frames(x, size, stride, mode, padding)
    out = np.array([f.value for f in frames]).reshape(frames[-1].row + 1, frames[-1].col + 1)
    shown = _padded_input(x, (size, size), padding, stride)
    name = "Max" if mode == "max" else "Average"
    panels = [
        Panel(shown, f"Input {x.shape[0]}x{x.shape[1]}", value_label,
              origin=(-frames[0].pad_top, -frames[0].pad_left), pad_text="pad"),
        Panel(out, f"{name} pooled {out.shape[0]}x{out.shape[1]}", "pooled value",
              zrange=(float(x.min()), float(x.max()))),
    ]
    f = frames[_clamp(step, len(frames))]
    r, c = f.input_position
    outline = [_rect(r, c, size, size)]
    if f.kept is not None:
        outline.append(_circle(r + f.kept[0], c + f.kept[1]))
    window, cell = _join(*outline), _join(_rect(f.row, f.col, 1, 1))
    overlays = [(2, "cover"), (1, "outer"), (1, "inner"), (2, "outer"), (2, "inner")]
    return with_step(panels_figure(panels), overlays,
                     [_covers(f.row, f.col, *out.shape), window, window, cell, cell])


def _outline_traces(axis: int, path: tuple[list, list]) -> list[go.Scatter]:
    return [_overlay(axis, kind).update(x=path[0], y=path[1]) for kind in ("outer", "inner")]


def channels_figure(x: np.ndarray, frame: ConvFrame, output: np.ndarray) -> go.Figure:
    """Red, green and blue channels with the window on each, and the single output map.

    x: (H, W, 3) numbers; frame: one of `conv_frames(x, kernel)` for a (k, k, 3) kernel;
    output: (out_h, out_w), the three channels' products summed.
    """
    names = ("Red", "Green", "Blue")
    panels = [Panel(x[:, :, c], f"{names[c]} channel", f"{names[c].lower()} value",
                    f"{names[c]}s") for c in range(3)]
    panels.append(Panel(output, "Output: one map", "output value", SIGNED_SCALE))
    fig = panels_figure(panels)
    kh, kw = frame.window.shape[:2]
    for axis in (1, 2, 3):
        fig.add_traces(_outline_traces(axis, _rect(*frame.input_position, kh, kw)))
    fig.add_traces(_outline_traces(4, _rect(frame.row, frame.col, 1, 1)))
    return fig


def side_by_side_figure(grids: Sequence[np.ndarray], titles: Sequence[str],
                        colorbar: str = "value", colorscale: str = SEQUENTIAL_SCALE,
                        outline: np.ndarray | None = None) -> go.Figure:
    """Grids next to each other on one colour range (numbers drawn when they fit).

    outline: optional (h, w) bool for the last grid; True cells get a highlight box.
    """
    grids = [np.asarray(g, dtype=np.float64) for g in grids]
    low = min(float(np.nanmin(g)) for g in grids)
    high = max(float(np.nanmax(g)) for g in grids)
    panels = [Panel(g, t, colorbar, colorscale) for g, t in zip(grids, titles, strict=True)]
    fig = panels_figure(panels)
    fig.update_traces(zmin=low, zmax=high if high > low else low + 1, showscale=False)
    fig.data[0].update(showscale=True)
    fig.data[0].colorbar.update(x=0.5, len=0.4)
    if outline is not None and np.any(outline):
        cells = [_rect(int(r), int(c), 1, 1) for r, c in zip(*np.nonzero(outline), strict=True)]
        fig.add_traces(_outline_traces(len(panels), (_join(*cells)["x"], _join(*cells)["y"])))
    return fig
