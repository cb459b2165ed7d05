"""Figures of the neurons page: what they draw comes from their inputs, axes carry labels."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.data.iris import PAIRS, decision_grid, grid_classes, load_iris_split
from cnn_core.jobs.iris import IrisGrid
from cnn_core.maths.neurons import (
    ACTIVATIONS,
    NEURON_ACTIVATIONS,
    conv_layer_cost,
    dense_layer_cost,
    neuron,
    softmax,
)
from cnn_core.views.neuron_figures import (
    SPECIES_COLOURS,
    SPECIES_MARKERS,
    activation_figure,
    find_grid,
    iris_history_figure,
    iris_regions_figure,
    layer_cost_figure,
    neuron_diagram_figure,
    softmax_figure,
)


def axis_titles(fig) -> list[str]:
    layout = fig.to_plotly_json()["layout"]
    return [axis["title"]["text"] for name, axis in layout.items()
            if name.startswith(("xaxis", "yaxis")) and axis.get("title", {}).get("text")]


def relative_luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.fixture(scope="module")
def split():
    return load_iris_split(0.2, seed=0)


@pytest.mark.parametrize("name", NEURON_ACTIVATIONS)
@pytest.mark.parametrize("z", [-2.5, 0.0, 1.1, 40.0])
def test_activation_curve_marks_the_neurons_point(name, z):
    fig = activation_figure(name, z)
    curve, point = fig.data
    function = ACTIVATIONS[name].function
    np.testing.assert_allclose(curve.y, function(np.asarray(curve.x)))
    assert (point.x[0], point.y[0]) == (z, pytest.approx(float(function(z))))
    assert min(curve.x) <= z <= max(curve.x)  # the point stays in view, even far out
    assert axis_titles(fig) == ["weighted sum z", "output a"]


def test_softmax_is_not_a_single_neurons_curve():
    with pytest.raises(ValueError, match="sigmoid, tanh or relu"):
        activation_figure("softmax", 0.0)


def test_softmax_bars_show_scores_and_their_probabilities_in_percent():
    names, scores = ["cat", "dog", "bird"], [2.0, 1.0, -0.5]
    fig = softmax_figure(names, scores)
    raw, probabilities = fig.data
    assert list(raw.x) == names and list(raw.y) == scores
    np.testing.assert_allclose(probabilities.y, softmax(scores) * 100)
    assert list(probabilities.text) == [f"{p:.1f}%" for p in softmax(scores) * 100]
    assert {"score z (any number)", "probability (%)", "class"} <= set(axis_titles(fig))
    with pytest.raises(ValueError, match="exactly one score"):
        softmax_figure(names, [1.0])


def test_neuron_diagram_labels_every_number():
    result = neuron([1.0, 2.0, 0.5], [0.8, -0.4, 1.2], 0.5, "relu")
    fig = neuron_diagram_figure(result)
    labels = " ".join(a.text for a in fig.layout.annotations if a.text)
    for expected in ("x₁ = 1", "x₂ = 2", "w₂ = -0.4", "w₃ = 1.2", "bias b = 0.5", "z = 1.1",
                     "ReLU", "a = 1.1"):
        assert expected in labels
    edges = [trace for trace in fig.data if trace.mode == "lines"]
    assert [e.line.dash for e in edges] == ["solid", "dash", "solid"]  # negative: dashed
    assert edges[2].line.width > edges[0].line.width > edges[1].line.width


def fake_grid(split, pair, resolution=12) -> IrisGrid:
    """Species by the first measurement of the pair only, so the orientation shows."""
    mesh = decision_grid(split.x_train, pair, resolution)
    classes = np.digitize(mesh.points[:, pair[0]], [-0.5, 0.5])
    confidence = np.linspace(0.4, 1.0, len(classes)).astype(np.float32)
    return IrisGrid(pair, mesh.xs, mesh.ys, grid_classes(mesh, classes),
                    grid_classes(mesh, confidence))


def test_regions_are_drawn_in_centimetres_with_each_species_marked(split):
    grid = fake_grid(split, (2, 3))
    fig = iris_regions_figure(split, 2, 3, grid)
    heatmap, *flowers = fig.data
    np.testing.assert_allclose(heatmap.x, split.to_cm(grid.xs, 2))
    np.testing.assert_allclose(heatmap.y, split.to_cm(grid.ys, 3))
    np.testing.assert_array_equal(heatmap.z, grid.classes)
    np.testing.assert_allclose(heatmap.customdata, grid.confidence * 100)
    assert list(heatmap.colorbar.ticktext) == list(split.class_names)
    cm = split.to_cm(split.x_train)
    for k, trace in enumerate(flowers):
        np.testing.assert_allclose(trace.x, cm[split.y_train == k, 2])
        np.testing.assert_allclose(trace.y, cm[split.y_train == k, 3])
        assert trace.marker.symbol == SPECIES_MARKERS[k]
        assert split.class_names[k] in trace.name
    assert axis_titles(fig) == ["petal length (cm)", "petal width (cm)"]


def test_species_colours_differ_in_lightness_and_markers_in_shape():
    lightness = [relative_luminance(c) for c in SPECIES_COLOURS]
    assert all(a - b > 0.2 for a, b in zip(lightness, lightness[1:], strict=False))
    assert len(set(SPECIES_MARKERS)) == len(SPECIES_MARKERS)


def test_a_grid_computed_the_other_way_round_is_turned(split):
    grid = fake_grid(split, (0, 1))
    fig = iris_regions_figure(split, 1, 0, grid)
    heatmap = fig.data[0]
    np.testing.assert_array_equal(heatmap.z, grid.classes.T)
    np.testing.assert_allclose(heatmap.x, split.to_cm(grid.ys, 1))
    assert axis_titles(fig) == [split.feature_names[1], split.feature_names[0]]
    with pytest.raises(ValueError, match="not"):
        iris_regions_figure(split, 2, 3, grid)


def test_find_grid_takes_either_order(split):
    grids = [fake_grid(split, pair, 4) for pair in PAIRS]
    assert find_grid(grids, 3, 1).pair == (1, 3)
    with pytest.raises(ValueError, match="two different"):
        find_grid(grids, 2, 2)


def test_flowers_alone_before_training(split):
    fig = iris_regions_figure(split, 0, 2)
    assert [trace.type for trace in fig.data] == ["scatter"] * 3
    assert sum(len(trace.x) for trace in fig.data) == len(split.y_train)


def test_history_plots_every_epoch_and_the_test_star():
    history = {"loss": [1.0, 0.6, 0.3], "accuracy": [0.5, 0.8, 0.95]}
    fig = iris_history_figure(history, test_accuracy=0.9, test_loss=0.35)
    loss, accuracy, test_loss, test_accuracy = fig.data
    assert list(loss.x) == [1, 2, 3] and list(loss.y) == history["loss"]
    assert list(accuracy.y) == pytest.approx([50, 80, 95])
    assert (test_loss.x[0], test_loss.y[0]) == (3, 0.35)
    assert test_accuracy.y[0] == pytest.approx(90)
    assert {"epoch", "cross-entropy loss", "accuracy (%)"} <= set(axis_titles(fig))


def test_layer_costs_against_the_image_side():
    fig = layer_cost_figure(256, 256, 3, 1_000, 3, 32)
    dense, conv, mine = fig.data
    sides = np.asarray(dense.x)
    assert list(dense.y) == [dense_layer_cost(s, s, 3, 1_000).total for s in sides]
    assert set(conv.y) == {conv_layer_cost(3, 3, 32).total}  # the same for every image
    assert list(mine.x) == [256, 256]
    assert list(mine.y) == [196_609_000, conv_layer_cost(3, 3, 32).total]
    assert fig.layout.yaxis.type == "log"
    assert axis_titles(fig) == ["image side (pixels)", "learned numbers (log scale)"]
    assert "100 million" in fig.layout.yaxis.ticktext


def test_a_wide_image_counts_as_a_square_of_as_many_pixels():
    fig = layer_cost_figure(100, 400, 1, 10, 3, 8)
    mine = fig.data[2]
    assert mine.x[0] == pytest.approx(200)
    assert mine.y[0] == dense_layer_cost(100, 400, 1, 10).total
    assert max(fig.data[0].x) >= 1024  # the curve always reaches large photos
