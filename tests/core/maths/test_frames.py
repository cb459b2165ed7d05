"""Animation frames: exact against convolve2d/pool2d, checked against TensorFlow, and fast."""

from __future__ import annotations

import dataclasses
import time
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_core.config import CLASSIC_GRID, EDGE_GRID
from cnn_core.data.grids import random_grid
from cnn_core.maths.convolution import convolve2d, pad
from cnn_core.maths.frames import (
    ConvFrame,
    PoolFrame,
    conv_frames,
    conv_parameter_count,
    feature_map_stack,
    format_arithmetic,
    format_number,
    format_term,
    pool_frames,
    size_formula_latex,
)
from cnn_core.maths.pooling import pool2d

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

@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("k", [(1, 1), (2, 2), (3, 3), (2, 3), (5, 5)])
def test_conv_frames_rebuild_convolve2d_exactly(padding, stride, k):
    rng = np.random.default_rng(zlib.crc32(repr((padding, stride, k)).encode()))
    x = rng.integers(-9, 10, size=(8, 9))
    kernel = rng.integers(-3, 4, size=k)
    frames = conv_frames(x, kernel, padding, stride)
    expected = convolve2d(x, kernel, padding, stride)
    np.testing.assert_array_equal(rebuild(frames), expected)
    assert [(f.row, f.col) for f in frames] == [
        (r, c) for r in range(expected.shape[0]) for c in range(expected.shape[1])]
    padded = pad(x, k, padding, stride)
    for index, f in enumerate(frames):
        assert f.index == index
        assert (f.window * kernel).sum() == f.value
        np.testing.assert_array_equal(f.products, f.window * kernel)
        under = padded[f.top : f.top + k[0], f.left : f.left + k[1]]
        np.testing.assert_array_equal(f.window, under)
        assert (f.top, f.left) == (f.row * stride, f.col * stride)
        assert f.input_position == (f.top - f.pad_top, f.left - f.pad_left)


@settings(max_examples=50, deadline=None)
@given(h=st.integers(1, 10), w=st.integers(1, 10), kh=st.integers(1, 4), kw=st.integers(1, 4),
       stride=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]),
       seed=st.integers(0, 2**31))
def test_conv_frames_match_tensorflow_random(tf, h, w, kh, kw, stride, padding, seed):
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    if padding == "valid" and (kh > h or kw > w):
        with pytest.raises(ValueError, match="larger than"):
            conv_frames(x, kernel, padding, stride)
        return
    frames = conv_frames(x, kernel, padding, stride)
    reference = tf.nn.conv2d(x[None, :, :, None], kernel[:, :, None, None], stride,
                             padding.upper()).numpy()[0, :, :, 0]
    np.testing.assert_allclose(rebuild(frames), reference, atol=1e-9)
    np.testing.assert_array_equal(rebuild(frames), convolve2d(x, kernel, padding, stride))
    for f in frames:
        assert (f.window * kernel).sum() == pytest.approx(f.value, abs=1e-9)


def test_three_channel_frames_sum_the_channel_products(tf):
    x = random_grid(5, 1, channels=3)
    kernel = random_grid(3, 2, low=-1, high=1, channels=3)
    frames = conv_frames(x, kernel, "same", 2)
    reference = tf.nn.conv2d(x[None], kernel[:, :, :, None], 2, "SAME").numpy()[0, :, :, 0]
    np.testing.assert_allclose(rebuild(frames), reference)
    f = frames[4]
    assert f.window.shape == f.products.shape == (3, 3, 3)
    assert len(f.channel_sums) == 3 and sum(f.channel_sums) == f.value
    lines = f.arithmetic.splitlines()
    assert [line.split(":")[0] for line in lines] == ["red", "green", "blue", "total"]
    assert lines[-1].endswith(f"= {format_number(f.value)}")


# ---- pool frames ------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("size", [2, 3])
def test_pool_frames_rebuild_pool2d_exactly(mode, padding, stride, size):
    x = np.random.default_rng(size * 10 + stride).normal(size=(7, 6))
    frames = pool_frames(x, size, stride, mode, padding)
    np.testing.assert_array_equal(rebuild(frames), pool2d(x, size, stride, mode, padding))
    for f in frames:
        cells = f.window[f.real]
        assert f.real.any() and f.window.shape == (size, size)
        if mode == "max":
            assert f.real[f.kept] and f.window[f.kept] == f.value == cells.max()
        else:
            assert f.kept is None and f.value == pytest.approx(cells.mean())
            assert f.arithmetic.split(" / ")[1].startswith(f"{cells.size} =")


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 10), w=st.integers(1, 10), size=st.integers(1, 3),
       stride=st.integers(1, 3), mode=st.sampled_from(["max", "avg"]),
       padding=st.sampled_from(["valid", "same"]), seed=st.integers(0, 2**31))
def test_pool_frames_match_tensorflow_random(tf, h, w, size, stride, mode, padding, seed):
    x = np.random.default_rng(seed).integers(-50, 50, size=(h, w)).astype(float)
    if padding == "valid" and size > min(h, w):
        with pytest.raises(ValueError):
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


# ---- records, speed and formatting -------------------------------------------------------------

def test_frames_are_frozen_read_only_and_readable():
    frame = conv_frames(SEED_GRID, VERTICAL_EDGE)[0]
    assert isinstance(frame, ConvFrame)
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.value = 1
    with pytest.raises(ValueError):
        frame.window[0, 0] = 1
    assert repr(frame) == ("ConvFrame(#0: output (0, 0), 3x3 window at (0, 0) of the padded "
                           "input, value=-3)")
    pooled = pool_frames(SEED_GRID)[0]
    assert isinstance(pooled, PoolFrame) and "max of the 2x2 window" in repr(pooled)


def test_frames_for_28x28_and_3x3_are_fast():
    x = np.random.default_rng(0).integers(0, 256, size=(28, 28))
    best = min(_timed(lambda: conv_frames(x, VERTICAL_EDGE, "same")) for _ in range(3))
    assert best < 0.1
    assert min(_timed(lambda: pool_frames(x, 2, 2)) for _ in range(3)) < 0.1


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


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


def test_size_formula_substitutes_the_numbers():
    text = size_formula_latex(5, 3, "valid", 1)
    assert text.endswith(r"\frac{5 + 0 - 3}{1} \right\rfloor + 1 = 3")
    same = size_formula_latex(6, 3, "same", 2)  # 2p = 1: TensorFlow's one extra zero
    assert same.endswith(r"\frac{6 + 1 - 3}{2} \right\rfloor + 1 = 3")
    assert size_formula_latex(28, 2, "valid", 2).endswith("= 14")


def test_feature_map_stack_and_parameter_count():
    kernels = [VERTICAL_EDGE, VERTICAL_EDGE.T, np.ones((3, 3))]
    maps = feature_map_stack(SEED_GRID, kernels, "same")
    assert maps.shape == (5, 5, 3)
    np.testing.assert_array_equal(maps[:, :, 1], convolve2d(SEED_GRID, VERTICAL_EDGE.T, "same"))
    assert conv_parameter_count(3, 1, 3) == 30
    assert conv_parameter_count(3, 3, 32) == 3 * 3 * 3 * 32 + 32
    assert conv_parameter_count(5, 1, 2, bias=False) == 50
    with pytest.raises(ValueError):
        feature_map_stack(SEED_GRID, [])
    with pytest.raises(ValueError, match="same size"):
        feature_map_stack(SEED_GRID, [np.ones((3, 3)), np.ones((2, 2))])
