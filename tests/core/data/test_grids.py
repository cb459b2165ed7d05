"""Input grids: seeded random numbers, shrunk pictures and crops, and typed-in tables."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnn_core.data.grids import (
    crop_square,
    digit_maps,
    dot_maps,
    feature_map_grid,
    image_to_grid,
    parse_grid,
    photo_edge_maps,
    random_grid,
    random_maps,
)
from cnn_core.data.images import fit_within, to_greyscale
from cnn_core.maths.convolution import convolve2d
from cnn_core.maths.kernels import PRESET_KERNELS


def test_input_helpers():
    a, b = random_grid(8, 3), random_grid(8, 3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (8, 8) and a.min() >= 0 and a.max() <= 9 and np.all(a == np.rint(a))
    assert random_grid(4, 1, channels=3).shape == (4, 4, 3)
    photo = np.random.default_rng(1).integers(0, 256, size=(300, 451, 3), dtype=np.uint8)
    grid = image_to_grid(photo, 16)
    assert grid.shape == (11, 16) and grid.dtype == np.float64
    assert grid.min() >= 0 and grid.max() <= 255 and np.all(grid == np.rint(grid))
    assert image_to_grid(np.zeros((28, 28), np.uint8), 12).shape == (12, 12)
    crop = crop_square(photo, 0.0, 1.0, 100)
    assert crop.shape == (100, 100, 3)
    np.testing.assert_array_equal(crop, photo[:100, -100:])
    assert crop_square(photo, 0.5, 0.5, 1000).shape == (300, 300, 3)


@pytest.mark.parametrize("cells, message", [
    ([[1, 2], [3, "x"]], "Row 2, column 2: 'x' is not a number"),
    ([[1, None]], "Row 1, column 2: is empty"),
    ([[1, float("nan")]], "is empty"),
    ([[1, "inf"]], "not a number"),
    ([], "empty"),
    ([[1, 2], [3]], "same number of cells"),
    ([[1] * 17], "at most 16x16"),
])
def test_parse_grid_names_the_bad_cell(cells, message):
    with pytest.raises(ValueError, match=message):
        parse_grid(cells, 16)


def test_parse_grid_reads_numbers_and_text():
    np.testing.assert_array_equal(parse_grid([["1", " 2.5 "], [-3, 4]]), [[1, 2.5], [-3, 4]])


def test_image_to_grid_is_the_grey_picture_shrunk_and_rounded():
    photo = np.random.default_rng(2).integers(0, 256, size=(90, 61, 3), dtype=np.uint8)
    shrunk, _ = fit_within(to_greyscale(photo).astype(np.float32), 12)
    np.testing.assert_array_equal(image_to_grid(photo, 12), np.rint(shrunk))
    small = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(image_to_grid(small, 16), small)  # never enlarged


@pytest.mark.parametrize("kernel_name", ["Sobel x", "Laplacian"])
def test_feature_map_grid_is_valid_cross_correlation_then_relu(kernel_name):
    photo = np.random.default_rng(3).integers(0, 256, size=(120, 160, 3), dtype=np.uint8)
    kernel = PRESET_KERNELS[kernel_name].matrix
    side = 10
    values = feature_map_grid(photo, kernel, side)
    assert values.shape == (side, side)
    small = image_to_grid(crop_square(to_greyscale(photo), 0.5, 0.5, 120), side + len(kernel) - 1)
    np.testing.assert_allclose(values, np.maximum(correlate2d(small, kernel, "valid"), 0))


def test_feature_map_grid_draws_no_false_edge_along_the_border():
    flat = np.full((50, 80, 3), 200, np.uint8)
    assert not feature_map_grid(flat, PRESET_KERNELS["Sobel x"].matrix, 8).any()


# ---- inputs of the pooling page's shift study ------------------------------------------------

def test_study_maps_have_the_asked_size_and_kind():
    dense = random_maps(5, 22, 0)
    assert len(dense) == 5 and all(m.shape == (22, 22) for m in dense)
    assert not np.array_equal(dense[0], dense[1])  # one seed per map
    dots = dot_maps(5, 22, 0, dots=3)
    assert all(np.count_nonzero(m) == 3 and m.max() <= 9 and m[m > 0].min() >= 5 for m in dots)
    digits = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    middles = digit_maps(digits, 22)
    np.testing.assert_array_equal(middles[0], digits[0][3:25, 3:25])


def test_photo_edge_maps_are_crops_of_the_edge_map():
    image = np.random.default_rng(1).integers(0, 256, (60, 80), dtype=np.uint8)
    kernel = np.array([[1.0, 0, -1]] * 3)
    crops = photo_edge_maps(image, kernel, 4, 10, 0, shrink_to=40)
    edges = np.maximum(convolve2d(image_to_grid(image, 40), kernel, "valid"), 0)
    windows = np.lib.stride_tricks.sliding_window_view(edges, (10, 10)).reshape(-1, 10, 10)
    for crop in crops:
        assert crop.shape == (10, 10) and crop.min() >= 0
        assert any(np.array_equal(crop, w) for w in windows)
    with pytest.raises(ValueError, match="smaller"):
        photo_edge_maps(image, kernel, 1, 50, 0, shrink_to=40)
