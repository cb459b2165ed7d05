"""The iris split (stratified, standardised on training flowers only) and the decision mesh."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris

from cnn_core.data.iris import (
    MAX_RESOLUTION,
    PAIRS,
    IrisSplit,
    decision_grid,
    grid_classes,
    load_iris_split,
)


@pytest.fixture(scope="module")
def raw():
    bunch = load_iris()
    return bunch.data, bunch.target


@pytest.fixture(scope="module")
def split() -> IrisSplit:
    return load_iris_split()


def _row_index(raw_x: np.ndarray, rows_cm: np.ndarray, used: set[int] | None = None
               ) -> list[int]:
    """Where each measured flower sits in the raw table (iris has a few duplicate rows, so
    match each to the first raw row with the same measurements not used yet)."""
    used = set() if used is None else used
    found = []
    for row in rows_cm:
        candidates = np.flatnonzero(np.all(np.isclose(raw_x, row, atol=1e-4), axis=1))
        index = next(int(c) for c in candidates if int(c) not in used)
        used.add(index)
        found.append(index)
    return found


def test_arrays_have_the_promised_shapes_and_types(split):
    assert split.x_train.dtype == np.float32 and split.x_test.dtype == np.float32
    assert split.x_train.shape == (120, 4) and split.x_test.shape == (30, 4)
    assert np.issubdtype(split.y_train.dtype, np.integer)
    assert np.issubdtype(split.y_test.dtype, np.integer)
    assert set(split.y_train) == set(split.y_test) == {0, 1, 2}


@pytest.mark.parametrize("fraction", [0.1, 0.2, 1 / 3, 0.5])
def test_each_species_keeps_its_share_on_both_sides(raw, fraction):
    s = load_iris_split(fraction, seed=3)
    counts = np.bincount(raw[1])
    held = np.bincount(s.y_test, minlength=3)
    assert len(s.y_test) + len(s.y_train) == len(raw[1])
    assert np.all(np.abs(held - counts * fraction) <= 1)
    np.testing.assert_array_equal(np.bincount(s.y_train, minlength=3), counts - held)


def test_every_flower_lands_on_exactly_one_side_with_its_own_label(raw, split):
    raw_x, raw_y = raw
    used: set[int] = set()
    train_rows = _row_index(raw_x, split.to_cm(split.x_train), used)
    test_rows = _row_index(raw_x, split.to_cm(split.x_test), used)
    assert sorted(train_rows + test_rows) == list(range(len(raw_y)))
    np.testing.assert_array_equal(raw_y[train_rows], split.y_train)
    np.testing.assert_array_equal(raw_y[test_rows], split.y_test)


def test_standardised_with_training_statistics_only(raw, split):
    raw_x, _ = raw
    used: set[int] = set()
    train_cm = raw_x[_row_index(raw_x, split.to_cm(split.x_train), used)]
    test_cm = raw_x[_row_index(raw_x, split.to_cm(split.x_test), used)]
    np.testing.assert_allclose(split.mean, train_cm.mean(axis=0))
    np.testing.assert_allclose(split.std, train_cm.std(axis=0))
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(split.x_train.std(axis=0), 1, atol=1e-5)
    expected_test = (test_cm - train_cm.mean(axis=0)) / train_cm.std(axis=0)
    np.testing.assert_allclose(split.x_test, expected_test, rtol=1e-5, atol=1e-5)
    # The test flowers did not take part, so their mean is not exactly 0.
    assert not np.allclose(split.x_test.mean(axis=0), 0, atol=1e-3)


def test_slider_values_convert_both_ways(split):
    cm = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
    model_input = split.standardise(cm)
    assert model_input.dtype == np.float32
    np.testing.assert_allclose(model_input, (cm - split.mean) / split.std, rtol=1e-6)
    np.testing.assert_allclose(split.to_cm(model_input), cm, rtol=1e-6)
    np.testing.assert_allclose(split.to_cm(model_input[:, 2], feature=2), cm[:, 2], rtol=1e-6)
    with pytest.raises(ValueError, match="4 measurements"):
        split.standardise([5.1, 3.5, 1.4])


def test_names_are_plain_words_with_units(split):
    assert len(split.feature_names) == 4
    assert all(name.endswith("(cm)") for name in split.feature_names)
    assert "petal length (cm)" in split.feature_names
    assert split.class_names == ("setosa", "versicolor", "virginica")


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = load_iris_split(seed=4), load_iris_split(seed=4), load_iris_split(seed=5)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert not np.array_equal(np.sort(a.to_cm(a.x_test), axis=0),
                              np.sort(c.to_cm(c.x_test), axis=0))


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.6, 1.0])
def test_unreasonable_test_shares_get_a_sentence(fraction):
    with pytest.raises(ValueError, match="test share must be between"):
        load_iris_split(fraction)


# ---- The decision mesh ---------------------------------------------------------------------

def test_six_pairs_cover_every_two_of_four_measurements():
    assert len(PAIRS) == 6 == len({frozenset(p) for p in PAIRS})
    assert all(i != j and {i, j} <= {0, 1, 2, 3} for i, j in PAIRS)


@pytest.mark.parametrize("pair", [(0, 1), (2, 3), (3, 0)])
def test_grid_varies_the_pair_and_holds_the_rest_at_training_means(split, pair):
    grid = decision_grid(split.x_train, pair, resolution=7)
    i, j = pair
    assert grid.points.shape == (49, 4) and grid.points.dtype == np.float32
    assert grid.shape == (7, 7) and grid.pair == pair
    others = [k for k in range(4) if k not in pair]
    np.testing.assert_allclose(grid.points[:, others],
                               np.broadcast_to(split.x_train.mean(axis=0)[others], (49, 2)),
                               atol=1e-6)
    # The mesh reaches past every training flower on both axes.
    for column, axis in ((i, grid.xs), (j, grid.ys)):
        assert axis[0] < split.x_train[:, column].min()
        assert axis[-1] > split.x_train[:, column].max()
        assert np.all(np.diff(axis) > 0)
    assert set(np.round(grid.points[:, i], 5)) == set(np.round(grid.xs, 5))
    assert set(np.round(grid.points[:, j], 5)) == set(np.round(grid.ys, 5))


def test_predictions_go_back_with_rows_along_y_and_columns_along_x(split):
    grid = decision_grid(split.x_train, (1, 2), resolution=5)
    # A "model" that answers with the point's own coordinates shows where each point went.
    mesh_x = grid_classes(grid, grid.points[:, 1])
    mesh_y = grid_classes(grid, grid.points[:, 2])
    np.testing.assert_array_equal(mesh_x, np.tile(grid.xs, (5, 1)))
    np.testing.assert_array_equal(mesh_y, np.tile(grid.ys[:, None], (1, 5)))
    probabilities = np.random.default_rng(0).random((25, 3))
    stacked = grid_classes(grid, probabilities)
    assert stacked.shape == (5, 5, 3)
    np.testing.assert_array_equal(stacked[2, 4], probabilities[2 * 5 + 4])


def test_grid_in_centimetres_works_the_same(raw):
    raw_x, _ = raw
    grid = decision_grid(raw_x, (2, 3), resolution=4)
    np.testing.assert_allclose(grid.points[:, 0], raw_x[:, 0].mean(), rtol=1e-6)
    assert grid.xs[0] < raw_x[:, 2].min() and grid.ys[-1] > raw_x[:, 3].max()


@pytest.mark.parametrize("pair, resolution, message", [
    ((1, 1), 10, "two different measurements"),
    ((0, 4), 10, "index 0 to 3"),
    ((0,), 10, "exactly two"),
    ((0, 1), 1, "between 2 and"),
    ((0, 1), MAX_RESOLUTION + 1, "between 2 and"),
])
def test_bad_grid_requests_get_a_sentence(split, pair, resolution, message):
    with pytest.raises(ValueError, match=message):
        decision_grid(split.x_train, pair, resolution)


def test_grid_classes_refuses_the_wrong_number_of_predictions(split):
    grid = decision_grid(split.x_train, (0, 1), resolution=4)
    with pytest.raises(ValueError, match="each of the 16 mesh points, got 15"):
        grid_classes(grid, np.zeros(15))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        decision_grid(split.x_train[:, :3], (0, 1))
