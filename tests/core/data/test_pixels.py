"""Pixel scales are checked, never guessed; every layout becomes the (N, H, W, C) model batch."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.data.pixels import (
    as_uint8,
    as_unit_float,
    channels_last,
    model_input_shape,
    pixel_divisor,
    to_model_input,
)

RNG = np.random.default_rng(0)
GREY = RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8)
COLOUR = RNG.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)


def test_uint8_is_divided_by_255_and_unit_floats_are_kept():
    assert pixel_divisor(GREY) == 255 and pixel_divisor(GREY / 255) == 1
    unit = as_unit_float(GREY)
    assert unit.dtype == np.float32 and unit.shape == GREY.shape
    np.testing.assert_array_equal(unit, GREY.astype(np.float32) / 255)
    np.testing.assert_array_equal(as_unit_float(unit), unit)  # a second call changes nothing
    np.testing.assert_array_equal(as_uint8(unit), GREY)
    assert as_uint8(GREY) is GREY


@pytest.mark.parametrize("images, message", [
    (GREY.astype(np.float32), f"from 0 to 1, but these go from {GREY.min()} to {GREY.max()}"),
    (GREY / 255 - 0.5, "from 0 to 1"),
    (np.full((2, 2), np.nan), "NaN"),
    (GREY.astype(np.int64), "not int64"),
    (GREY > 9, "not bool"),
])
def test_anything_else_is_refused_with_a_sentence(images, message):
    for function in (pixel_divisor, as_unit_float, as_uint8, to_model_input):
        with pytest.raises(ValueError, match=rf"^[A-Z].*{message}.*\.$"):
            function(images)


def test_model_input_shapes_and_channel_axes():
    assert model_input_shape((28, 28)) == (28, 28, 1)
    assert model_input_shape((32, 32, 3)) == (32, 32, 3)
    assert channels_last(GREY).shape == (5, 28, 28, 1)
    assert channels_last(GREY).base is not None  # a view: big uint8 sets are not copied
    np.testing.assert_array_equal(channels_last(COLOUR), COLOUR)
    with pytest.raises(ValueError, match="batch of pictures"):
        channels_last(GREY[0])
    with pytest.raises(ValueError, match="height, width"):
        model_input_shape((28,))


@pytest.mark.parametrize("images, input_shape", [
    (GREY[0], None), (GREY[0], (28, 28, 1)), (GREY[0][:, :, None], (28, 28, 1)),
    (GREY[:1], None), (GREY[:1], (28, 28, 1)), (GREY[:1, :, :, None], None),
])
def test_one_grey_picture_in_any_layout(images, input_shape):
    batch = to_model_input(images, input_shape)
    assert batch.shape == (1, 28, 28, 1) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch[0, :, :, 0], GREY[0] / np.float32(255))


def test_batches_and_colour_pictures():
    np.testing.assert_array_equal(to_model_input(GREY)[..., 0], as_unit_float(GREY))
    assert to_model_input(COLOUR).shape == COLOUR.shape
    assert to_model_input(COLOUR[0], (32, 32, 3)).shape == (1, 32, 32, 3)
    np.testing.assert_array_equal(to_model_input(COLOUR[0] / 255, (32, 32, 3))[0],
                                  (COLOUR[0] / 255).astype(np.float32))


@pytest.mark.parametrize("images, input_shape", [
    (GREY[0], (32, 32, 3)), (COLOUR, (28, 28, 1)), (np.zeros((28, 28, 3), np.uint8), (28, 28, 1)),
])
def test_the_wrong_shape_for_the_model_is_refused(images, input_shape):
    with pytest.raises(ValueError, match="the model expects"):
        to_model_input(images, input_shape)


def test_arrays_that_are_no_pictures_are_refused():
    with pytest.raises(ValueError, match="height, width"):
        to_model_input(np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="height, width"):
        to_model_input(np.zeros((1, 2, 3, 4, 5), np.uint8))


def test_a_model_input_of_any_size_takes_one_picture_or_a_batch_that_fits():
    flexible = (None, None, 1)
    assert to_model_input(np.zeros((28, 28), np.uint8), flexible).shape == (1, 28, 28, 1)
    assert to_model_input(np.zeros((5, 40, 30), np.uint8), flexible).shape == (5, 40, 30, 1)
    with pytest.raises(ValueError, match="expects"):
        to_model_input(np.zeros((2, 32, 32, 3), np.uint8), flexible)
