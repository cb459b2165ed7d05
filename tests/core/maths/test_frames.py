"""Frames and the pixel inspector: checked against TensorFlow and OpenCV, not against their
twins convolve2d / pool2d (the frames compute their own values)."""

from __future__ import annotations

import dataclasses
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_core.config import CLASSIC_GRID, EDGE_GRID
from cnn_core.data.grids import random_grid
from cnn_core.maths.convolution import apply_kernel, convolve2d
from cnn_core.maths.frames import (
    ConvFrame,
    PoolFrame,
    conv_frames,
    filtered_shape,
    format_arithmetic,
    format_number,
    format_term,
    inspect_pixel,
    pixel_under_click,
    pool_frames,
    shorten_arithmetic,
    size_formula_latex,
    window_origin,
)
from cnn_core.maths.kernels import PRESET_KERNELS
from cnn_core.maths.pooling import pool2d
from cnn_core.maths.windows import kernel_anchor, output_size, pad, padding_amounts

SEED_GRID = np.array(CLASSIC_GRID)
VERTICAL_EDGE = np.array([[1, 0, -1]] * 3)
SEED_SUM = "3x1 + 1x1 + 2x1 + 2x0 + 9x0 + 3x0 + 3x(-1) + 1x(-1) + 5x(-1) = -3"


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


def rebuild(frames) -> np.ndarray:
    """The frames' values in order, as a grid (row-major, as the frames are listed)."""
    return np.array([f.value for f in frames]).reshape(frames[-1].row + 1, frames[-1].col + 1)


# ---- the seed examples -------------------------------------------------------------------

def test_seed_example_frames_values_and_first_arithmetic():
    frames = conv_frames(SEED_GRID, VERTICAL_EDGE)
    assert len(frames) == 9
    np.testing.assert_array_equal(rebuild(frames), [[-3, 4, -7], [-3, 0, -8], [-4, -9, -10]])
    first = frames[0]
    assert (first.row, first.col, first.value) == (0, 0, -3)
    np.testing.assert_array_equal(first.window, SEED_GRID[:3, :3])
    assert first.arithmetic == SEED_SUM
    assert frames[1].arithmetic.endswith("= 4") and frames[-1].arithmetic.endswith("= -10")


def test_edge_example_lights_up_only_where_8s_meet_0s():
    frames = conv_frames(np.array(EDGE_GRID), VERTICAL_EDGE)
    np.testing.assert_array_equal(rebuild(frames), [[0, 24, 24, 0]] * 4)


# ---- conv frames against convolve2d and TensorFlow -------------------------------------------

def tf_conv(tf, x: np.ndarray, kernel: np.ndarray, padding: str, stride: int) -> np.ndarray:
    x4 = x[None, :, :, None] if x.ndim == 2 else x[None]
    k4 = kernel[:, :, None, None] if kernel.ndim == 2 else kernel[:, :, :, None]
    return tf.nn.conv2d(x4.astype(np.float64), k4.astype(np.float64), stride,
                        padding.upper()).numpy()[0, :, :, 0]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("k", [(1, 1), (2, 2), (3, 3), (2, 3), (5, 5)])
def test_conv_frames_agree_with_convolve2d_and_sit_where_they_say(padding, stride, k):
    rng = np.random.default_rng(zlib.crc32(repr((padding, stride, k)).encode()))
    x = rng.integers(-9, 10, size=(8, 9))
    kernel = rng.integers(-3, 4, size=k)
    frames = conv_frames(x, kernel, padding, stride)
    expected = convolve2d(x, kernel, padding, stride)
    # Whole numbers: both ways of summing are exact, so the two twins must agree exactly.
    np.testing.assert_array_equal(rebuild(frames), expected)
    assert [(f.row, f.col) for f in frames] == [
        (r, c) for r in range(expected.shape[0]) for c in range(expected.shape[1])]
    padded = pad(x, k, padding, stride)
    for index, f in enumerate(frames):
        assert f.index == index
        np.testing.assert_array_equal(f.kernel, kernel)
        under = padded[f.top : f.top + k[0], f.left : f.left + k[1]]
        np.testing.assert_array_equal(f.window, under)
        assert (f.top, f.left) == (f.row * stride, f.col * stride)
        assert f.input_position == (f.top - f.pad_top, f.left - f.pad_left)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 10), w=st.integers(1, 10), kh=st.integers(1, 4), kw=st.integers(1, 4),
       stride=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]),
       seed=st.integers(0, 2**31))
def test_conv_frames_match_tensorflow(tf, h, w, kh, kw, stride, padding, seed):
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    if padding == "valid" and (kh > h or kw > w):
        with pytest.raises(ValueError, match="larger than"):
            conv_frames(x, kernel, padding, stride)
        return
    frames = conv_frames(x, kernel, padding, stride)
    np.testing.assert_allclose(rebuild(frames), tf_conv(tf, x, kernel, padding, stride),
                               atol=1e-9)
    for f in frames:  # the value is the sum of the products the learner is shown
        assert f.products.sum() == pytest.approx(f.value, abs=1e-12)


def test_three_channel_frames_sum_the_channel_products(tf):
    x = random_grid(5, 1, channels=3)
    kernel = random_grid(3, 2, low=-1, high=1, channels=3)
    frames = conv_frames(x, kernel, "same", 2)
    np.testing.assert_allclose(rebuild(frames), tf_conv(tf, x, kernel, "same", 2))
    f = frames[4]
    assert f.window.shape == f.products.shape == (3, 3, 3)
    assert len(f.channel_sums) == 3 and sum(f.channel_sums) == pytest.approx(f.value)
    lines = f.arithmetic.splitlines()
    assert [line.split(":")[0] for line in lines] == ["red", "green", "blue", "total"]
    assert lines[-1].endswith(f"= {format_number(f.value)}")


# ---- pool frames ------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("size", [2, 3])
def test_pool_frames_agree_with_pool2d_and_keep_a_real_cell(mode, padding, stride, size):
    x = np.random.default_rng(size * 10 + stride).normal(size=(7, 6))
    frames = pool_frames(x, size, stride, mode, padding)
    np.testing.assert_allclose(rebuild(frames), pool2d(x, size, stride, mode, padding),
                               rtol=1e-12)
    padded = pad(x, size, padding, stride)
    for f in frames:
        np.testing.assert_array_equal(f.window, padded[f.top : f.top + size,
                                                       f.left : f.left + size])
        cells = f.window[f.real]
        assert f.real.any() and f.window.shape == (size, size)
        if mode == "max":
            assert f.real[f.kept] and f.window[f.kept] == f.value
        else:
            assert f.kept is None
            assert f.arithmetic.split(" / ")[1].startswith(f"{cells.size} =")


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 10), w=st.integers(1, 10), size=st.integers(1, 3),
       stride=st.integers(1, 3), mode=st.sampled_from(["max", "avg"]),
       padding=st.sampled_from(["valid", "same"]), seed=st.integers(0, 2**31))
def test_pool_frames_match_tensorflow(tf, h, w, size, stride, mode, padding, seed):
    # All negative numbers half the time: a padded zero that wrongly took part would win a max.
    x = np.random.default_rng(seed).integers(-50, 50 if seed % 2 else 0, size=(h, w)) * 1.0
    if padding == "valid" and size > min(h, w):
        with pytest.raises(ValueError, match="larger than"):
            pool_frames(x, size, stride, mode, padding)
        return
    pool = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    reference = pool(x[None, :, :, None], size, stride, padding.upper()).numpy()[0, :, :, 0]
    np.testing.assert_allclose(rebuild(pool_frames(x, size, stride, mode, padding)), reference,
                               rtol=1e-6)


def test_pool_frame_seed_example_and_ties_keep_the_first():
    frames = pool_frames(SEED_GRID, 2, 2, "max")
    assert [f.value for f in frames] == [9, 3, 3, 6]
    assert frames[0].kept == (1, 1) and frames[0].arithmetic == "max(3, 2, 1, 9) = 9"
    tie = pool_frames(np.full((2, 2), 5.0), 2, 2, "max")[0]
    assert tie.kept == (0, 0)
    avg = pool_frames(SEED_GRID, 3, 2, "avg", "same")[0]
    assert avg.arithmetic == "(3 + 2 + 1 + 9) / 4 = 3.75"  # the padded cells are left out
    with pytest.raises(ValueError, match="2-D"):
        pool_frames(np.ones((4, 4, 3)))


# ---- records and formatting -------------------------------------------------------------

def test_frames_are_frozen_read_only_and_readable():
    frame = conv_frames(SEED_GRID, VERTICAL_EDGE)[0]
    assert isinstance(frame, ConvFrame)
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.row = 1
    with pytest.raises(ValueError):
        frame.window[0, 0] = 1
    assert repr(frame) == ("ConvFrame(#0: output (0, 0), 3x3 window at (0, 0) of the padded "
                           "input, value=-3)")
    pooled = pool_frames(SEED_GRID)[0]
    assert isinstance(pooled, PoolFrame) and "max of the 2x2 window" in repr(pooled)


@pytest.mark.parametrize("value, text", [
    (3.0, "3"), (-3.0, "-3"), (-0.0, "0"), (1 / 9, "0.111"), (-0.25, "-0.25"),
    (127.4444, "127.44"), (2.9999999999, "3"), (1234567.0, "1234567"), (3.75, "3.75"),
])
def test_format_number(value, text):
    assert format_number(value) == text


def test_format_term_and_arithmetic_orders():
    assert format_term(-1) == "(-1)" and format_term(2.5) == "2.5"
    window = SEED_GRID[:3, :3]
    assert format_arithmetic(window, VERTICAL_EDGE) == SEED_SUM
    assert format_arithmetic(window, VERTICAL_EDGE, order="row").startswith("3x1 + 2x0 + 3x(-1)")
    assert format_arithmetic(np.ones((1, 1)) / 3, np.ones((1, 1)) / 3) == "0.333x0.333 = 0.111"
    with pytest.raises(ValueError):
        format_arithmetic(np.ones((2, 2)), np.ones((3, 3)))


@pytest.mark.parametrize("n, k, padding, stride", [
    (5, 3, "valid", 1), (5, 3, "same", 3), (6, 3, "same", 2), (28, 2, "valid", 2),
    (7, 4, "same", 1),
])
def test_size_formula_writes_the_padding_before_and_after(n, k, padding, stride):
    before, after = padding_amounts(n, k, padding, stride)
    out = output_size(n, k, padding, stride)
    text = size_formula_latex(n, k, padding, stride)
    assert r"p_{\text{top}} + p_{\text{bottom}}" in text
    assert rf"\frac{{{n} + {before} + {after} - {k}}}{{{stride}}} \right\rfloor + 1 = {out}" \
        in text
    # The formula is the rule TensorFlow follows: it gives the size the layer gives.
    assert (n + before + after - k) // stride + 1 == out
    assert r"p_{\text{left}} + p_{\text{right}}" in size_formula_latex(n, k, padding, stride,
                                                                        "columns")


def test_same_padding_with_stride_3_has_an_odd_total():
    before, after = padding_amounts(5, 3, "same", 3)
    assert before != after  # the case a single "2p" cannot write
    with pytest.raises(ValueError, match="axis"):
        size_formula_latex(5, 3, axis="depth")


def test_long_sums_are_shortened_with_their_total_kept():
    frame = conv_frames(np.arange(25.0).reshape(5, 5), np.ones((5, 5)))[0]
    short = shorten_arithmetic(frame.arithmetic)
    assert short.endswith(f"= {format_number(frame.value)}") and "..." in short
    assert short.count(" + ") == 9  # 7 terms, "...", 2 terms
    assert short.startswith(frame.arithmetic.split(" + ")[0])
    nine = conv_frames(SEED_GRID, VERTICAL_EDGE)[0].arithmetic
    assert shorten_arithmetic(nine) == nine
    for mode in ("max", "avg"):
        pooled = pool_frames(np.arange(16.0).reshape(4, 4), 4, 1, mode)[0]
        text = shorten_arithmetic(pooled.arithmetic)
        assert "..." in text and text.endswith(f"= {format_number(pooled.value)}")
        assert text.startswith("max(" if mode == "max" else "(")
        assert mode == "max" or text.split(" = ")[0].endswith(") / 16")


# ---- the pixel inspector ---------------------------------------------------------------------

def _grey(seed: int, shape: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _opencv_filter(image: np.ndarray, kernel: np.ndarray, border: str) -> np.ndarray:
    """What the photo filter computes, straight from OpenCV with TensorFlow's anchor."""
    ay, ax = kernel_anchor(kernel.shape)
    cv_border = cv2.BORDER_REFLECT_101 if border == "reflect" else cv2.BORDER_CONSTANT
    values = cv2.filter2D(image.astype(np.float64), cv2.CV_64F, kernel, anchor=(ax, ay),
                          borderType=cv_border)
    if border == "valid":
        kh, kw = kernel.shape
        values = values[ay : ay + image.shape[0] - kh + 1, ax : ax + image.shape[1] - kw + 1]
    return values


IMAGE_SHAPES = [(1, 1), (2, 2), (1, 9), (9, 1), (5, 7), (12, 10)]


@pytest.mark.parametrize("shape", IMAGE_SHAPES)
@pytest.mark.parametrize("k", [(1, 1), (3, 3), (2, 2), (5, 4), (8, 8)])
@pytest.mark.parametrize("border", ["same", "reflect", "valid"])
def test_every_inspected_pixel_is_what_opencv_computes(shape, k, border):
    image = _grey(sum(shape), shape)
    kernel = np.random.default_rng(k[0] * 10 + k[1]).normal(size=k)
    if border == "valid" and (k[0] > shape[0] or k[1] > shape[1]):
        assert filtered_shape(shape, k, border) in ((0, shape[1] - k[1] + 1),
                                                     (shape[0] - k[0] + 1, 0), (0, 0))
        with pytest.raises(ValueError, match="larger than"):
            inspect_pixel(image, kernel, 0, 0, border)
        return
    expected = _opencv_filter(image, kernel, border)
    assert filtered_shape(shape, k, border) == expected.shape
    for row in range(expected.shape[0]):
        for col in range(expected.shape[1]):
            frame = inspect_pixel(image, kernel, row, col, border)
            assert frame.value == pytest.approx(expected[row, col], abs=1e-9)
            assert frame.input_position == window_origin(row, col, shape, k, border)


@pytest.mark.parametrize("name", ["Sobel x", "Mean blur 8x8", "Emboss"])
@pytest.mark.parametrize("border", ["same", "reflect", "valid"])
def test_the_inspected_sum_gives_the_shown_pixel(name, border):
    image = _grey(0, (20, 24))
    kernel = PRESET_KERNELS[name].matrix
    result = apply_kernel(image, kernel, border=border, display="clip")
    for row, col in [(0, 0), (5, 7), (result.shape[0] - 1, result.shape[1] - 1)]:
        frame = inspect_pixel(image, kernel, row, col, border)
        assert frame.products.shape == kernel.shape
        # OpenCV filters in float32, so a sum that lands on .5 may round either way.
        assert abs(int(result[row, col]) - np.clip(np.rint(frame.value), 0, 255)) <= 1


def test_the_inspector_refuses_pixels_outside_the_result():
    with pytest.raises(ValueError, match="outside the 3x3 result"):
        inspect_pixel(np.zeros((5, 5)), np.ones((3, 3)), 3, 0, "valid")
    with pytest.raises(ValueError, match="one channel"):
        inspect_pixel(np.zeros((5, 5, 3)), np.ones((3, 3)), 0, 0)


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (1, 9), (9, 1), (7, 11)])
@pytest.mark.parametrize("k", [(1, 1), (3, 3), (2, 4)])
@pytest.mark.parametrize("border", ["same", "reflect", "valid"])
@pytest.mark.parametrize("zoom", [1.0, 2.5, 0.5])
def test_a_click_on_a_windows_anchor_pixel_selects_that_window(shape, k, border, zoom):
    out_h, out_w = filtered_shape(shape, k, border)
    if out_h == 0 or out_w == 0:
        with pytest.raises(ValueError, match="larger than"):
            pixel_under_click(0, 0, shape[1] * zoom, shape, k, border)
        return
    ay, ax = kernel_anchor(k)
    for row in range(out_h):
        for col in range(out_w):
            top, left = window_origin(row, col, shape, k, border)
            # The middle of the anchor pixel as shown on screen, `zoom` times its size.
            x, y = (left + ax + 0.5) * zoom, (top + ay + 0.5) * zoom
            assert pixel_under_click(x, y, shape[1] * zoom, shape, k, border) == (row, col)


def test_clicks_outside_the_result_pick_the_nearest_output_pixel():
    shape, k = (10, 12), (5, 5)
    assert pixel_under_click(0, 0, 12, shape, k, "valid") == (0, 0)
    last = filtered_shape(shape, k, "valid")
    assert pixel_under_click(11.9, 9.9, 12, shape, k, "valid") == (last[0] - 1, last[1] - 1)
    # Beyond the image (a click on the very edge of a stretched picture) stays inside it.
    assert pixel_under_click(500, 500, 12, shape, k, "same") == (9, 11)
    # No width reported: the image is taken as shown at its own size.
    assert pixel_under_click(3, 4, None, shape, k, "same") == (4, 3)
