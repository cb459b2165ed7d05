"""The shipped models: their promises hold, and the CNN reads digits wherever they are drawn."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from cnn_core.config import BUNDLED_MNIST, MAX_SHIFT, PRETRAINED_INFO
from cnn_core.data.digits import preprocess_digit
from cnn_core.jobs.builder import load_pretrained
from cnn_core.jobs.digit_lessons import classify, shift_accuracy, shift_grid_probabilities
from cnn_core.models.specs import pretrained_path

keras = pytest.importorskip("keras")

CNN, DENSE = str(pretrained_path("mnist_cnn")), str(pretrained_path("mnist_dense"))


@pytest.fixture(scope="module")
def info() -> dict:
    return json.loads(PRETRAINED_INFO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def model():
    return load_pretrained("mnist_cnn")


@pytest.fixture(scope="module")
def bundled():
    """1,000 real MNIST test digits (assets/mnist_subset.npz), always available offline."""
    with np.load(BUNDLED_MNIST) as data:
        return data["x_test"], data["y_test"].astype(int)


def test_shipped_files_and_their_promises(info):
    assert pretrained_path("mnist_cnn").stat().st_size < 2_000_000
    assert info["mnist_cnn"]["test_accuracy"] >= 0.990
    assert info["mnist_cnn"]["test_images"] == 10_000
    assert info["mnist_cnn"]["file_bytes"] == pretrained_path("mnist_cnn").stat().st_size
    assert info["mnist_dense"]["preset"] == "dense_baseline"
    assert info["mnist_dense"]["augmentation"] == "none"


def test_load_pretrained_gives_a_ready_model(model, bundled):
    assert tuple(model.inputs[0].shape[1:]) == (28, 28, 1)
    assert model.outputs[0].shape[-1] == 10
    assert [layer.name for layer in model.layers][:4] == ["conv_1", "pool_1", "conv_2", "pool_2"]
    x, y = bundled
    _, accuracy = model.evaluate(x[:500, ..., None] / 255.0, y[:500], verbose=0)
    assert accuracy > 0.97
    with pytest.raises(FileNotFoundError, match="train_pretrained"):
        load_pretrained("no_such_model")


def test_recorded_accuracies_are_the_measured_ones(info, shared_data):
    with np.load(shared_data / "mnist.npz") as data:
        x, y = data["x_test"].astype(np.float32) / 255, data["y_test"]
    for name, path in (("mnist_cnn", CNN), ("mnist_dense", DENSE)):
        predicted = np.argmax(classify([path], x)[0], axis=1)
        assert round(float(np.mean(predicted == y)), 4) == info[name]["test_accuracy"]


def test_digits_drawn_anywhere_at_any_size_on_paper_are_read(model, bundled):
    """MNIST test digits pasted off-centre into large canvases, inverted (dark ink on light
    paper, with a little noise), rescaled, and as RGB: the recipe recovers them and the
    shipped CNN still gets at least 95% right."""
    rng = np.random.default_rng(7)
    x, y = bundled
    count = 300
    inputs = []
    for digit in x[:count]:
        scale = rng.uniform(1.5, 10)
        big = cv2.resize(digit, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        side = big.shape[0]
        height, width = side + int(rng.integers(0, 400)), side + int(rng.integers(0, 600))
        top, left = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
        paper = rng.integers(226, 245, (height, width), dtype=np.uint8)  # grey-white, grainy
        ink = (big.astype(np.uint16) * 217 // 255).astype(np.uint8)
        paper[top:top + side, left:left + side] -= np.minimum(
            ink, paper[top:top + side, left:left + side])
        grey = paper
        inputs.append(preprocess_digit(np.repeat(grey[:, :, None], 3, axis=2)))
    predicted = np.argmax(model.predict(np.stack(inputs)[..., None], verbose=0), axis=1)
    accuracy = float(np.mean(predicted == y[:count]))
    print(f"pasted digits: {accuracy:.1%} right")
    assert accuracy >= 0.95, f"{accuracy:.1%} right"


def test_the_shift_lesson_is_true(bundled):
    """Off centre the dense network falls apart and the CNN degrades much less."""
    x, y = bundled
    images = x[:150].astype(np.float32) / 255
    curves = shift_accuracy([CNN, DENSE], images, y[:150], MAX_SHIFT)
    assert curves.shape == (2, 2, 2 * MAX_SHIFT + 1)
    centre = MAX_SHIFT
    cnn, dense = curves[0], curves[1]
    assert cnn[:, centre].min() > 0.95 and dense[:, centre].min() > 0.9
    for shift in (3, 4):  # pixels, in all four directions
        for side in (centre - shift, centre + shift):
            assert cnn[:, side].min() > dense[:, side].max()
    assert dense[:, [centre - 4, centre + 4]].mean() < 0.6
    assert cnn[:, [centre - 3, centre + 3]].mean() > 0.6


def test_shift_grid_matches_single_predictions(bundled):
    digit = bundled[0][0].astype(np.float32) / 255
    grid = shift_grid_probabilities([CNN, DENSE], digit, 2)
    assert grid.shape == (2, 5, 5, 10)
    np.testing.assert_allclose(grid[:, 2, 2], classify([CNN, DENSE], digit[None])[:, 0],
                               atol=1e-5)
    np.testing.assert_allclose(grid.sum(axis=-1), 1, atol=1e-4)
