"""convolve2d against scipy and TensorFlow; apply_kernel against convolve2d and bare OpenCV."""

from __future__ import annotations

import zlib

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d

from cnn_core.maths.convolution import (
    apply_kernel,
    border_padding,
    conv_parameters,
    convolve2d,
    feature_map_stack,
    to_display,
    true_convolve2d,
    valid_crop,
)
from cnn_core.maths.windows import kernel_anchor

SEED_GRID = np.array([[3, 2, 3, 1, 8], [1, 9, 1, 3, 2], [2, 3, 5, 6, 6], [3, 2, 3, 5, 9],
                      [1, 1, 2, 4, 5]])
VERTICAL_EDGE = np.array([[1, 0, -1]] * 3)


@pytest.fixture(scope="module")
def tf():
    tensorflow = pytest.importorskip("tensorflow")
    return tensorflow


def tf_conv(tf, x: np.ndarray, kernel: np.ndarray, padding: str, stride: int) -> np.ndarray:
    x4 = x.astype(np.float64)[None, :, :, None] if x.ndim == 2 else x.astype(np.float64)[None]
    k4 = kernel.astype(np.float64)
    k4 = k4[:, :, None, None] if k4.ndim == 2 else k4[:, :, :, None]
    out = tf.nn.conv2d(x4, k4, strides=stride, padding=padding.upper())
    return out.numpy()[0, :, :, 0]


def test_seed_example_vertical_edge_on_5x5_grid():
    expected = [[-3, 4, -7], [-3, 0, -8], [-4, -9, -10]]
    np.testing.assert_array_equal(convolve2d(SEED_GRID, VERTICAL_EDGE), expected)


def test_seed_example_edge_image_lights_up_where_8s_meet_0s():
    image = np.array([[8, 8, 8, 0, 0, 0]] * 6)
    np.testing.assert_array_equal(convolve2d(image, VERTICAL_EDGE), [[0, 24, 24, 0]] * 4)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("k", [(1, 1), (2, 2), (3, 3), (2, 3), (4, 4), (5, 5)])
def test_matches_tensorflow_grid(tf, padding, stride, k):
    rng = np.random.default_rng(zlib.crc32(repr((padding, stride, k)).encode()))
    x = rng.integers(-9, 10, size=(9, 11))
    kernel = rng.integers(-3, 4, size=k)
    np.testing.assert_allclose(convolve2d(x, kernel, padding, stride),
                               tf_conv(tf, x, kernel, padding, stride), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), kh=st.integers(1, 5), kw=st.integers(1, 5),
       stride=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]),
       seed=st.integers(0, 2**31))
def test_matches_tensorflow_random(tf, h, w, kh, kw, stride, padding, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(h, w))
    kernel = rng.normal(size=(kh, kw))
    if padding == "valid" and (kh > h or kw > w):
        with pytest.raises(ValueError, match="larger than"):
            convolve2d(x, kernel, padding, stride)
        return
    np.testing.assert_allclose(convolve2d(x, kernel, padding, stride),
                               tf_conv(tf, x, kernel, padding, stride), atol=1e-9)


def test_multichannel_kernel_sums_channels_like_tensorflow(tf):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 10, size=(6, 7, 3))
    kernel = rng.integers(-2, 3, size=(3, 3, 3))
    for padding in ("valid", "same"):
        np.testing.assert_allclose(convolve2d(x, kernel, padding, 2),
                                   tf_conv(tf, x, kernel, padding, 2))


@pytest.mark.parametrize("k", [(3, 3), (2, 2), (1, 4), (5, 3)])
def test_valid_stride_one_matches_scipy_correlate2d(k):
    rng = np.random.default_rng(7)
    x, kernel = rng.normal(size=(10, 9)), rng.normal(size=k)
    np.testing.assert_allclose(convolve2d(x, kernel), correlate2d(x, kernel, mode="valid"))


def test_true_convolution_flips_the_kernel():
    rng = np.random.default_rng(1)
    x, kernel = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    from scipy.signal import convolve2d as scipy_convolve

    np.testing.assert_allclose(true_convolve2d(x, kernel), scipy_convolve(x, kernel, "valid"))
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(true_convolve2d(SEED_GRID, sobel_x),
                                  -convolve2d(SEED_GRID, sobel_x))


@pytest.mark.parametrize("bad", [np.array([[np.nan, 1]]), np.array([[np.inf]]), np.zeros((0, 3))])
def test_bad_kernels_raise_value_error(bad):
    with pytest.raises(ValueError):
        convolve2d(np.ones((4, 4)), bad)


def test_bad_padding_and_stride_raise_value_error():
    with pytest.raises(ValueError, match="Padding"):
        convolve2d(np.ones((4, 4)), np.ones((2, 2)), padding="full")
    with pytest.raises(ValueError, match="stride"):
        convolve2d(np.ones((4, 4)), np.ones((2, 2)), stride=0)


# --- apply_kernel: the OpenCV path must compute the same numbers ---------------------------

def _photo(seed=0, shape=(23, 31, 3)):
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


@pytest.mark.parametrize("k", [(3, 3), (2, 2), (4, 4), (5, 3), (8, 8), (1, 1)])
def test_apply_kernel_same_equals_convolve2d_with_zero_padding(k):
    image = _photo()
    kernel = np.random.default_rng(2).integers(-2, 3, size=k).astype(float)
    out = apply_kernel(image, kernel, border="same", display="rescale")
    for c in range(3):
        raw = convolve2d(image[:, :, c], kernel, "same")
        # rescale is per image, so compare through the same min-max mapping
        values = np.stack([convolve2d(image[:, :, i], kernel, "same") for i in range(3)], -1)
        expected = np.rint((raw - values.min()) / (values.max() - values.min()) * 255)
        assert np.abs(out[:, :, c].astype(int) - expected).max() <= 1


@pytest.mark.parametrize("k", [(3, 3), (2, 2), (4, 5)])
def test_apply_kernel_valid_crops_to_where_the_kernel_fits(k):
    image = _photo(1, (20, 17))
    kernel = np.random.default_rng(3).integers(-2, 3, size=k).astype(float)
    out = apply_kernel(image, kernel, border="valid", display="clip")
    expected = np.clip(np.rint(convolve2d(image, kernel, "valid")), 0, 255)
    assert out.shape == expected.shape == (20 - k[0] + 1, 17 - k[1] + 1)
    assert np.abs(out.astype(int) - expected).max() <= 1


def test_apply_kernel_reflect_mirrors_edges_without_repeating_them():
    image = _photo(2, (9, 9))
    kernel = np.ones((3, 3)) / 9
    out = apply_kernel(image, kernel, border="reflect")
    mirrored = np.pad(image.astype(float), 1, mode="reflect")
    expected = np.clip(np.rint(convolve2d(mirrored, kernel, "valid")), 0, 255)
    assert np.abs(out.astype(int) - expected).max() <= 1


def test_apply_kernel_clip_is_exactly_bare_filter2d_and_keeps_shape():
    image = _photo(3, (40, 50, 3))
    kernel = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32)
    out = apply_kernel(image, kernel)
    np.testing.assert_array_equal(out, cv2.filter2D(image, -1, kernel,
                                                    borderType=cv2.BORDER_CONSTANT))
    assert out.dtype == np.uint8 and out.shape == image.shape


def test_apply_kernel_display_modes_on_edge_kernel():
    image = np.zeros((5, 6), dtype=np.uint8)
    image[:, :3] = 200
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    raw = convolve2d(image, sobel_x, "same")
    clip = apply_kernel(image, sobel_x, display="clip")
    absolute = apply_kernel(image, sobel_x, display="abs")
    rescaled = apply_kernel(image, sobel_x, display="rescale")
    assert raw.min() < 0
    assert clip[2, 2] == 0 and absolute[2, 2] == 255  # the bright-to-dark edge is negative
    assert rescaled.min() == 0 and rescaled.max() == 255


def test_apply_kernel_greyscale_returns_one_channel():
    assert apply_kernel(_photo(), np.ones((3, 3)) / 9, greyscale=True).shape == (23, 31)


def test_apply_kernel_refuses_kernel_larger_than_image_for_valid():
    with pytest.raises(ValueError, match="larger than"):
        apply_kernel(np.zeros((1, 1, 3), np.uint8), np.ones((3, 3)), border="valid")


def test_apply_kernel_on_one_pixel_image_same_borders():
    one = np.full((1, 1, 3), 100, np.uint8)
    assert apply_kernel(one, np.ones((3, 3)) / 9).shape == (1, 1, 3)
    assert apply_kernel(one, np.ones((3, 3)) / 9, border="reflect").shape == (1, 1, 3)


def test_to_display_rejects_unknown_mode():
    with pytest.raises(ValueError):
        to_display(np.zeros((2, 2), np.float32), "sqrt")


@pytest.mark.parametrize("k", [(3, 3), (2, 2), (4, 5), (1, 6)])
def test_valid_crop_keeps_what_opencv_computes_where_the_kernel_fits(k):
    image = _photo(4, (9, 11))
    kernel = np.random.default_rng(6).normal(size=k)
    rows, cols = valid_crop(9, 11, k)
    ay, ax = kernel_anchor(k)
    same = cv2.filter2D(image.astype(float), cv2.CV_64F, kernel, anchor=(ax, ay),
                        borderType=cv2.BORDER_CONSTANT)
    np.testing.assert_allclose(same[rows, cols], convolve2d(image, kernel, "valid"), atol=1e-9)
    with pytest.raises(ValueError, match="larger than"):
        valid_crop(2, 11, (3, 3))


def test_border_options_name_their_padding_and_fill():
    assert border_padding("same") == ("same", "zeros")
    assert border_padding("reflect") == ("same", "reflect")
    assert border_padding("valid") == ("valid", "zeros")
    with pytest.raises(ValueError, match="Border"):
        border_padding("wrap")


@pytest.mark.parametrize("k, c_in, filters", [(3, 1, 3), (3, 3, 32), (5, 16, 2), (1, 1, 1),
                                               ((3, 5), 2, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_parameters_match_keras(tf, k, c_in, filters, bias):
    layer = tf.keras.layers.Conv2D(filters, k, use_bias=bias)
    layer.build((None, 8, 8, c_in))
    assert conv_parameters(k, c_in, filters, bias) == layer.count_params()


def test_feature_map_stack_is_one_conv_layer_of_several_filters(tf):
    kernels = [VERTICAL_EDGE, VERTICAL_EDGE.T, np.ones((3, 3))]
    maps = feature_map_stack(SEED_GRID, kernels, "same", 2)
    layer = np.stack(kernels, axis=-1)[:, :, None, :].astype(np.float64)  # (k, k, 1, filters)
    reference = tf.nn.conv2d(SEED_GRID[None, :, :, None].astype(np.float64), layer, 2, "SAME")
    np.testing.assert_allclose(maps, reference.numpy()[0])
    with pytest.raises(ValueError):
        feature_map_stack(SEED_GRID, [])
    with pytest.raises(ValueError, match="same size"):
        feature_map_stack(SEED_GRID, [np.ones((3, 3)), np.ones((2, 2))])


def test_apply_kernel_takes_unit_floats_as_the_same_photo_and_refuses_other_pixels():
    photo = np.random.default_rng(8).integers(0, 256, (9, 11, 3)).astype(np.uint8)
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    as_floats = apply_kernel(photo.astype(np.float32) / 255, sharpen)
    assert as_floats.dtype == np.uint8
    np.testing.assert_array_equal(as_floats, apply_kernel(photo, sharpen))
    for wrong in (photo.astype(np.float32), photo.astype(np.int64)):
        with pytest.raises(ValueError, match="Pictures|Float pictures"):
            apply_kernel(wrong, sharpen)
    with pytest.raises(ValueError, match=r"\(height, width, 3\)"):
        apply_kernel(np.zeros((9, 11, 4), np.uint8), sharpen)
    single = apply_kernel(photo[:, :, :1], sharpen)
    np.testing.assert_array_equal(single, apply_kernel(photo[:, :, 0], sharpen))
