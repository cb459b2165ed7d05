"""Plotly figures shared by pages. Functions return go.Figure and never call Streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnn_core.config import SEQUENTIAL_SCALE
from cnn_core.data.pixels import as_unit_float

# The live curves are redrawn about once a second while a job trains; more points than
# this add drawing cost without showing anything new at chart width.
MAX_DRAWN_POINTS = 400
# Under the empty axes while a job starts, where the legend will be (one line: it fits a
# 1024 px projector).
CURVES_PENDING = "The curves are drawn here from the first batch on"


def loss_accuracy_axes(x_range: list[float], gap: tuple[float, float] = (0.45, 0.55),
                       accuracy_range: list[float] | None = None) -> dict:
    """Layout of two panels side by side, loss on the left and accuracy (%) on the right,
    against epochs, each with its title centred over it (for fig.update_layout)."""
    accuracy = {"title": {"text": "accuracy (%)"}, "anchor": "x2"}
    if accuracy_range is not None:
        accuracy["range"] = accuracy_range
    return {
        "xaxis": {"domain": [0, gap[0]], "title": {"text": "epoch"}, "range": x_range},
        "xaxis2": {"domain": [gap[1], 1], "title": {"text": "epoch"}, "range": x_range,
                   "anchor": "y2"},
        "yaxis": {"title": {"text": "cross-entropy loss"}, "rangemode": "tozero"},
        "yaxis2": accuracy,
        # Centred over each panel: "auto" anchors a title at x < 1/3 by its left end and one
        # at x > 2/3 by its right end, so on a narrow chart the two ran together.
        "annotations": [
            {"text": "Loss (lower is better)", "x": gap[0] / 2, "y": 1.0, "xref": "paper",
             "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False,
             "font": {"size": 14}},
            {"text": "Accuracy (higher is better)", "x": (1 + gap[1]) / 2, "y": 1.0,
             "xref": "paper", "yref": "paper", "xanchor": "center", "yanchor": "bottom",
             "showarrow": False, "font": {"size": 14}},
        ],
    }


def _drawn_points(curve) -> tuple[list[float], list[float], list[float]]:
    """(positions, losses, accuracies) of at most about MAX_DRAWN_POINTS of a per-batch curve,
    the last point always kept, so a long run redraws as fast as a short one."""
    step = max(1, -(-len(curve) // MAX_DRAWN_POINTS))
    points = list(curve[::step])
    if points[-1] is not curve[-1]:
        points.append(curve[-1])
    position, loss, accuracy = (list(v) for v in zip(*points, strict=True))
    return position, loss, accuracy


def training_curves_figure(curve: tuple[tuple[float, float, float], ...] | list,
                           history: dict[str, list[float]], epochs: int,
                           test: tuple[float, float, float] | None = None) -> go.Figure:
    """Loss and accuracy against epochs: per batch for training, per epoch for validation.

    curve: (epoch fraction, loss, accuracy) per recorded batch, already smoothed.
    history: Keras-style per-epoch lists. test: (loss, accuracy, epochs trained) of the one
    test-set evaluation after training, drawn as a single star. Two panels side by side,
    built from plain axes rather than make_subplots, which costs several times more on
    every live redraw.
    """
    fig = go.Figure()
    if curve:
        position, loss, accuracy = _drawn_points(curve)
        line = {"color": "#1f4e79", "width": 2}
        fig.add_scatter(x=position, y=loss, name="training (per batch, smoothed)", line=line,
                        legendgroup="train")
        fig.add_scatter(x=position, y=[a * 100 for a in accuracy], name="training", line=line,
                        legendgroup="train", showlegend=False, xaxis="x2", yaxis="y2")
    val_loss, val_acc = history.get("val_loss", []), history.get("val_accuracy", [])
    if val_loss:
        ends = list(range(1, len(val_loss) + 1))
        style = {"color": "#e07b00", "width": 2, "dash": "dash"}
        marker = {"size": 9, "symbol": "diamond"}
        fig.add_scatter(x=ends, y=val_loss, name="validation (per epoch)", line=style,
                        marker=marker, mode="lines+markers", legendgroup="val")
        fig.add_scatter(x=ends, y=[a * 100 for a in val_acc], name="validation (per epoch)",
                        line=style, marker=marker, mode="lines+markers", legendgroup="val",
                        showlegend=False, xaxis="x2", yaxis="y2")
    if test is not None:
        test_loss, test_accuracy, at = test
        star = {"size": 14, "symbol": "star", "color": "#2ca02c",
                "line": {"color": "#111111", "width": 1}}
        fig.add_scatter(x=[at], y=[test_loss], name="test (once, after training)",
                        mode="markers", marker=star, legendgroup="test")
        fig.add_scatter(x=[at], y=[test_accuracy * 100], name="test (once, after training)",
                        mode="markers", marker=star, legendgroup="test", showlegend=False,
                        xaxis="x2", yaxis="y2")
    x_range = [0, max(epochs, 1) * 1.03]
    empty = not fig.data
    fig.update_layout(
        **loss_accuracy_axes(x_range, gap=(0.45, 0.55),
                             accuracy_range=[0, 100] if empty else None),
        height=330, margin={"l": 50, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.25}, uirevision="curves")
    if empty:  # drawn while the job starts: say what will appear, and when
        # Plotly draws a panel's axes only for a trace on them: one empty trace each, and
        # accuracy's whole 0-100% scale, so both panels show what is coming.
        for x, y in (("x", "y"), ("x2", "y2")):
            fig.add_scatter(x=[], y=[], xaxis=x, yaxis=y, showlegend=False, hoverinfo="skip")
        fig.update_layout(margin_b=80)
        # Where the legend will be: across the middle it covered the accuracy axis's title.
        fig.add_annotation(text=CURVES_PENDING, x=0.5, y=-0.26, xref="paper", yref="paper",
                           xanchor="center", yanchor="top", showarrow=False,
                           font={"size": 14, "color": "#444444"})
    return fig


# Two runs on one chart: colour, dash and marker differ, so they stay apart in greyscale.
RUN_STYLES = ({"color": "#1f4e79", "dash": "solid", "symbol": "circle"},
              {"color": "#e07b00", "dash": "dash", "symbol": "square"})


def comparison_curves_figure(runs: list[tuple[str, tuple | list, dict[str, list[float]]]],
                             epochs: int) -> go.Figure:
    """Two (or more) trainings on the same pictures, loss and accuracy against epochs.

    runs: (name, curve, history) each; curve as training_curves_figure takes it (per batch,
    smoothed, drawn thin), history's val_loss and val_accuracy per epoch (drawn with markers).
    """
    fig = go.Figure()
    for (name, curve, history), style in zip(runs, RUN_STYLES * len(runs), strict=False):
        line = {"color": style["color"], "dash": style["dash"]}
        if curve:
            position, loss, accuracy = _drawn_points(curve)
            thin = {**line, "width": 1}
            fig.add_scatter(x=position, y=loss, name=f"{name}: training (per batch)",
                            line=thin, opacity=0.55, legendgroup=f"{name}-train")
            fig.add_scatter(x=position, y=[a * 100 for a in accuracy], line=thin, opacity=0.55,
                            name=f"{name}: training (per batch)", legendgroup=f"{name}-train",
                            showlegend=False, xaxis="x2", yaxis="y2")
        val_loss, val_acc = history.get("val_loss", []), history.get("val_accuracy", [])
        if val_loss:
            ends = list(range(1, len(val_loss) + 1))
            thick = {**line, "width": 3}
            marker = {"size": 8, "symbol": style["symbol"]}
            fig.add_scatter(x=ends, y=val_loss, name=f"{name}: validation (per epoch)",
                            line=thick, marker=marker, mode="lines+markers",
                            legendgroup=f"{name}-val")
            fig.add_scatter(x=ends, y=[a * 100 for a in val_acc], line=thick, marker=marker,
                            name=f"{name}: validation (per epoch)", mode="lines+markers",
                            legendgroup=f"{name}-val", showlegend=False, xaxis="x2",
                            yaxis="y2")
    fig.update_layout(
        # A wide gap: the accuracy axis title sits in it, clear of the loss panel.
        **loss_accuracy_axes([0, max(epochs, 1) * 1.03], gap=(0.42, 0.6),
                             accuracy_range=[0, 105]),
        # The legend starts well below the epoch axis titles: in one row (a wide screen) at
        # -0.22 it ran over them.
        height=420, margin={"l": 50, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "yanchor": "top", "y": -0.42}, uirevision="comparison")
    return fig


def confusion_matrix_figure(matrix: np.ndarray, class_names: list[str],
                            normalised: bool = False) -> go.Figure:
    """Heat map of a confusion matrix (rows = true class, columns = predicted), numbers shown.

    normalised: divide each row by its total, so a cell reads "% of this true class".
    """
    counts = np.asarray(matrix, dtype=np.float64)
    if normalised:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0) * 100
        text = [[f"{v:.1f}%" for v in row] for row in values]
        unit = "% of the true class"
    else:
        values = counts
        text = [[f"{int(v):,}" for v in row] for row in values]
        unit = "number of images"
    fig = go.Figure(go.Heatmap(
        z=values, x=class_names, y=class_names, text=text, texttemplate="%{text}",
        colorscale=SEQUENTIAL_SCALE, colorbar={"title": {"text": unit}},
        hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title_text="true class", type="category")
    fig.update_xaxes(title_text="predicted class", type="category", side="bottom")
    side = 180 + 42 * len(class_names)
    fig.update_layout(height=side, margin={"l": 90, "r": 20, "t": 20, "b": 80})
    return fig


def per_class_figure(class_names: list[str], precision: np.ndarray,
                     recall: np.ndarray) -> go.Figure:
    """Grouped bars of precision and recall per class, in percent."""
    fig = go.Figure()
    fig.add_bar(x=class_names, y=np.asarray(precision) * 100, name="precision",
                marker={"color": "#1f4e79"}, texttemplate="%{y:.0f}", textposition="outside")
    fig.add_bar(x=class_names, y=np.asarray(recall) * 100, name="recall",
                marker={"color": "#9ecae1", "pattern": {"shape": "/"}},
                texttemplate="%{y:.0f}", textposition="outside")
    fig.update_yaxes(title_text="percent", range=[0, 110])
    fig.update_xaxes(title_text="class", type="category")
    fig.update_layout(barmode="group", height=320, margin={"l": 50, "r": 20, "t": 20, "b": 60},
                      legend={"orientation": "h", "y": 1.1})
    return fig


def probability_bars_figure(probabilities: np.ndarray, class_names: list[str],
                            highlight: int | None = None) -> go.Figure:
    """Bar chart of class probabilities in percent, the top (or chosen) class in a dark colour."""
    probabilities = np.asarray(probabilities, dtype=np.float64) * 100
    top = int(np.argmax(probabilities)) if highlight is None else highlight
    colours = ["#1f4e79" if i == top else "#b8c9dc" for i in range(len(probabilities))]
    fig = go.Figure(go.Bar(x=class_names, y=probabilities, marker={"color": colours},
                           texttemplate="%{y:.1f}%", textposition="outside",
                           hovertemplate="%{x}: %{y:.2f}%<extra></extra>"))
    fig.update_yaxes(title_text="probability (%)", range=[0, 112])
    fig.update_xaxes(title_text="class", type="category")
    fig.update_layout(height=300, margin={"l": 50, "r": 20, "t": 20, "b": 50})
    return fig


# ---- Draw and predict page ----------------------------------------------------------------

# One look per model in the shift curves: colour, dash and marker differ, so the lines stay
# apart in greyscale print too.
LINE_STYLES = (
    {"color": "#1f4e79", "dash": "solid", "symbol": "circle"},
    {"color": "#e07b00", "dash": "dash", "symbol": "square"},
    {"color": "#2e7d32", "dash": "dot", "symbol": "diamond"},
    {"color": "#6a3d9a", "dash": "dashdot", "symbol": "triangle-up"},
)


def shift_curves_figure(offsets: np.ndarray, horizontal: dict[str, np.ndarray],
                        vertical: dict[str, np.ndarray], y_title: str,
                        current: tuple[int, int] | None = None, height: int = 300) -> go.Figure:
    """Two panels of curves against a shift in pixels: left/right, then up/down.

    offsets: (n,) shifts in pixels. horizontal, vertical: {model name: (n,) fractions in
    [0, 1]}, drawn in percent. current: (dx, dy) marked with a vertical line in each panel.
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=("moved left (−) or right (+)", "moved up (−) or down (+)"))
    x = [int(v) for v in offsets]
    for i, name in enumerate(horizontal):
        style = LINE_STYLES[i % len(LINE_STYLES)]
        for col, curves in ((1, horizontal), (2, vertical)):
            fig.add_scatter(
                x=x, y=np.asarray(curves[name], dtype=np.float64) * 100, name=name,
                mode="lines+markers", legendgroup=name, showlegend=col == 1,
                line={"color": style["color"], "dash": style["dash"], "width": 2},
                marker={"symbol": style["symbol"], "size": 7, "color": style["color"]},
                hovertemplate="shift %{x} px: %{y:.1f}%<extra>" + name + "</extra>",
                row=1, col=col)
    if current is not None:
        for col, value in ((1, current[0]), (2, current[1])):
            fig.add_vline(x=value, line={"color": "#555555", "dash": "dot", "width": 1},
                          row=1, col=col)
    fig.update_xaxes(title_text="shift (pixels)", dtick=2, zeroline=False)
    fig.update_yaxes(title_text=y_title, range=[-3, 103], row=1, col=1)
    fig.update_yaxes(range=[-3, 103], row=1, col=2)
    fig.update_layout(height=height, margin={"l": 60, "r": 20, "t": 40, "b": 50},
                      legend={"orientation": "h", "y": -0.3}, plot_bgcolor="white")
    fig.update_xaxes(showgrid=True, gridcolor="#e5e5e5")
    fig.update_yaxes(showgrid=True, gridcolor="#e5e5e5")
    return fig


def grad_cam_figure(digit: np.ndarray, cam: np.ndarray, class_name: str,
                    height: int = 300, title: str | None = None,
                    scale_title: str = "evidence<br>(0 = none,<br>1 = most)") -> go.Figure:
    """Grad-CAM heat map (H, W) in [0, 1] with the digit's outline (H, W) drawn over it.

    digit and cam: uint8 or float in [0, 1] (anything else raises ValueError). The heat uses
    the lightness-monotonic sequential scale on a fixed 0..1 range (so a weak map looks dim);
    the outline is a white contour at half the ink's brightness, so both read in greyscale.
    """
    cam, digit = as_unit_float(cam).astype(np.float64), as_unit_float(digit)
    fig = go.Figure(go.Heatmap(
        z=cam, zmin=0, zmax=1, colorscale=SEQUENTIAL_SCALE,
        colorbar={"title": {"text": scale_title}, "thickness": 12},
        hovertemplate="row %{y}, column %{x}: %{z:.2f}<extra></extra>"))
    fig.add_contour(z=digit.astype(np.float64), showscale=False,
                    contours={"start": 0.5, "end": 0.5, "size": 1, "coloring": "lines"},
                    line={"color": "white", "width": 2}, colorscale=[[0, "white"], [1, "white"]],
                    hoverinfo="skip")
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain",
                     title_text="row (pixels)")
    fig.update_xaxes(constrain="domain", title_text="column (pixels)")
    fig.update_layout(height=height, margin={"l": 50, "r": 10, "t": 30, "b": 40},
                      title={"text": title or f"Where the network saw evidence for “{class_name}”",
                             "font": {"size": 13}})
    return fig


def feature_maps_figure(maps: np.ndarray, layer: str, columns: int = 8,
                        own_scale: bool = True, tile_px: int = 64) -> go.Figure:
    """One layer's feature maps (h, w, channels) as a numbered grid of tiles with a colour bar.

    own_scale: each map divided by its own strongest response (0 to 1), so weak but
    structured maps still show; otherwise every map shares the layer's raw activation scale,
    so weak and silent maps look dark. Tiles are numbered by channel (the filter that made
    them, counted from 1); hovering tells layer, map, row, column and the raw activation.
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 3 or not maps.shape[2]:
        raise ValueError(f"Feature maps must be (height, width, maps), not {maps.shape}.")
    h, w, count = maps.shape
    columns = min(columns, count)
    rows = -(-count // columns)
    gap = max(2, h // 3)  # room between rows for the tile numbers
    shown = maps
    if own_scale:
        low = maps.min(axis=(0, 1), keepdims=True)
        span = maps.max(axis=(0, 1), keepdims=True) - low
        shown = np.divide(maps - low, span, out=np.zeros_like(maps), where=span > 0)
    z = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), np.nan)
    raw = np.full(z.shape, np.nan)
    number = np.full(z.shape, np.nan)
    for c in range(count):
        top, left = (c // columns) * (h + gap), (c % columns) * (w + gap)
        z[top:top + h, left:left + w] = shown[:, :, c]
        raw[top:top + h, left:left + w] = maps[:, :, c]
        number[top:top + h, left:left + w] = c + 1
    row_in, col_in = np.indices(z.shape)
    custom = np.dstack([number, row_in % (h + gap), col_in % (w + gap), raw])
    scale_title = ("share of the<br>map's strongest<br>response<br>(0 = none,<br>1 = strongest)"
                   if own_scale else "activation<br>(the layer's<br>output value)")
    fig = go.Figure(go.Heatmap(
        z=z, customdata=custom, colorscale=SEQUENTIAL_SCALE, hoverongaps=False,
        zmin=0, zmax=1 if own_scale else max(float(maps.max()), 1e-9),
        colorbar={"title": {"text": scale_title, "font": {"size": 11}}, "thickness": 12},
        hovertemplate=(f"{layer}, map %{{customdata[0]}}<br>row %{{customdata[1]}}, column "
                       "%{customdata[2]}<br>activation %{customdata[3]:.3g}<extra></extra>")))
    for c in range(count):
        fig.add_annotation(x=(c % columns) * (w + gap) + (w - 1) / 2,
                           y=(c // columns) * (h + gap) - 0.5, text=str(c + 1), showarrow=False,
                           yanchor="bottom", font={"size": 10}, yshift=1)
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(height=rows * (tile_px + 16) + 20, width=None,
                      margin={"l": 0, "r": 0, "t": 18, "b": 0}, plot_bgcolor="rgba(0,0,0,0)")
    return fig


# ---- precision and recall page ------------------------------------------------------------

MODEL_COLOUR = "#1f4e79"
POINT_COLOUR = "#e07b00"
CHANCE_COLOUR = "#7f7f7f"
CURVE_POINTS = 1500  # points drawn of a precision-recall or ROC curve


def binary_confusion_figure(tp: int, fp: int, fn: int, tn: int, positive: str = "positive",
                            negative: str = "negative", plural: str = "positives",
                            height: int = 300, show_scale: bool = True) -> go.Figure:
    """A 2x2 confusion matrix with the cells named (TP, FN / FP, TN) and counted.

    Rows are the truth (positive first), columns the answer. The colour is the share of the
    row (% of the true class), on a lightness-monotonic scale, so a good model shows a
    bright diagonal even when one class is 100x rarer; it still reads in greyscale.
    """
    counts = np.array([[tp, fn], [fp, tn]], dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0) * 100
    names = [["TP: true positives", "FN: false negatives (missed)"],
             ["FP: false positives (false alarms)", "TN: true negatives"]]
    rows = [f"really {positive}", f"really {negative}"]
    whose = [f"the {plural}", "the rest"]
    text = [[f"<b>{names[r][c].split(':')[0]} = {int(counts[r, c]):,}</b><br>"
             f"{share[r, c]:.1f}% of {whose[r]}" for c in range(2)] for r in range(2)]
    hover = [[f"{names[r][c]}: {int(counts[r, c]):,} images" for c in range(2)]
             for r in range(2)]
    fig = go.Figure(go.Heatmap(
        z=share, x=[f"said {positive}", f"said {negative}"], y=rows, text=text,
        texttemplate="%{text}", textfont={"size": 12}, customdata=hover, zmin=0, zmax=100,
        colorscale=SEQUENTIAL_SCALE, showscale=show_scale, xgap=2, ygap=2,
        colorbar={"title": {"text": "% of the<br>true class"}, "thickness": 12},
        hovertemplate="%{customdata}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text="the truth", type="category")
    fig.update_xaxes(title_text="the model's answer", type="category", side="top")
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return fig


def precision_recall_figure(recall: np.ndarray, precision: np.ndarray, base_rate: float,
                            point: tuple[float, float] | None = None,
                            average_precision: float | None = None,
                            point_label: str = "your threshold") -> go.Figure:
    """Precision against recall over all thresholds, both in percent.

    recall, precision: (T,) in [0, 1] from cnn_core.maths.metrics.threshold_sweep. base_rate: the
    share of positives, the precision of random guessing. point: (recall, precision) of the
    current threshold, marked with a large diamond.
    """
    name = "model" if average_precision is None else f"model (AP {average_precision:.2f})"
    recall, precision = _thin(np.asarray(recall), np.asarray(precision))
    fig = go.Figure()
    fig.add_scatter(x=np.r_[0.0, recall] * 100, y=np.r_[precision[:1], precision] * 100,
                    name=name, mode="lines", line={"color": MODEL_COLOUR, "width": 2},
                    hovertemplate="recall %{x:.1f}%, precision %{y:.1f}%<extra></extra>")
    fig.add_scatter(x=[0, 100], y=[base_rate * 100] * 2, mode="lines",
                    name=f"random guessing (precision {base_rate:.0%})",
                    line={"color": CHANCE_COLOUR, "dash": "dash"}, hoverinfo="skip")
    _mark(fig, point, point_label, "recall", "precision")
    fig.update_xaxes(title_text="recall (% of positives found)", range=[-2, 102])
    fig.update_yaxes(title_text="precision (% of alarms that are right)", range=[-2, 105])
    return _curve_layout(fig)


def roc_figure(false_positive_rate: np.ndarray, recall: np.ndarray, auc: float,
               point: tuple[float, float] | None = None,
               point_label: str = "your threshold") -> go.Figure:
    """The ROC curve: recall (true positive rate) against false positive rate, in percent.

    Inputs are (T,) in [0, 1] from threshold_sweep; the curve runs from (0, 0) to (1, 1).
    point: (false positive rate, recall) of the current threshold.
    """
    false_positive_rate, recall = _thin(np.asarray(false_positive_rate), np.asarray(recall))
    fig = go.Figure()
    fig.add_scatter(x=np.r_[0.0, false_positive_rate, 1.0] * 100, y=np.r_[0.0, recall, 1.0] * 100,
                    name=f"model (AUC {auc:.3f})", mode="lines",
                    line={"color": MODEL_COLOUR, "width": 2},
                    hovertemplate="false alarms %{x:.1f}%, recall %{y:.1f}%<extra></extra>")
    fig.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name="random guessing (AUC 0.5)",
                    line={"color": CHANCE_COLOUR, "dash": "dash"}, hoverinfo="skip")
    _mark(fig, point, point_label, "false positive rate", "recall")
    fig.update_xaxes(title_text="false positive rate (% of negatives flagged)",
                     range=[-2, 102])
    fig.update_yaxes(title_text="recall = true positive rate (%)", range=[-2, 105])
    return _curve_layout(fig)


def _thin(x: np.ndarray, y: np.ndarray, max_points: int = CURVE_POINTS
          ) -> tuple[np.ndarray, np.ndarray]:
    """At most max_points evenly spread points of a curve (first and last kept), so a sweep
    over 10,000 test scores stays a light figure to send to the browser."""
    if len(x) <= max_points:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, max_points).round().astype(int))
    return x[keep], y[keep]


def _mark(fig: go.Figure, point: tuple[float, float] | None, label: str, x_name: str,
          y_name: str) -> None:
    if point is None:
        return
    x, y = (100 * float(v) for v in point)
    fig.add_scatter(x=[x], y=[y], mode="markers", name=label,
                    marker={"size": 15, "symbol": "diamond", "color": POINT_COLOUR,
                            "line": {"color": "black", "width": 2}},
                    hovertemplate=f"{x_name} {x:.1f}%, {y_name} {y:.1f}%<extra></extra>")


def _curve_layout(fig: go.Figure) -> go.Figure:
    fig.update_layout(height=400, margin={"l": 60, "r": 20, "t": 20, "b": 50},
                      legend={"orientation": "h", "y": -0.2, "x": 0}, plot_bgcolor="white")
    fig.update_xaxes(gridcolor="#e5e5e5", zeroline=False)
    fig.update_yaxes(gridcolor="#e5e5e5", zeroline=False)
    return fig
