"""Preset kernels and parsing of kernels typed by a learner."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.maths.kernels import (
    PRESET_KERNELS,
    KernelError,
    format_kernel,
    get_kernel,
    kernel_from_grid,
    normalise_kernel,
    parse_kernel,
)


def test_at_least_ten_presets_each_with_a_caption():
    assert len(PRESET_KERNELS) >= 10
    for kernel in PRESET_KERNELS.values():
        assert kernel.caption.strip() and kernel.matrix.ndim == 2


@pytest.mark.parametrize("name,matrix", [
    ("Identity", [[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    ("Box blur 3x3", np.ones((3, 3)) / 9),
    ("Mean blur 8x8", np.ones((8, 8)) / 64),
    ("Gaussian blur 3x3", np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16),
    ("Sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    ("Edge detector 1 (diagonal)", [[1, 0, -1], [0, 0, 0], [-1, 0, 1]]),
    ("Edge detector 2 (4-neighbour)", [[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    ("Edge detector 3 (8-neighbour)", [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
    ("Vertical edge", [[1, 0, -1]] * 3),
    ("Sobel x", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    ("Sobel y", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
])
def test_presets_from_the_teaching_material(name, matrix):
    np.testing.assert_allclose(get_kernel(name).matrix, matrix)


def test_blurs_keep_brightness_and_edge_detectors_sum_to_zero():
    for name in ("Box blur 3x3", "Mean blur 8x8", "Gaussian blur 3x3", "Sharpen", "Identity"):
        assert get_kernel(name).matrix.sum() == pytest.approx(1)
    for kernel in PRESET_KERNELS.values():
        if kernel.signed_output:
            assert kernel.matrix.sum() == pytest.approx(0)


def test_presets_cannot_be_modified_in_place():
    with pytest.raises(ValueError):
        get_kernel("Sharpen").matrix[0, 0] = 9


def test_unknown_preset_lists_the_names():
    with pytest.raises(KernelError, match="Sobel x"):
        get_kernel("Sobel z")


@pytest.mark.parametrize("text,expected", [
    ("0 -1 0\n-1 5 -1\n0 -1 0", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    ("1, 0, -1; 1, 0, -1", [[1, 0, -1], [1, 0, -1]]),
    ("[[1,2],[3,4]]", [[1, 2], [3, 4]]),
    ("1/9 1/9\n1/9 1/9", np.full((2, 2), 1 / 9)),
    ("  2.5e-1  \n\n", [[0.25]]),
    ("-.5 +1", [[-0.5, 1]]),
])
def test_parse_kernel_accepts_common_notations(text, expected):
    np.testing.assert_allclose(parse_kernel(text), expected)


@pytest.mark.parametrize("text,message", [
    ("", "empty"),
    ("   \n ; ", "empty"),
    ("1 2\n3", "same number"),
    ("1 a 3", "not a number"),
    ("nan 1", "not a number"),
    ("inf 1", "not a number"),
    ("1e999", "too large"),
    ("1/0", "divides by zero"),
    ("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "too big"),
    ("\n".join(["1"] * 16), "too big"),
])
def test_parse_kernel_errors_are_one_sentence(text, message):
    with pytest.raises(KernelError, match=message) as info:
        parse_kernel(text)
    assert "\n" not in str(info.value)


def test_parse_kernel_accepts_even_and_largest_sizes():
    assert parse_kernel("1 1\n1 1").shape == (2, 2)
    assert parse_kernel("\n".join([" ".join(["1"] * 15)] * 15)).shape == (15, 15)


def test_format_kernel_round_trips():
    for kernel in PRESET_KERNELS.values():
        np.testing.assert_allclose(parse_kernel(format_kernel(kernel.matrix)), kernel.matrix,
                                   rtol=1e-3)


@pytest.mark.parametrize("grid,message", [
    ([[1, None], [2, 3]], "empty"),
    ([[1, ""], [2, 3]], "empty"),
    ([[1, float("nan")]], "empty"),
    ([["x", 1]], "not a number"),
    ([[1, 2], [3]], "same number"),
    ([], "empty"),
])
def test_kernel_from_grid_errors(grid, message):
    with pytest.raises(KernelError, match=message):
        kernel_from_grid(grid)


def test_kernel_from_grid_reads_text_cells():
    np.testing.assert_allclose(kernel_from_grid([["1", "-2"], [" 0.5 ", "1/4"]]),
                               [[1, -2], [0.5, 0.25]])


def test_normalise_kernel():
    np.testing.assert_allclose(normalise_kernel(np.ones((2, 2))), np.full((2, 2), 0.25))
    with pytest.raises(KernelError, match="add up to 0"):
        normalise_kernel(get_kernel("Sobel x").matrix)
