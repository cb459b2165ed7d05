"""preprocess_digit follows MNIST's recipe on any picture; shifted grids move digits exactly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnn_core.config import BUNDLED_MNIST
from cnn_core.data.digits import (
    MIN_SIDE,
    WORK_SIDE,
    DigitError,
    preprocess_digit,
    preprocess_steps,
    shift_offsets,
    shifted_grid,
    step_pictures,
)
from cnn_core.data.images import shift_image


@pytest.fixture(scope="module")
def mnist_test():
    with np.load(BUNDLED_MNIST) as data:
        return data["x_test"][:200], data["y_test"][:200]


def paste(digit: np.ndarray, canvas: tuple[int, int], at: tuple[int, int], scale: float,
          dark_on_light: bool = True) -> np.ndarray:
    """An MNIST digit enlarged by `scale` and put at `at` (row, col) in a bigger picture."""
    big = cv2.resize(digit, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    picture = np.zeros(canvas, np.uint8)
    picture[at[0]:at[0] + big.shape[0], at[1]:at[1] + big.shape[1]] = big
    return 255 - picture if dark_on_light else picture


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.mgrid[:image.shape[0], :image.shape[1]]
    mass = image.sum()
    return float((image * rows).sum() / mass), float((image * cols).sum() / mass)


def test_mnist_digits_come_back_almost_unchanged(mnist_test):
    """MNIST digits were made by this recipe, so redoing it changes little."""
    errors = [np.abs(preprocess_digit(d) - d / 255).mean() for d in mnist_test[0][:100]]
    assert np.mean(errors) < 0.03


def test_off_centre_inverted_rescaled_rgb_digits_match_the_original(mnist_test):
    rng = np.random.default_rng(0)
    errors = []
    for digit in mnist_test[0][:60]:
        scale = rng.uniform(2, 9)
        side = int(28 * scale)
        canvas = (side + int(rng.integers(10, 300)), side + int(rng.integers(10, 400)))
        at = (int(rng.integers(0, canvas[0] - side)), int(rng.integers(0, canvas[1] - side)))
        picture = paste(digit, canvas, at, scale)
        rgb = np.repeat(picture[:, :, None], 3, axis=2)
        result = preprocess_digit(rgb)
        assert result.shape == (28, 28) and result.dtype == np.float32
        assert result.min() >= 0 and result.max() == pytest.approx(1.0)
        errors.append(np.abs(result - digit / 255).mean())
    assert np.mean(errors) < 0.05


def test_the_recipe_steps(mnist_test):
    digit = mnist_test[0][0]
    steps = preprocess_steps(paste(digit, (300, 400), (50, 120), 6.0))
    assert steps.inverted
    assert steps.greyscale.shape == (300, 400) and steps.greyscale.dtype == np.uint8
    assert steps.ink.dtype == np.float32 and steps.ink.max() == pytest.approx(1.0)
    top, left, bottom, right = steps.box
    assert 50 <= top < bottom <= 50 + 168 and 120 <= left < right <= 120 + 168
    assert max(steps.scaled.shape) == 20
    rows, cols = centre_of_mass(steps.result)
    assert abs(rows - 14) <= 0.75 and abs(cols - 14) <= 0.75
    assert "inverted=True" in repr(steps)
    pictures = step_pictures(steps, side=100)
    assert len(pictures) == 5
    for picture in pictures:
        assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3
        assert picture.shape[0] == picture.shape[1] >= 100


def test_light_on_dark_needs_no_inversion_and_gives_the_same_digit(mnist_test):
    digit = mnist_test[0][3]
    light = preprocess_steps(paste(digit, (200, 200), (20, 30), 4.0, dark_on_light=False))
    dark = preprocess_steps(paste(digit, (200, 200), (20, 30), 4.0, dark_on_light=True))
    assert not light.inverted and dark.inverted
    np.testing.assert_allclose(light.result, dark.result, atol=1e-6)


def test_position_does_not_matter(mnist_test):
    digit = mnist_test[0][5]
    a = preprocess_digit(paste(digit, (400, 500), (0, 0), 5.0))
    b = preprocess_digit(paste(digit, (400, 500), (260, 360), 5.0))
    np.testing.assert_array_equal(a, b)


def test_specks_are_ignored(mnist_test):
    digit = mnist_test[0][7]
    clean = paste(digit, (300, 300), (100, 100), 4.0)
    dirty = clean.copy()
    dirty[10:13, 10:13] = 0  # a small dark speck far from the digit
    np.testing.assert_array_equal(preprocess_digit(clean), preprocess_digit(dirty))


def test_rgba_canvas_with_transparent_background():
    rgba = np.zeros((280, 280, 4), np.uint8)
    cv2.line(rgba, (140, 40), (140, 240), (255, 255, 255, 255), 20)  # white "1" on nothing
    result = preprocess_digit(rgba)
    assert result.shape == (28, 28) and result.max() == pytest.approx(1.0)
    rgba[:, :, :3] = 255 - rgba[:, :, :3]  # black ink, transparent around it
    np.testing.assert_allclose(preprocess_digit(rgba), result, atol=1e-6)


def test_a_one_stays_thin_and_centred():
    picture = np.full((280, 280, 3), 255, np.uint8)
    cv2.line(picture, (60, 30), (60, 250), (0, 0, 0), 18)
    steps = preprocess_steps(picture)
    assert steps.scaled.shape[0] == 20 and steps.scaled.shape[1] <= 4
    rows, cols = centre_of_mass(steps.result)
    assert abs(cols - 14) <= 0.75


@pytest.mark.parametrize("picture", [
    np.full((280, 280, 3), 255, np.uint8),                # empty white canvas
    np.zeros((50, 50), np.uint8),                         # all black
    np.full((1, 1), 128, np.uint8),                       # one pixel
    np.random.default_rng(0).integers(120, 136, (60, 60)).astype(np.uint8),  # faint noise
])
def test_empty_pictures_are_refused_with_a_sentence(picture):
    with pytest.raises(DigitError, match=r"^[A-Z].*\.$"):
        preprocess_digit(picture)


@pytest.mark.parametrize("picture", [np.zeros((10, 10, 2), np.uint8), np.zeros((0, 5), np.uint8),
                                     np.zeros((5, 5, 3, 2), np.uint8),
                                     np.array([["a", "b"], ["c", "d"]])])
def test_wrong_kinds_of_arrays_are_refused(picture):
    with pytest.raises(DigitError):
        preprocess_digit(picture)


def test_float_bool_and_wide_integer_pictures_are_converted(mnist_test):
    digit = mnist_test[0][2]
    expected = preprocess_digit(digit)
    np.testing.assert_array_equal(preprocess_digit(digit / 255.0), expected)
    np.testing.assert_array_equal(preprocess_digit(digit.astype(np.int64)), expected)
    np.testing.assert_array_equal(preprocess_digit(digit[:, :, None]), expected)
    mask = digit > 127
    np.testing.assert_array_equal(preprocess_digit(mask),
                                  preprocess_digit(mask.astype(np.uint8) * 255))


@pytest.mark.parametrize("picture, message", [
    (np.full((28, 28), 200.0), "from 0 to 1"),           # 0..255 floats: never guessed
    (np.full((28, 28), np.nan, np.float32), "from 0 to 1"),
    (np.full((28, 28), 300, np.int64), "between 0 and 255"),
])
def test_pixel_values_out_of_range_are_refused(picture, message):
    with pytest.raises(DigitError, match=message):
        preprocess_digit(picture)


TINY_SHAPES = [(1, 1), (2, 2), (1, 2), (2, 1), (1, 40), (40, 1), (2, 300), (300, 2)]


@pytest.mark.parametrize("shape", TINY_SHAPES)
@pytest.mark.parametrize("layout", ["grey", "rgb", "rgba"])
def test_tiny_and_thin_pictures_get_a_sentence(shape, layout):
    """Uploads of 1x1, 2x2, 1xN or Nx1 pixels: a DigitError naming the size, never a crash."""
    picture = np.full(shape, 255, np.uint8)
    picture[shape[0] // 2, shape[1] // 2] = 0  # one dark pixel of "ink"
    if layout != "grey":
        picture = np.repeat(picture[:, :, None], 3 if layout == "rgb" else 4, axis=2)
    with pytest.raises(DigitError, match=rf"^A {shape[1]} x {shape[0]} pixel picture is too "):
        preprocess_steps(picture)


def test_pictures_thin_after_shrinking_get_a_sentence():
    picture = np.full((10, 10 * WORK_SIDE), 255, np.uint8)  # shrinks to WORK_SIDE x 1 pixels
    picture[:, 100:140] = 0
    with pytest.raises(DigitError, match="too long and thin"):
        preprocess_steps(picture)


@pytest.mark.parametrize("shape", [(MIN_SIDE, MIN_SIDE), (MIN_SIDE, 40), (40, MIN_SIDE)])
def test_the_smallest_pictures_still_give_a_digit(shape):
    picture = np.full(shape, 255, np.uint8)
    picture[shape[0] // 2, shape[1] // 2] = 0
    steps = preprocess_steps(picture)
    assert steps.result.shape == (28, 28) and steps.result.max() == pytest.approx(1.0)
    assert all(p.dtype == np.uint8 and p.ndim == 3 for p in step_pictures(steps, 60))


def test_digit_error_is_a_value_error():
    assert issubclass(DigitError, ValueError)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(height=st.integers(5, 120), width=st.integers(5, 120), seed=st.integers(0, 10**6),
       strokes=st.integers(1, 4), dark=st.booleans(), colour=st.booleans())
def test_any_scribble_gives_a_valid_input(height, width, seed, strokes, dark, colour):
    rng = np.random.default_rng(seed)
    picture = np.zeros((height, width), np.uint8)
    for _ in range(strokes):
        a = (int(rng.integers(width)), int(rng.integers(height)))
        b = (int(rng.integers(width)), int(rng.integers(height)))
        cv2.line(picture, a, b, 255, int(rng.integers(1, 6)))
    picture = 255 - picture if dark else picture
    if colour:
        picture = np.repeat(picture[:, :, None], 3, axis=2)
    try:
        result = preprocess_digit(picture)
    except DigitError:
        return  # e.g. the strokes cover the whole border, so nothing stands out
    assert result.shape == (28, 28) and result.dtype == np.float32
    assert result.min() >= 0 and result.max() <= 1
    assert result.max() == pytest.approx(1.0)
    rows, cols = np.nonzero(result > 0)
    assert rows.max() - rows.min() < 21 and cols.max() - cols.min() < 21


def test_shifted_grid_is_every_shift_image_of_the_digit(mnist_test):
    digit = mnist_test[0][4]
    grid = shifted_grid(digit, 2)
    assert grid.shape == (5, 5, 28, 28) and grid.dtype == np.float32
    unit = digit.astype(np.float32) / 255  # uint8 digits come out in [0, 1]
    for i, dy in enumerate(shift_offsets(2)):
        for j, dx in enumerate(shift_offsets(2)):
            np.testing.assert_array_equal(grid[i, j], shift_image(unit, int(dy), int(dx)))
    np.testing.assert_array_equal(shifted_grid(unit, 2), grid)


def test_shifted_grid_indexing():
    digit = np.zeros((28, 28), np.float32)
    digit[14, 14] = 1
    grid = shifted_grid(digit, 3)
    assert grid.shape == (7, 7, 28, 28)
    np.testing.assert_array_equal(grid[3, 3], digit)
    assert grid[3 + 2, 3 - 1][16, 13] == 1  # dy=+2 (down), dx=-1 (left)
    np.testing.assert_array_equal(shift_offsets(2), [-2, -1, 0, 1, 2])
    with pytest.raises(ValueError):
        shift_offsets(-1)
