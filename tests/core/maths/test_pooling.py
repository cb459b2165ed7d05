"""pool2d against TensorFlow (and scipy), padding rules, shifting."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import maximum_filter, uniform_filter

from cnn_core.config import CLASSIC_GRID
from cnn_core.data.datasets import load_dataset
from cnn_core.data.grids import digit_maps, dot_maps, random_maps
from cnn_core.data.images import shift_image
from cnn_core.maths.pooling import (
    SHIFT_DIRECTIONS,
    pool2d,
    shift_effect,
    shift_study,
    shifted_pair,
    unchanged_fraction,
)

SEED_GRID = np.array(CLASSIC_GRID)


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


def tf_pool(tf, x: np.ndarray, size: int, stride: int, mode: str, padding: str) -> np.ndarray:
    """TensorFlow's pooling of x. Its CPU kernels work in float32, so compare with ~1e-6."""
    x4 = x.astype(np.float64)[None, :, :, None] if x.ndim == 2 else x.astype(np.float64)[None]
    pool = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    out = pool(x4, ksize=size, strides=stride, padding=padding.upper()).numpy()[0]
    return out[:, :, 0] if x.ndim == 2 else out


def test_seed_grid_max_and_average_2x2_stride_2():
    np.testing.assert_array_equal(pool2d(SEED_GRID), [[9, 3], [3, 6]])
    np.testing.assert_array_equal(pool2d(SEED_GRID, mode="avg"), [[15 / 4, 2],
                                                                  [10 / 4, 19 / 4]])


def test_same_padding_never_wins_a_max_and_is_not_averaged():
    x = -np.arange(1, 10, dtype=float).reshape(3, 3)  # all negative: a padded 0 would win
    np.testing.assert_array_equal(pool2d(x, 2, 2, "max", "same"), [[-1, -3], [-7, -9]])
    # The bottom-right window holds one real cell, so its average is that cell.
    np.testing.assert_array_equal(pool2d(x, 2, 2, "avg", "same"), [[-3, -4.5], [-7.5, -9]])


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("size", [1, 2, 3])
def test_matches_tensorflow_grid(tf, mode, padding, stride, size):
    rng = np.random.default_rng(zlib.crc32(repr((mode, padding, stride, size)).encode()))
    x = rng.integers(-9, 10, size=(7, 8)).astype(float)
    np.testing.assert_allclose(pool2d(x, size, stride, mode, padding),
                               tf_pool(tf, x, size, stride, mode, padding), rtol=1e-12)


TF_FLOAT32 = {"rtol": 1e-5, "atol": 1e-6}


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 11), w=st.integers(1, 11), size=st.integers(1, 4),
       stride=st.integers(1, 3), mode=st.sampled_from(["max", "avg"]),
       padding=st.sampled_from(["valid", "same"]), seed=st.integers(0, 2**31))
def test_matches_tensorflow_random(tf, h, w, size, stride, mode, padding, seed):
    x = np.random.default_rng(seed).normal(size=(h, w))
    if padding == "valid" and size > min(h, w):
        with pytest.raises(ValueError, match="larger than"):
            pool2d(x, size, stride, mode, padding)
        return
    np.testing.assert_allclose(pool2d(x, size, stride, mode, padding),
                               tf_pool(tf, x, size, stride, mode, padding), **TF_FLOAT32)


def test_channels_are_pooled_separately_like_tensorflow(tf):
    x = np.random.default_rng(5).normal(size=(6, 5, 3))
    for mode in ("max", "avg"):
        np.testing.assert_allclose(pool2d(x, 3, 2, mode, "same"),
                                   tf_pool(tf, x, 3, 2, mode, "same"), **TF_FLOAT32)


@pytest.mark.parametrize("size", [2, 3])
def test_stride_one_valid_matches_scipy_filters(size):
    x = np.random.default_rng(9).normal(size=(9, 10))
    # scipy centres the window on index size // 2; keep only the "valid" part.
    lo, hi = size // 2, (size - 1) // 2
    crop = (slice(lo, x.shape[0] - hi), slice(lo, x.shape[1] - hi))
    np.testing.assert_allclose(pool2d(x, size, 1, "max"), maximum_filter(x, size)[crop])
    np.testing.assert_allclose(pool2d(x, size, 1, "avg"), uniform_filter(x, size)[crop])


def test_output_shapes_halve_a_28x28_map():
    x = np.zeros((28, 28))
    assert pool2d(x).shape == (14, 14)
    assert pool2d(x, 3, 2, padding="same").shape == (14, 14)
    assert pool2d(x, 3, 3).shape == (9, 9)


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "min"}, "max"), ({"padding": "full"}, "valid"), ({"stride": 0}, "stride"),
    ({"size": 0}, "window size"), ({"size": 6}, "larger than"),
])
def test_bad_arguments_raise_one_sentence(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pool2d(np.ones((5, 5)), **kwargs)


def test_max_pooling_hides_a_small_shift_of_a_blob():
    x = np.zeros((8, 8))
    x[2, 2] = 9  # a single strong response
    moved = shift_image(x, right=1)
    assert unchanged_fraction(x, moved) < 1
    assert unchanged_fraction(pool2d(x), pool2d(moved)) == 1.0
    with pytest.raises(ValueError):
        unchanged_fraction(np.ones(3), np.ones(4))


# ---- the shift study: how much pooling hides a small shift, over many inputs ------------------

SIDE, COUNT = 22, 200


@pytest.fixture(scope="module")
def study_inputs() -> dict[str, list[np.ndarray]]:
    """Many maps of three kinds: dense random textures, sparse dots and real digits."""
    digits = load_dataset("mnist", download=False).x_test[:COUNT]
    return {"random": random_maps(COUNT, SIDE, 0), "dots": dot_maps(COUNT, SIDE, 0),
            "digits": digit_maps(digits, SIDE)}


def test_shifted_pair_moves_the_content():
    x = np.arange(100.0).reshape(10, 10)
    middle, moved = shifted_pair(x, 1, -2, 3)
    assert middle.shape == moved.shape == (4, 4)
    # Content moved down 1 and left 2: what sat at (r, c) now sits at (r + 1, c - 2).
    np.testing.assert_array_equal(moved[1:, :2], middle[:-1, 2:])
    with pytest.raises(ValueError, match="larger map"):
        shifted_pair(x, 4, 0, 3)


def test_shift_effect_counts_cells_by_hand():
    rng = np.random.default_rng(5)
    before = rng.integers(0, 3, (6, 6)).astype(float)
    after = np.roll(before, 1, axis=1)
    effect = shift_effect(before, after, 2, 2, "max")
    pooled_b, pooled_a = pool2d(before), pool2d(after)
    active = (pooled_b != 0) | (pooled_a != 0)
    assert effect.pooled_unchanged == pytest.approx(
        np.sum((pooled_b == pooled_a) & active) / np.sum(active))
    assert effect.pooled_correlation == pytest.approx(
        np.corrcoef(pooled_b.ravel(), pooled_a.ravel())[0, 1])
    same = shift_effect(before, before)
    assert same.pooled_unchanged == 1 and same.pooled_correlation == pytest.approx(1)


def test_the_study_agrees_with_one_map_at_a_time(study_inputs):
    maps = study_inputs["digits"][:5]
    (summary,) = shift_study(maps, (2,), 3, 2, "max")
    one_by_one = [shift_effect(*shifted_pair(x, 2 * d, 2 * r, 2), 3, 2, "max").pooled_unchanged
                  for x in maps for d, r in SHIFT_DIRECTIONS.values()]
    assert summary.count == len(one_by_one) == 20
    assert summary.pooled_unchanged[1] == pytest.approx(np.median(one_by_one))


def test_max_pooling_gives_only_partial_invariance(study_inputs):
    """What the pooling page says, checked over 600 maps, 3 distances and 4 directions."""
    for kind, maps in study_inputs.items():
        one, two, three = shift_study(maps, (1, 2, 3), 2, 2, "max")
        # A one-cell shift leaves at most about half of the pooled numbers as they were...
        assert one.pooled_unchanged[1] <= 0.55, kind
        # ...and two or three cells (the stride or more) change nearly all of them.
        assert max(two.pooled_unchanged[1], three.pooled_unchanged[1]) <= 0.25, kind
        # Pooling does help a little: the pooled maps stay more alike than the inputs.
        assert one.pooled_unchanged[1] > one.input_unchanged[1], kind
        assert one.pooled_correlation[1] > one.input_correlation[1], kind
        # And the help fades with distance.
        assert one.pooled_correlation[1] > two.pooled_correlation[1], kind


def test_invariance_holds_for_a_strong_feature_inside_its_window():
    x = np.zeros((8, 8))
    x[2, 2] = 9
    inside = shift_image(x, right=1)  # column 2 -> 3: still in window columns 2-3
    across = shift_image(x, right=2)  # column 2 -> 4: the next window
    assert shift_effect(x, inside).pooled_unchanged == 1
    assert shift_effect(x, across).pooled_unchanged == 0
