"""The one window helper: sizes, TensorFlow's padding, the anchor, the windows and their mask."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_core.maths.windows import (
    kernel_anchor,
    output_size,
    pad,
    padding_amounts,
    sliding_windows,
    uncovered,
    window_shape,
)


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


@pytest.mark.parametrize("n,k,stride,valid,same", [
    (5, 3, 1, 3, 5), (5, 3, 2, 2, 3), (28, 5, 1, 24, 28), (7, 2, 3, 2, 3), (4, 5, 1, 0, 4),
    (6, 4, 2, 2, 3), (1, 1, 1, 1, 1),
])
def test_output_size_formulas(n, k, stride, valid, same):
    assert output_size(n, k, "valid", stride) == valid
    assert output_size(n, k, "same", stride) == same


def test_same_padding_puts_the_extra_zero_after_for_even_kernels():
    assert padding_amounts(6, 2, "same", 1) == (0, 1)
    assert padding_amounts(6, 4, "same", 1) == (1, 2)
    assert padding_amounts(5, 3, "same", 2) == (1, 1)
    assert pad(np.ones((2, 2)), 2, "same").shape == (3, 3)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 7])
def test_the_anchor_is_where_same_padding_starts_the_first_window(n, k):
    # With stride 1 the first window starts `before` cells above the input, so the anchor
    # cell lies over input cell 0: anchor == before.
    assert kernel_anchor((k, k)) == (padding_amounts(n, k, "same", 1)[0],) * 2
    assert kernel_anchor((k, 1)) == ((k - 1) // 2, 0)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), kh=st.integers(1, 4), kw=st.integers(1, 4),
       stride=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]),
       channels=st.sampled_from([0, 2]))
def test_windows_are_tensorflow_patches(tf, h, w, kh, kw, stride, padding, channels):
    shape = (h, w, channels) if channels else (h, w)
    x = np.arange(1, np.prod(shape) + 1, dtype=np.float64).reshape(shape)
    if padding == "valid" and (kh > h or kw > w):
        with pytest.raises(ValueError, match="larger than"):
            sliding_windows(x, (kh, kw), padding, stride)
        return
    windows = sliding_windows(x, (kh, kw), padding, stride)
    x4 = x[None, :, :, None] if x.ndim == 2 else x[None]
    # extract_patches pads with zeros like a "same" conv and lists each patch as (kh, kw, C).
    patches = tf.image.extract_patches(x4, [1, kh, kw, 1], [1, stride, stride, 1], [1, 1, 1, 1],
                                       padding.upper()).numpy()[0]
    out_h, out_w = patches.shape[:2]
    assert windows.out_shape == (out_h, out_w)
    np.testing.assert_array_equal(windows.values.reshape(out_h, out_w, -1), patches)
    # The mask is the same patches of an all-ones input: 1 on real cells, 0 on padding.
    ones = tf.image.extract_patches(np.ones((1, h, w, 1)), [1, kh, kw, 1],
                                    [1, stride, stride, 1], [1, 1, 1, 1],
                                    padding.upper()).numpy()[0]
    np.testing.assert_array_equal(windows.real.reshape(out_h, out_w, -1), ones == 1)


def test_windows_know_where_they_start():
    x = np.arange(30.0).reshape(5, 6)
    windows = sliding_windows(x, (3, 2), "same", 2)
    before = (padding_amounts(5, 3, "same", 2)[0], padding_amounts(6, 2, "same", 2)[0])
    assert (windows.pad_top, windows.pad_left) == before
    for row in range(windows.out_shape[0]):
        for col in range(windows.out_shape[1]):
            top, left = windows.top_left(row, col)
            np.testing.assert_array_equal(windows.values[row, col],
                                          windows.padded[top : top + 3, left : left + 2])
            r0, c0 = windows.origin(row, col)
            for r in range(3):
                for c in range(2):
                    inside = 0 <= r0 + r < 5 and 0 <= c0 + c < 6
                    assert windows.real[row, col, r, c] == inside
                    if inside:
                        assert windows.values[row, col, r, c] == x[r0 + r, c0 + c]
    np.testing.assert_array_equal(windows.padded_real.sum(), x.size)
    out_h, out_w = windows.out_shape
    assert repr(windows) == f"Windows({out_h}x{out_w} positions of a 3x2 window, stride 2)"


def test_windows_are_read_only():
    windows = sliding_windows(np.ones((4, 4)), 2, "same")
    for array in (windows.values, windows.real, windows.padded, windows.padded_real):
        assert not array.flags.writeable


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (1, 7), (7, 1), (3, 4)])
@pytest.mark.parametrize("k", [(1, 1), (3, 3), (8, 8), (2, 5)])
def test_reflected_windows_match_numpy_reflect_padding_on_tiny_inputs(shape, k):
    x = np.arange(1.0, np.prod(shape) + 1).reshape(shape)
    windows = sliding_windows(x, k, "same", 1, fill="reflect")
    ay, ax = kernel_anchor(k)
    mirrored = np.pad(x, ((ay, k[0] - 1 - ay), (ax, k[1] - 1 - ax)), mode="reflect")
    assert windows.out_shape == shape
    for row in range(shape[0]):
        for col in range(shape[1]):
            np.testing.assert_array_equal(windows.values[row, col],
                                          mirrored[row : row + k[0], col : col + k[1]])


@pytest.mark.parametrize("call, message", [
    (lambda: sliding_windows(np.ones((2, 2)), 3), "larger than the 2x2 input"),
    (lambda: sliding_windows(np.ones((2, 2)), 3, what="window"), "smaller window"),
    (lambda: sliding_windows(np.ones((4, 4)), 2, "full"), "Padding"),
    (lambda: sliding_windows(np.ones((4, 4)), 2, stride=0), "stride"),
    (lambda: sliding_windows(np.ones((4, 4)), 2, fill="wrap"), "fill"),
    (lambda: sliding_windows(np.ones(4), 2), "2-D"),
    (lambda: sliding_windows(np.ones((0, 3)), 2), "non-empty"),
    (lambda: window_shape(0), "at least 1"),
    (lambda: window_shape((2, 2.5)), "whole number"),
])
def test_bad_arguments_raise_one_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _covered_by_brute_force(n: int, k: int, padding: str, stride: int) -> set[int]:
    """The input cells some window covers, read off the windows themselves."""
    x = np.arange(float(n))[None, :]
    windows = sliding_windows(x, (1, k), padding, stride)
    return {int(v) for v, real in zip(windows.values.ravel(), windows.real.ravel(),
                                      strict=True) if real}


@pytest.mark.parametrize("n", [1, 4, 5, 6, 7, 8])
@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_uncovered_cells_are_the_ones_no_window_sees(n, k, padding, stride):
    if output_size(n, k, padding, stride) == 0:
        return
    expected = sorted(set(range(n)) - _covered_by_brute_force(n, k, padding, stride))
    assert uncovered(n, k, padding, stride) == expected

