"""Preset kernels, kernels typed by a learner, and their LaTeX."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnn_core.maths.kernels import (
    PRESET_KERNELS,
    Kernel,
    KernelError,
    common_fraction,
    custom_kernel,
    format_kernel,
    get_kernel,
    kernel_from_grid,
    kernel_latex,
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
    ("Edge detector 2 (4-neighbour)", [[0, -1, 0], [-1, 4, -1], [0, -1, 0]]),
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


def test_parse_kernel_can_be_held_to_a_smaller_size():
    assert parse_kernel("1 2\n3 4", max_size=2).shape == (2, 2)
    with pytest.raises(KernelError, match="largest allowed here is 2x2"):
        parse_kernel("1 2 3", max_size=2)


def test_a_custom_kernel_is_a_kernel_marked_signed_when_it_has_negative_weights():
    typed = np.array([[1.0, -2.0], [0.5, 0.0]])
    kernel = custom_kernel(typed)
    assert isinstance(kernel, Kernel) and kernel.name == "Custom"
    np.testing.assert_array_equal(kernel.matrix, typed)
    assert kernel.signed_output == bool((typed < 0).any())
    assert custom_kernel(np.abs(typed)).signed_output is False
    typed[0, 0] = 9  # the kernel keeps its own read-only copy
    assert kernel.matrix[0, 0] == 1 and not kernel.matrix.flags.writeable
    for bad, message in [(np.ones(3), "2-D"), (np.full((1, 2), np.nan), "finite"),
                         (np.ones((16, 1)), "too big")]:
        with pytest.raises(KernelError, match=message):
            custom_kernel(bad)


def read_latex(text: str) -> np.ndarray:
    """The numbers of a LaTeX bmatrix, times the fraction in front of it if there is one."""
    scale = re.match(r"\\frac\{1\}\{(\d+)\}", text)
    body = text[text.index(r"\begin{bmatrix}") + 15 : text.index(r"\end{bmatrix}")]
    rows = [[float(v) for v in row.split("&")] for row in body.split(r"\\")]
    return np.array(rows) / (int(scale.group(1)) if scale else 1)


@pytest.mark.parametrize("name", list(PRESET_KERNELS))
def test_kernel_latex_writes_every_preset_back_to_its_numbers(name):
    matrix = PRESET_KERNELS[name].matrix
    np.testing.assert_allclose(read_latex(kernel_latex(matrix)), matrix, rtol=1e-12)


@pytest.mark.parametrize("matrix, fraction", [
    (np.ones((3, 3)) / 9, 9), (np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16, 16),
    (np.array([[0.5, -1.5]]), 2), (np.array([[1, 0.3]]), None), (np.zeros((2, 2)), None),
    (np.array([[-1 / 3, 0, 1 / 3]]), 3),
])
def test_kernel_latex_pulls_out_a_common_fraction_only_when_there_is_one(matrix, fraction):
    text = kernel_latex(matrix)
    assert text.startswith(rf"\frac{{1}}{{{fraction}}}") == (fraction is not None)
    assert "-0 " not in text and "-0&" not in text
    np.testing.assert_allclose(read_latex(text), matrix, rtol=1e-2)


def test_no_two_presets_are_the_same_kernel_under_two_names():
    seen: dict[bytes, str] = {}
    for name, kernel in PRESET_KERNELS.items():
        key = kernel.matrix.shape, kernel.matrix.tobytes()
        assert key not in seen, f"{name!r} is the same kernel as {seen[key]!r}"
        seen[key] = name


def _step_response(name: str) -> tuple[float, float]:
    """(response on the dark side, on the bright side) of a vertical dark-to-bright edge."""
    from scipy.signal import correlate2d

    image = np.zeros((9, 9))
    image[:, 5:] = 255  # columns 0-4 dark, 5-8 bright
    out = correlate2d(image, get_kernel(name).matrix, mode="same", boundary="symm")
    return out[4, 4], out[4, 5]


def test_laplacian_and_edge_detector_2_captions_say_which_side_of_an_edge_lights_up():
    dark, bright = _step_response("Laplacian")
    assert dark > 0 > bright and "positive on the dark side" in get_kernel("Laplacian").caption
    dark, bright = _step_response("Edge detector 2 (4-neighbour)")
    assert bright > 0 > dark
    assert "positive on the bright side" in get_kernel("Edge detector 2 (4-neighbour)").caption
    flat = np.full((5, 5), 100.0)
    for name in ("Laplacian", "Edge detector 2 (4-neighbour)"):
        assert "0 on flat areas" in get_kernel(name).caption
        assert float(np.sum(flat[1:4, 1:4] * get_kernel(name).matrix)) == 0


def test_edge_detector_1_ignores_straight_edges_and_finds_diagonal_ones():
    from scipy.signal import correlate2d

    kernel = get_kernel("Edge detector 1 (diagonal)").matrix
    rows, cols = np.mgrid[0:9, 0:9]
    straight = [(cols >= 5) * 255.0, (rows >= 5) * 255.0]
    diagonal = (rows + cols >= 9) * 255.0
    for image in straight:
        assert not np.any(correlate2d(image, kernel, mode="valid"))
    assert np.any(correlate2d(diagonal, kernel, mode="valid"))


def test_common_fraction_pulls_out_one_over_n_or_leaves_the_weights():
    scale, multiples = common_fraction(get_kernel("Mean blur 8x8").matrix)
    assert (scale.numerator, scale.denominator) == (1, 64)
    np.testing.assert_array_equal(multiples, np.ones((8, 8)))
    gaussian = get_kernel("Gaussian blur 3x3").matrix
    scale, multiples = common_fraction(gaussian)
    np.testing.assert_allclose(multiples * float(scale), gaussian)
    sobel = get_kernel("Sobel x").matrix
    scale, multiples = common_fraction(sobel)
    assert scale == 1 and np.array_equal(multiples, sobel)
    with pytest.raises(KernelError):
        common_fraction(np.zeros((0, 3)))


def test_normalising_a_zero_sum_kernel_names_no_checkbox():
    """The page adds the words of its own checkbox; the core must not invent another name."""
    with pytest.raises(KernelError) as error:
        normalise_kernel(get_kernel("Laplacian").matrix)
    assert "add up to 0" in str(error.value) and "untick" not in str(error.value).lower()
