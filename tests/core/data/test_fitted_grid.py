"""`fitted_grid`: the table the grid editor starts from when the learner picks a new size."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.config import CLASSIC_GRID
from cnn_core.data.grids import fitted_grid

CLASSIC = np.array(CLASSIC_GRID, dtype=np.float64)


def test_the_classic_grid_fills_a_5x5_table_exactly():
    start = fitted_grid(None, 5, 5)
    assert start.dtype == np.float64
    np.testing.assert_array_equal(start, CLASSIC)


@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (3, 7), (7, 3), (8, 8), (5, 9)])
def test_the_start_sits_top_left_with_zeros_around_and_is_cut_where_too_big(rows, cols):
    start = fitted_grid(None, rows, cols)
    assert start.shape == (rows, cols)
    h, w = min(rows, 5), min(cols, 5)
    np.testing.assert_array_equal(start[:h, :w], CLASSIC[:h, :w])
    outside = np.ones((rows, cols), dtype=bool)
    outside[:h, :w] = False
    assert not start[outside].any()
    # Everything kept came from the classic grid, cell for cell.
    assert start.sum() == CLASSIC[:h, :w].sum()


def test_a_learners_grid_is_kept_and_never_changed():
    typed = np.array([[1.5, -2.0, 3.0], [4.0, 5.0, 6.0]])
    before = typed.copy()
    bigger = fitted_grid(typed, 4, 4)
    np.testing.assert_array_equal(bigger[:2, :3], typed)
    assert not bigger[2:].any() and not bigger[:, 3].any()
    np.testing.assert_array_equal(fitted_grid(typed, 1, 2), [[1.5, -2.0]])
    bigger[0, 0] = 99.0
    np.testing.assert_array_equal(typed, before)
