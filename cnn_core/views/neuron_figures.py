"""Figures of the "Neurons and layers" page: activation curves, softmax, the iris network's
decision regions and history, and what a dense or convolution layer costs.

Functions return plotly figures and never call Streamlit. Every colour pair also differs in
lightness, and every series in line style or marker shape, so the figures read in greyscale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnn_core.data.iris import IrisSplit
from cnn_core.maths.frames import format_number
from cnn_core.maths.neurons import (
    ACTIVATIONS,
    NeuronResult,
    conv_layer_cost,
    dense_layer_cost,
    softmax,
)
from cnn_core.views.figures import loss_accuracy_axes

# Dark blue and orange: different hues and clearly different greys.
DARK, LIGHT = "#1f4e79", "#e07b00"
# Species from light to dark (a lightness step each), then a marker shape each.
SPECIES_COLOURS = ("#f6e27f", "#5fb3a6", "#4b3b80")
SPECIES_MARKERS = ("circle", "square", "diamond")
CHART_MARGIN = {"l": 55, "r": 15, "t": 40, "b": 45}
INK = "#111111"
# How the page names each activation (Keras names them in lower case).
DISPLAY_NAMES = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "softmax": "softmax"}
CURVE_POINTS = 401


def _sub(n: int) -> str:
    """n in subscript digits, as the formulas write x_1: "x₁"."""
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def neuron_diagram_figure(result: NeuronResult, height: int = 210) -> go.Figure:
    """The neuron as a picture: inputs on the left, one line per weight into the neuron (the
    thicker, the larger the weight; dashed when it is negative), the bias from below, and
    the output on the right, each labelled with its number."""
    n = len(result.inputs)
    ys = np.linspace(n - 1, 0, n) if n > 1 else np.array([0.0])
    centre, middle = 2.2, float(ys.mean())
    fig = go.Figure()
    biggest = max(float(np.abs(result.weights).max()), 1e-9)
    for i, (x, w, y) in enumerate(zip(result.inputs, result.weights, ys, strict=True)):
        fig.add_scatter(x=[0.35, centre - 0.3], y=[y, middle], mode="lines", hoverinfo="skip",
                        line={"color": DARK, "width": 1 + 5 * abs(w) / biggest,
                              "dash": "dash" if w < 0 else "solid"})
        fig.add_annotation(x=1.25, y=(y + middle) / 2 + 0.12 * (1 if y >= middle else -1),
                           text=f"w{_sub(i + 1)} = {format_number(w)}", showarrow=False,
                           font={"size": 13, "color": INK}, bgcolor="rgba(255,255,255,0.85)")
        fig.add_annotation(x=0, y=y, text=f"x{_sub(i + 1)} = {format_number(x)}",
                           showarrow=False,
                           font={"size": 13, "color": INK}, bgcolor="#ffffff", bordercolor=INK,
                           borderpad=4)
    fig.add_annotation(x=centre, y=middle - 0.95, ax=centre, ay=middle - 0.42, xref="x",
                       yref="y", axref="x", ayref="y", text="", showarrow=True, arrowhead=0,
                       arrowwidth=1.5, arrowcolor="#555555")
    fig.add_annotation(x=centre, y=middle - 1.05, text=f"bias b = {format_number(result.bias)}",
                       showarrow=False, font={"size": 13, "color": INK})
    fig.add_scatter(x=[centre], y=[middle], mode="markers", hoverinfo="skip",
                    marker={"size": 62, "color": "#ffffff", "line": {"color": "#111111",
                                                                     "width": 2}})
    fig.add_annotation(x=centre, y=middle, text=f"z = {format_number(result.z)}<br>"
                       f"{DISPLAY_NAMES[result.activation]}", showarrow=False,
                       font={"size": 12, "color": INK})
    fig.add_annotation(x=3.75, y=middle, ax=centre + 0.32, ay=middle, xref="x", yref="y",
                       axref="x", ayref="y", text="", showarrow=True, arrowhead=2,
                       arrowwidth=2, arrowcolor=DARK)
    fig.add_annotation(x=4.25, y=middle, text=f"a = {format_number(result.output)}",
                       showarrow=False, font={"size": 14, "color": INK}, bgcolor="#ffffff",
                       bordercolor="#111111", borderpad=4)
    hidden = {"visible": False, "fixedrange": True}
    fig.update_layout(xaxis={**hidden, "range": [-0.55, 4.85]},
                      yaxis={**hidden, "range": [min(middle - 1.25, min(ys) - 0.35),
                                                  max(ys) + 0.35]},
                      height=height, margin={"l": 5, "r": 5, "t": 5, "b": 5},
                      showlegend=False, plot_bgcolor="white")
    return fig


def activation_figure(name: str, z: float, height: int = 260) -> go.Figure:
    """The curve a = f(z) of one activation (sigmoid, tanh or relu) with the neuron's current
    point (z, f(z)) marked and dotted guides to both axes.

    The z axis spans at least -6..6 and always includes z, so the point stays in view.
    """
    if name not in ACTIVATIONS or name == "softmax":
        raise ValueError(f"Draw one of sigmoid, tanh or relu, not {name!r}.")
    function = ACTIVATIONS[name].function
    z = float(z)
    span = max(6.0, abs(z) * 1.1 + 0.5)
    zs = np.linspace(-span, span, CURVE_POINTS)
    a = float(function(z))
    fig = go.Figure()
    fig.add_scatter(x=zs, y=function(zs), mode="lines", line={"color": DARK, "width": 2.5},
                    name=name, hovertemplate="z = %{x:.2f}, a = %{y:.3f}<extra></extra>")
    fig.add_scatter(x=[z], y=[a], mode="markers", name="your neuron",
                    marker={"size": 13, "color": LIGHT, "symbol": "circle",
                            "line": {"color": "#111111", "width": 1.5}},
                    hovertemplate="your neuron: z = %{x:.3g}, a = %{y:.3g}<extra></extra>")
    guide = {"color": "#555555", "width": 1, "dash": "dot"}
    fig.add_shape(type="line", x0=z, x1=z, y0=0, y1=a, line=guide)
    fig.add_shape(type="line", x0=-span, x1=z, y0=a, y1=a, line=guide)
    fig.update_layout(
        title={"text": f"{DISPLAY_NAMES[name]}: a = {format_number(a)}", "font": {"size": 14},
               "x": 0.5, "xanchor": "center"},
        xaxis={"title": {"text": "weighted sum z"}, "range": [-span, span], "zeroline": True,
               "zerolinecolor": "#999999"},
        yaxis={"title": {"text": "output a"}, "zeroline": True, "zerolinecolor": "#999999"},
        height=height, margin=CHART_MARGIN, showlegend=False, plot_bgcolor="white")
    fig.update_xaxes(showgrid=True, gridcolor="#e5e5e5")
    fig.update_yaxes(showgrid=True, gridcolor="#e5e5e5")
    return fig


def softmax_figure(names: Sequence[str], scores: Sequence[float], height: int = 300) -> go.Figure:
    """Two bar charts side by side: the scores a layer gives each class (any numbers) and the
    probabilities softmax turns them into (%, adding up to 100)."""
    if len(names) != len(scores) or not len(names):
        raise ValueError("Give each class exactly one score.")
    names = list(names)
    scores = np.asarray(scores, dtype=np.float64)
    percent = softmax(scores) * 100
    fig = go.Figure()
    fig.add_bar(x=names, y=scores, name="score", marker={"color": DARK},
                text=[format_number(s) for s in scores], textposition="outside",
                cliponaxis=False, hovertemplate="%{x}: score %{y:.3g}<extra></extra>")
    fig.add_bar(x=names, y=percent, name="probability", marker={"color": LIGHT,
                "line": {"color": "#111111", "width": 1}, "pattern": {"shape": "/"}},
                text=[f"{p:.1f}%" for p in percent], textposition="outside", cliponaxis=False,
                xaxis="x2", yaxis="y2", hovertemplate="%{x}: %{y:.1f}%<extra></extra>")
    low, high = min(0.0, float(scores.min())), max(0.0, float(scores.max()))
    room = (high - low) * 0.2 or 1.0
    fig.update_layout(
        xaxis={"domain": [0, 0.44], "title": {"text": "class"}},
        xaxis2={"domain": [0.58, 1], "title": {"text": "class"}, "anchor": "y2"},
        yaxis={"title": {"text": "score z (any number)"},
               "range": [low - (room if low < 0 else 0), high + room]},
        yaxis2={"title": {"text": "probability (%)"}, "range": [0, 115], "anchor": "x2"},
        annotations=[
            {"text": "Scores from the layer", "x": 0.22, "y": 1.0, "xref": "paper",
             "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False,
             "font": {"size": 14}},
            {"text": "After softmax", "x": 0.79, "y": 1.0, "xref": "paper", "yref": "paper",
             "xanchor": "center", "yanchor": "bottom", "showarrow": False,
             "font": {"size": 14}},
        ],
        height=height, margin=CHART_MARGIN, showlegend=False, plot_bgcolor="white")
    return fig


def _oriented(grid, x_feature: int, y_feature: int):
    """A result grid's (xs, ys, classes, confidence) with x_feature across and y_feature up,
    whichever way round the grid was computed."""
    if tuple(grid.pair) == (x_feature, y_feature):
        return grid.xs, grid.ys, grid.classes, grid.confidence
    if tuple(grid.pair) == (y_feature, x_feature):
        return grid.ys, grid.xs, grid.classes.T, grid.confidence.T
    raise ValueError(f"This grid shows measurements {grid.pair}, not "
                     f"{(x_feature, y_feature)}.")


def find_grid(grids, x_feature: int, y_feature: int):
    """The grid of an IrisResult that shows these two measurements (either way round)."""
    if x_feature == y_feature:
        raise ValueError("Choose two different measurements for the two axes.")
    for grid in grids:
        if set(grid.pair) == {x_feature, y_feature}:
            return grid
    raise ValueError(f"No decision regions were computed for measurements "
                     f"{x_feature} and {y_feature}.")


def iris_regions_figure(split: IrisSplit, x_feature: int, y_feature: int, grid=None,
                        height: int = 440) -> go.Figure:
    """The training flowers on two measurements (cm), and the network's decision regions.

    split: the flowers (their measurements are drawn in cm); x_feature, y_feature: the
    measurements across and up (0..3, different); grid: an IrisGrid of a trained network for
    these two measurements (either order), or None to draw the flowers only. The regions
    are the species the network answers at each point, the other two measurements held at
    their training averages; each species has a colour lighter or darker than the others
    and its flowers a marker shape of their own.
    """
    if x_feature == y_feature:
        raise ValueError("Choose two different measurements for the two axes.")
    names = split.class_names
    fig = go.Figure()
    if grid is not None:
        xs, ys, classes, confidence = _oriented(grid, x_feature, y_feature)
        n = len(names)
        steps = []
        for k, colour in enumerate(SPECIES_COLOURS[:n]):
            steps += [[k / n, colour], [(k + 1) / n, colour]]
        fig.add_heatmap(
            x=split.to_cm(xs, x_feature), y=split.to_cm(ys, y_feature), z=classes,
            zmin=-0.5, zmax=n - 0.5, colorscale=steps,
            text=np.asarray(names, dtype=object)[classes], customdata=confidence * 100,
            colorbar={"title": {"text": "network's<br>answer"}, "tickvals": list(range(n)),
                      "ticktext": list(names), "thickness": 14, "len": 0.75, "y": 0.6},
            hovertemplate=("%{x:.1f} cm across, %{y:.1f} cm up: %{text} "
                           "(%{customdata:.0f}% sure)<extra></extra>"))
    cm = split.to_cm(split.x_train)
    for k, name in enumerate(names):
        chosen = split.y_train == k
        fig.add_scatter(
            x=cm[chosen, x_feature], y=cm[chosen, y_feature], mode="markers",
            name=f"{name} (training flowers)",
            marker={"symbol": SPECIES_MARKERS[k % 3], "size": 9,
                    "color": SPECIES_COLOURS[k % 3], "line": {"color": "#111111", "width": 1.5}},
            hovertemplate=f"{name}: %{{x:.1f}} cm, %{{y:.1f}} cm<extra></extra>")
    fig.update_layout(
        xaxis={"title": {"text": split.feature_names[x_feature]}},
        yaxis={"title": {"text": split.feature_names[y_feature]}},
        legend={"orientation": "h", "y": -0.18, "x": 0},
        height=height, margin={"l": 55, "r": 15, "t": 20, "b": 60}, plot_bgcolor="white")
    if grid is not None:
        fig.update_xaxes(range=[float(fig.data[0].x[0]), float(fig.data[0].x[-1])])
        fig.update_yaxes(range=[float(fig.data[0].y[0]), float(fig.data[0].y[-1])])
    return fig


def iris_history_figure(history: dict[str, list[float]], test_accuracy: float | None = None,
                        test_loss: float | None = None, height: int = 300) -> go.Figure:
    """Loss and accuracy on the training flowers after every epoch, with the one test
    result after training as a star. history: Keras-style "loss" and "accuracy" lists."""
    loss, accuracy = history.get("loss", []), history.get("accuracy", [])
    epochs = list(range(1, len(loss) + 1))
    fig = go.Figure()
    line = {"color": DARK, "width": 2}
    fig.add_scatter(x=epochs, y=loss, mode="lines", line=line, name="training flowers",
                    legendgroup="train", hovertemplate="epoch %{x}: loss %{y:.3f}<extra></extra>")
    fig.add_scatter(x=epochs, y=[a * 100 for a in accuracy], mode="lines", line=line,
                    name="training flowers", legendgroup="train", showlegend=False,
                    xaxis="x2", yaxis="y2",
                    hovertemplate="epoch %{x}: %{y:.1f}% right<extra></extra>")
    star = {"size": 14, "symbol": "star", "color": LIGHT, "line": {"color": "#111111",
                                                                   "width": 1}}
    at = len(loss)
    if test_loss is not None and np.isfinite(test_loss):
        fig.add_scatter(x=[at], y=[test_loss], mode="markers", marker=star,
                        name="test flowers (once, after training)", legendgroup="test",
                        hovertemplate="test: loss %{y:.3f}<extra></extra>")
    if test_accuracy is not None:
        fig.add_scatter(x=[at], y=[test_accuracy * 100], mode="markers", marker=star,
                        name="test flowers (once, after training)", legendgroup="test",
                        showlegend=test_loss is None or not np.isfinite(test_loss),
                        xaxis="x2", yaxis="y2",
                        hovertemplate="test: %{y:.1f}% right<extra></extra>")
    x_range = [0.5, max(at, 1) + 0.5 + max(at, 1) * 0.03]
    fig.update_layout(
        **loss_accuracy_axes(x_range, gap=(0.44, 0.58), accuracy_range=[0, 105]),
        legend={"orientation": "h", "y": -0.3}, height=height, margin=CHART_MARGIN,
        plot_bgcolor="white")
    return fig


# Tick labels for powers of ten: short enough for a narrow axis, words a learner knows.
_POWER_NAMES = {0: "1", 1: "10", 2: "100", 3: "1 thousand", 4: "10 thousand",
                5: "100 thousand", 6: "1 million", 7: "10 million", 8: "100 million",
                9: "1 billion", 10: "10 billion", 11: "100 billion", 12: "1 trillion"}


def layer_cost_figure(height_px: int, width_px: int, channels: int, units: int,
                      kernel_size: int, filters: int, height: int = 360) -> go.Figure:
    """Learned numbers of a dense layer and of a convolution layer against the image's side
    (square images, 8 pixels up to beyond the chosen image), on a log scale, with the
    chosen image marked on both. A height x width image counts as a square of the same
    number of pixels (side sqrt(height x width)), which gives the dense layer the same count.
    """
    side = float(np.sqrt(float(height_px) * float(width_px)))
    top = max(1024.0, side * 1.25)
    sides = np.unique(np.round(np.geomspace(8, top, 80)).astype(np.int64))
    dense = [dense_layer_cost(int(s), int(s), channels, units).total for s in sides]
    conv = conv_layer_cost(kernel_size, channels, filters).total
    mine = dense_layer_cost(height_px, width_px, channels, units).total
    fig = go.Figure()
    fig.add_scatter(x=sides, y=dense, mode="lines", line={"color": DARK, "width": 3},
                    name=f"dense layer, {units:,} units",
                    hovertemplate="%{x} x %{x} pixels: %{y:,} learned numbers<extra></extra>")
    fig.add_scatter(x=[sides[0], sides[-1]], y=[conv, conv], mode="lines",
                    line={"color": LIGHT, "width": 3, "dash": "dash"},
                    name=f"convolution, {filters:,} filters of {kernel_size}x{kernel_size}",
                    hovertemplate="any image: %{y:,} learned numbers<extra></extra>")
    fig.add_scatter(x=[side, side], y=[mine, conv], mode="markers", name="your image",
                    marker={"symbol": "star", "size": 15, "color": "#ffffff",
                            "line": {"color": "#111111", "width": 1.5}},
                    hovertemplate=(f"your image ({height_px:,} x {width_px:,}): "
                                   "%{y:,} learned numbers<extra></extra>"))
    low = int(np.floor(np.log10(max(1, min(conv, dense[0])))))
    high = int(np.ceil(np.log10(max(conv, dense[-1], mine))))
    powers = list(range(low, high + 1))
    step = 1 if len(powers) <= 7 else 2
    shown = powers[::step]
    fig.update_layout(
        xaxis={"title": {"text": "image side (pixels)"}, "range": [0, top]},
        yaxis={"title": {"text": "learned numbers (log scale)"}, "type": "log",
               "tickvals": [10.0 ** p for p in shown],
               "ticktext": [_POWER_NAMES.get(p, f"10^{p}") for p in shown],
               "range": [low - 0.2, high + 0.2]},
        legend={"orientation": "h", "y": -0.25, "x": 0},
        height=height, margin={"l": 95, "r": 15, "t": 20, "b": 60}, plot_bgcolor="white")
    fig.update_xaxes(showgrid=True, gridcolor="#e5e5e5")
    fig.update_yaxes(showgrid=True, gridcolor="#e5e5e5")
    return fig
