"""Pictures made from arrays: shapes, dtypes, and that brightness follows the values."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.data.images import fit_within
from cnn_core.views.pictures import (
    channel_tiles,
    colourise,
    filter_tiles,
    normalise,
    overlay_heatmap,
    thumbnail,
    to_rgb_uint8,
    upscale,
)


def test_normalise_and_constant_arrays():
    np.testing.assert_allclose(normalise(np.array([2.0, 4.0, 6.0])), [0, 0.5, 1])
    assert not normalise(np.full((3, 3), 7.0)).any()
    assert normalise(np.zeros((0,))).size == 0


def test_colourise_is_monotonic_in_lightness():
    ramp = colourise(np.linspace(0, 1, 32)[None, :])
    lightness = ramp.astype(float) @ [0.299, 0.587, 0.114]
    assert ramp.shape == (1, 32, 3) and ramp.dtype == np.uint8
    assert np.all(np.diff(lightness[0]) >= -1)  # reads in greyscale: low dark, high light


def test_upscale_keeps_pixels_square():
    image = np.arange(4, dtype=np.uint8).reshape(2, 2)
    big = upscale(image, 10)
    assert big.shape == (10, 10) and big[0, 0] == 0 and big[9, 9] == 3


def test_to_rgb_handles_every_layout():
    assert to_rgb_uint8(np.zeros((5, 5), np.uint8)).shape == (5, 5, 3)
    assert to_rgb_uint8(np.ones((5, 5, 1), np.float32))[0, 0, 0] == 255
    assert to_rgb_uint8(np.zeros((5, 5, 3), np.uint8)).shape == (5, 5, 3)
    grey = np.random.default_rng(3).random((4, 6))
    np.testing.assert_array_equal(to_rgb_uint8(grey)[:, :, 1], np.rint(grey * 255))


@pytest.mark.parametrize("image, message", [
    (np.full((5, 5), 2.0), "from 0 to 1"),               # clipping would hide the mistake
    (np.full((5, 5), -0.5), "from 0 to 1"),
    (np.zeros((5, 5, 4), np.uint8), "height, width, 3"),
])
def test_to_rgb_refuses_what_it_cannot_show_faithfully(image, message):
    with pytest.raises(ValueError, match=message):
        to_rgb_uint8(image)


@pytest.mark.parametrize("shape", [(600, 400, 3), (100, 900, 3), (30, 40, 3), (1, 1, 3), (50, 2)])
def test_thumbnail_pads_with_white_to_at_least_4_to_3(shape):
    photo = np.random.default_rng(4).integers(0, 255, shape).astype(np.uint8)
    small, _ = fit_within(photo, 300)
    out = thumbnail(photo, 300)
    height, width = small.shape[:2]
    assert out.dtype == np.uint8 and out.shape[2:] == shape[2:]
    assert out.shape[0] == max(height, round(width * 3 / 4))
    assert out.shape[1] == max(width, round(height * 4 / 3))
    top, left = (out.shape[0] - height) // 2, (out.shape[1] - width) // 2
    np.testing.assert_array_equal(out[top:top + height, left:left + width], small)
    covered = np.zeros(out.shape[:2], bool)
    covered[top:top + height, left:left + width] = True
    assert (out[~covered] == 255).all()


def test_tiles():
    maps = np.random.default_rng(0).normal(size=(7, 7, 40))
    tiles = channel_tiles(maps, max_tiles=32, min_side=28)
    assert len(tiles) == 32 and tiles[0].shape == (28, 28, 3)
    weights = np.random.default_rng(1).normal(size=(5, 5, 1, 16))
    grey = filter_tiles(weights, min_side=20)
    shared = (weights - weights.min()) / (weights.max() - weights.min())  # one scale for all
    np.testing.assert_array_equal(grey[3][::4, ::4, 0], np.rint(shared[:, :, 0, 3] * 255))
    colour = filter_tiles(np.random.default_rng(2).normal(size=(3, 3, 3, 8)), min_side=20)
    assert len(grey) == 16 and len(colour) == 8 and colour[0].shape == (21, 21, 3)


def test_overlay_heatmap_blends():
    image = np.zeros((4, 4), np.uint8)
    heat = np.zeros((4, 4))
    heat[0, 0] = 1
    out = overlay_heatmap(image, heat)
    assert out.shape == (4, 4, 3) and out[0, 0].sum() > out[3, 3].sum()


def test_thumbnail_of_unit_floats_matches_the_uint8_photo_and_refuses_0_to_255_floats():
    photo = np.random.default_rng(9).integers(0, 256, (40, 20, 3)).astype(np.uint8)
    from_floats = thumbnail(photo.astype(np.float32) / 255, 30)
    assert from_floats.dtype == np.uint8
    np.testing.assert_array_equal(from_floats, thumbnail(photo, 30))
    with pytest.raises(ValueError, match="from 0 to 1"):
        thumbnail(photo.astype(np.float32), 30)
