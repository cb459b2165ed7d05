"""Shared figures: the numbers shown come from the data, axes carry labels with units."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.views.figures import (
    CURVES_PENDING,
    MAX_DRAWN_POINTS,
    confusion_matrix_figure,
    grad_cam_figure,
    per_class_figure,
    probability_bars_figure,
    training_curves_figure,
)


def axis_titles(fig) -> list[str]:
    layout = fig.to_plotly_json()["layout"]
    return [axis["title"]["text"] for name, axis in layout.items()
            if name.startswith(("xaxis", "yaxis")) and axis.get("title", {}).get("text")]


def test_training_curves_are_thinned_but_keep_the_latest_point():
    curve = tuple((i / 1000, 2.0 - i / 1000, i / 2000) for i in range(2001))
    history = {"val_loss": [0.5, 0.2], "val_accuracy": [0.9, 0.95]}
    fig = training_curves_figure(curve, history, epochs=2)
    train_loss, train_acc, val_loss, val_acc = fig.data
    assert len(train_loss.x) <= MAX_DRAWN_POINTS + 1
    assert train_loss.x[-1] == pytest.approx(2.0) and train_loss.y[-1] == pytest.approx(0.0)
    assert train_acc.y[-1] == pytest.approx(100.0)  # accuracy shown in percent
    assert list(val_loss.x) == [1, 2] and list(val_acc.y) == [90, 95]
    assert train_acc.xaxis == "x2" and train_acc.yaxis == "y2"
    assert {"epoch", "cross-entropy loss", "accuracy (%)"} <= set(axis_titles(fig))


def test_training_curves_before_any_batch():
    empty = training_curves_figure((), {}, 3)
    # Nothing drawn, yet both panels' axes are: an empty trace on each, accuracy 0-100%.
    assert [(len(t.x), t.xaxis, t.yaxis) for t in empty.data] == [(0, "x", "y"), (0, "x2", "y2")]
    assert list(empty.layout.yaxis2.range) == [0, 100]
    assert list(empty.layout.xaxis.range) == list(empty.layout.xaxis2.range) == [0, 3 * 1.03]
    assert [a.text for a in empty.layout.annotations].count(CURVES_PENDING) == 1
    started = training_curves_figure(((0.01, 2.3, 0.1),), {}, 3)
    assert CURVES_PENDING not in [a.text for a in started.layout.annotations]


def test_confusion_matrix_counts_and_row_percentages():
    matrix = np.array([[8, 2], [1, 3]])
    counts = confusion_matrix_figure(matrix, ["cat", "dog"])
    assert [list(r) for r in counts.data[0].text] == [["8", "2"], ["1", "3"]]
    shares = confusion_matrix_figure(matrix, ["cat", "dog"], normalised=True)
    assert [list(r) for r in shares.data[0].text] == [["80.0%", "20.0%"], ["25.0%", "75.0%"]]
    assert {"true class", "predicted class"} <= set(axis_titles(counts))


def test_confusion_matrix_with_an_empty_row():
    fig = confusion_matrix_figure(np.array([[0, 0], [1, 3]]), ["a", "b"], normalised=True)
    assert list(fig.data[0].text[0]) == ["0.0%", "0.0%"]


def test_per_class_and_probability_bars_in_percent():
    per_class = per_class_figure(["a", "b"], np.array([0.5, 1.0]), np.array([1.0, 0.25]))
    assert list(per_class.data[0].y) == [50, 100] and list(per_class.data[1].y) == [100, 25]
    bars = probability_bars_figure(np.array([0.1, 0.7, 0.2]), ["0", "1", "2"])
    assert list(bars.data[0].y) == pytest.approx([10, 70, 20])
    colours = bars.data[0].marker.color
    assert colours[1] != colours[0] == colours[2]  # the top class stands out
    assert "probability (%)" in axis_titles(bars)


def test_grad_cam_figure_outlines_uint8_and_float_digits_alike():
    digit = np.zeros((28, 28), np.uint8)
    digit[8:20, 12:16] = 255
    cam = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    from_uint8 = grad_cam_figure(digit, cam, "1")
    from_float = grad_cam_figure(digit / 255, cam, "1")
    np.testing.assert_array_equal(from_uint8.data[1].z, from_float.data[1].z)
    assert np.asarray(from_uint8.data[1].z).max() == 1  # the contour at 0.5 finds the ink
    np.testing.assert_allclose(from_uint8.data[0].z, cam)
    with pytest.raises(ValueError, match="from 0 to 1"):
        grad_cam_figure(digit.astype(np.float32), cam, "1")  # 0..255 floats: no outline at 0.5


def test_comparison_curves_draw_each_run_in_its_own_style():
    from cnn_core.views.figures import comparison_curves_figure

    curve = [(0.5, 0.9, 0.5), (1.0, 0.7, 0.6), (2.0, 0.5, 0.7)]
    runs = [("From scratch", curve, {"val_loss": [0.8, 0.6], "val_accuracy": [0.55, 0.65]}),
            ("On the base", curve, {"val_loss": [0.5, 0.4], "val_accuracy": [0.8, 0.9]})]
    fig = comparison_curves_figure(runs, epochs=2)
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert names == ["From scratch: training (per batch)", "From scratch: validation (per epoch)",
                     "On the base: training (per batch)", "On the base: validation (per epoch)"]
    validation = [t for t in fig.data if "validation" in t.name and t.yaxis == "y2"]
    assert np.allclose([list(t.y) for t in validation], [[55, 65], [80, 90]])
    assert validation[0].line.dash != validation[1].line.dash  # apart in greyscale too
    assert fig.layout.yaxis2.title.text == "accuracy (%)"
    assert fig.layout.xaxis.title.text == "epoch"
