"""Training the iris network: its accuracy, plain-numpy result, progress reports and stop."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from cnn_core.data.iris import PAIRS, decision_grid, load_iris_split
from cnn_core.jobs.iris import IrisResult, train_iris


@pytest.fixture(scope="module")
def split():
    return load_iris_split(0.2, seed=0)


@pytest.fixture(scope="module")
def trained(split) -> IrisResult:
    """The default training, once for the whole module: about 5-10 s on a 2-core CPU."""
    return train_iris(split, hidden_units=10, seed=0)


@pytest.mark.slow
def test_the_network_reaches_the_materials_accuracy(trained, split):
    # The material quotes about 95%; 90% leaves room for one or two unlucky test flowers.
    assert trained.test_accuracy >= 0.9
    assert trained.test_accuracy == np.mean(trained.test_predictions == split.y_test)
    assert trained.train_accuracy >= 0.9
    assert trained.history["loss"][-1] < trained.history["loss"][0] / 2


@pytest.mark.slow
def test_result_is_plain_numpy_and_survives_pickling(trained, split):
    # A worker process sends it back through a pipe; the page must not need Keras to read it.
    copy = pickle.loads(pickle.dumps(trained))
    assert copy.test_accuracy == trained.test_accuracy
    assert isinstance(trained.test_predictions, np.ndarray)
    assert trained.test_predictions.shape == split.y_test.shape
    assert all(isinstance(v, float) for values in trained.history.values() for v in values)
    assert len(trained.history["loss"]) == len(trained.history["accuracy"]) == trained.epochs_run
    # 4 -> 10 -> 3: (4 * 10 + 10) + (10 * 3 + 3)
    assert trained.parameters == (4 * 10 + 10) + (10 * 3 + 3)


@pytest.mark.slow
def test_one_decision_grid_for_each_pair_of_measurements(trained, split):
    assert [g.pair for g in trained.grids] == list(PAIRS)
    for grid in trained.grids:
        mesh = decision_grid(split.x_train, grid.pair)
        np.testing.assert_array_equal(grid.xs, mesh.xs)
        np.testing.assert_array_equal(grid.ys, mesh.ys)
        assert grid.classes.shape == grid.confidence.shape == mesh.shape
        assert set(np.unique(grid.classes)) <= {0, 1, 2}
        assert np.all((grid.confidence >= 1 / 3 - 1e-6) & (grid.confidence <= 1 + 1e-6))


@pytest.mark.slow
def test_petal_grid_sorts_the_training_flowers_into_their_species(trained, split):
    """The petal measurements nearly separate the species, so each training flower's cell on
    the petal grid (sepals held at their means) mostly gives its species."""
    grid = next(g for g in trained.grids if g.pair == (2, 3))
    column = np.abs(split.x_train[:, 2, None] - grid.xs).argmin(axis=1)
    row = np.abs(split.x_train[:, 3, None] - grid.ys).argmin(axis=1)
    assert np.mean(grid.classes[row, column] == split.y_train) >= 0.85
    assert len(np.unique(grid.classes)) == 3


@pytest.mark.slow
def test_grid_rows_follow_the_vertical_measurement(split):
    """Flowers whose species depends on the first measurement only: on the (0, 1) grid the
    species must change across columns (xs) and stay put down each column."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4)).astype(np.float32)
    y = np.digitize(x[:, 0], [-0.5, 0.5])
    one_rule = dataclasses.replace(split, x_train=x, y_train=y, x_test=x[:30], y_test=y[:30])
    result = train_iris(one_rule, epochs=40, seed=0, resolution=20)
    grid = result.grids[PAIRS.index((0, 1))]
    rule = np.broadcast_to(np.digitize(grid.xs, [-0.5, 0.5]), grid.classes.shape)
    assert np.mean(grid.classes == rule) >= 0.85
    assert np.mean(rule == grid.classes.T) < 0.6


@pytest.mark.slow
def test_progress_each_epoch_and_stop_when_asked(split):
    seen = []

    def on_epoch(epoch, logs):
        seen.append((epoch, logs))
        return epoch == 3

    result = train_iris(split, hidden_units=4, epochs=50, seed=1, on_epoch=on_epoch)
    assert [epoch for epoch, _ in seen] == [1, 2, 3]
    assert result.epochs_run == 3
    assert [logs["loss"] for _, logs in seen] == pytest.approx(result.history["loss"])
    assert all(isinstance(logs["accuracy"], float) for _, logs in seen)


@pytest.mark.slow
def test_same_seed_same_training(split):
    a = train_iris(split, hidden_units=5, epochs=2, seed=7, resolution=10)
    b = train_iris(split, hidden_units=5, epochs=2, seed=7, resolution=10)
    c = train_iris(split, hidden_units=5, epochs=2, seed=8, resolution=10)
    assert a.history == b.history
    np.testing.assert_array_equal(a.grids[0].classes, b.grids[0].classes)
    assert a.history != c.history


@pytest.mark.parametrize("settings, message", [
    ({"hidden_units": 0}, "hidden units must be a whole number from 1 to 256"),
    ({"hidden_units": 2.5}, "hidden units must be a whole number"),
    ({"epochs": 0}, "epochs must be a whole number from 1 to 1000"),
    ({"batch_size": 121}, "batch size must be a whole number from 1 to 120"),
    ({"learning_rate": 0.0}, "learning rate must be above 0"),
])
def test_bad_settings_get_a_sentence_before_keras_starts(split, settings, message):
    with pytest.raises(ValueError, match=message):
        train_iris(split, **settings)


def test_only_an_iris_split_is_accepted():
    with pytest.raises(ValueError, match="load_iris_split"):
        train_iris((np.zeros((4, 4)), np.zeros(4)))
