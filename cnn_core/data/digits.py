"""Turning any picture of a digit into an MNIST-style 28x28 input, the way MNIST was made.

MNIST's recipe (LeCun et al.): light ink on a black background, the digit scaled to fit a
20x20 box keeping its aspect ratio, then placed in a 28x28 field so that its centre of mass
sits in the middle. `preprocess_steps` follows it step by step and keeps every stage so a
page can show them; `preprocess_digit` returns just the result. Pure numpy + OpenCV.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from cnn_core.config import (
    DIGIT_BOX,
    DIGIT_SIZE,
    INK_THRESHOLD,
    MIN_INK_CONTRAST,
    SPECK_FRACTION,
)
from cnn_core.data.images import fit_within, resize_to_side, shift_image, to_greyscale
from cnn_core.data.pixels import as_uint8, as_unit_float
from cnn_core.views.pictures import to_rgb_uint8, upscale

# Photos are shrunk to this longer side first: the result is only 20x20 pixels anyway.
WORK_SIDE = 1024
# The background is read from a one-pixel frame, so a digit needs a pixel inside it.
MIN_SIDE = 3
# MNIST's centre of mass sits at pixel (14, 14) (measured on the 10,000 test digits).
CENTRE = DIGIT_SIZE / 2


class DigitError(ValueError):
    """The picture holds no digit we can find; the message says what to do."""


@dataclass(frozen=True)
class DigitSteps:
    """Every stage of the MNIST recipe for one picture.

    greyscale: (H, W) uint8, the picture in grey (shrunk to at most WORK_SIDE pixels).
    inverted: True if it was dark ink on a light background and had to be flipped.
    ink: (H, W) float32 in [0, 1], light ink on black with the background level removed.
    box: (top, left, bottom, right) of the ink in `ink`, bottom/right exclusive.
    scaled: (h, w) float32, the cropped ink resized so its longer side is DIGIT_BOX.
    result: (28, 28) float32 in [0, 1], centred by centre of mass: the model's input.
    offset: (rows, columns) the scaled digit was moved by to put its centre of mass in the middle.
    """

    greyscale: np.ndarray = field(repr=False)
    inverted: bool
    ink: np.ndarray = field(repr=False)
    box: tuple[int, int, int, int]
    scaled: np.ndarray = field(repr=False)
    result: np.ndarray = field(repr=False)
    offset: tuple[int, int]

    @property
    def cropped(self) -> np.ndarray:
        """(bottom - top, right - left) float32: the ink's bounding box cut out."""
        top, left, bottom, right = self.box
        return self.ink[top:bottom, left:right]

    def __repr__(self) -> str:
        height, width = self.greyscale.shape
        return (f"DigitSteps({width}x{height}, inverted={self.inverted}, box={self.box}, "
                f"scaled={self.scaled.shape[1]}x{self.scaled.shape[0]}, offset={self.offset})")


def to_grey(image: np.ndarray) -> np.ndarray:
    """A picture of a digit -> (H, W) uint8 grey levels, transparency flattened.

    image: (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA, as uint8 0..255, float in
    [0, 1], a boolean mask (True = white) or whole numbers 0..255 of any integer type.
    Transparent pixels are laid over white when the painted pixels are dark, over black when
    they are light, so the ink always stands out from the background (drawing canvases leave
    everything unpainted transparent). Raises DigitError for anything else.
    """
    image = np.asarray(image)
    if image.dtype == np.bool_:
        image = image.astype(np.uint8) * 255
    elif np.issubdtype(image.dtype, np.integer) and image.dtype != np.uint8:
        if image.size and (image.min() < 0 or image.max() > 255):
            raise DigitError("Whole-number pixel values must lie between 0 and 255.")
        image = image.astype(np.uint8)
    elif not (image.dtype == np.uint8 or np.issubdtype(image.dtype, np.floating)):
        raise DigitError("The picture must hold numbers (pixel values 0 to 255).")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise DigitError("The picture must be greyscale, RGB or RGBA.")
    try:
        image = as_uint8(image)
    except ValueError as error:
        raise DigitError(str(error)) from None
    if image.ndim == 2 or image.shape[2] != 4:
        return to_greyscale(image)
    grey = to_greyscale(image[:, :, :3])
    alpha = image[:, :, 3].astype(np.float32) / 255
    if alpha.min(initial=1) >= 1:
        return grey
    painted = alpha > 0.5
    dark_ink = not painted.any() or float(np.mean(grey[painted])) < 128
    behind = 255.0 if dark_ink else 0.0
    return np.rint(grey * alpha + behind * (1 - alpha)).astype(np.uint8)


def _border_level(grey: np.ndarray) -> float:
    """The background's grey level: the median of a thin frame around the picture."""
    height, width = grey.shape
    edge = max(1, round(0.02 * min(height, width)))
    frame = np.concatenate([grey[:edge].ravel(), grey[-edge:].ravel(),
                            grey[:, :edge].ravel(), grey[:, -edge:].ravel()])
    return float(np.median(frame))


def _ink_box(ink: np.ndarray) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """Bounding box of the ink, ignoring specks; also the ink with the specks erased."""
    mask = (ink > INK_THRESHOLD).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        raise DigitError("No ink was found: draw or upload a digit.")
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= SPECK_FRACTION * areas.max()) + 1
    kept = np.isin(labels, keep)
    rows, cols = np.flatnonzero(kept.any(axis=1)), np.flatnonzero(kept.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    # Erase specks (but keep the faint anti-aliased rim around the strokes we kept).
    near = cv2.dilate(kept.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return (int(top), int(left), int(bottom), int(right)), np.where(near, ink, 0).astype(np.float32)


def _scale_into_box(crop: np.ndarray) -> np.ndarray:
    return np.clip(resize_to_side(crop, DIGIT_BOX), 0, 1).astype(np.float32)


def _centre_by_mass(scaled: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Place the scaled digit in a 28x28 field with its centre of mass in the middle."""
    height, width = scaled.shape
    top, left = (DIGIT_SIZE - height) // 2, (DIGIT_SIZE - width) // 2
    rows, cols = np.mgrid[:height, :width]
    mass = float(scaled.sum())
    com_row = top + float((scaled * rows).sum()) / mass
    com_col = left + float((scaled * cols).sum()) / mass
    # Whole-pixel moves keep strokes crisp; the digit always stays inside the field.
    d_row = int(np.clip(round(CENTRE - com_row), -top, DIGIT_SIZE - height - top))
    d_col = int(np.clip(round(CENTRE - com_col), -left, DIGIT_SIZE - width - left))
    field_ = np.zeros((DIGIT_SIZE, DIGIT_SIZE), np.float32)
    field_[top + d_row:top + d_row + height, left + d_col:left + d_col + width] = scaled
    return field_, (d_row, d_col)


def preprocess_steps(image: np.ndarray) -> DigitSteps:
    """Apply MNIST's recipe to a picture of one digit and keep every stage (see DigitSteps).

    image: (H, W) greyscale, (H, W, 3) RGB or (H, W, 4) RGBA of any size (pixel values as
    `to_grey` takes them); dark ink on light paper or light ink on dark, the digit anywhere.
    Raises DigitError when the picture is too small or thin to hold a digit, or when no digit
    stands out from the background.
    """
    grey = to_grey(image)
    height, width = grey.shape
    if grey.size == 0:
        raise DigitError("The picture has no pixels.")
    if min(height, width) < MIN_SIDE:
        raise DigitError(f"A {width} x {height} pixel picture is too small or too thin to hold a "
                         "digit; draw one or upload a photo of one digit.")
    grey, _ = fit_within(grey, WORK_SIDE)
    if min(grey.shape) < MIN_SIDE:
        raise DigitError(f"A {width} x {height} pixel picture is too long and thin to find a "
                         "digit in; crop it closer around the digit.")
    background = _border_level(grey)
    inverted = background > 127
    light = 255 - grey if inverted else grey
    background = 255 - background if inverted else background
    smooth = cv2.GaussianBlur(light, (3, 3), 0) if min(light.shape) >= 3 else light
    peak = float(smooth.max())
    if peak - background < MIN_INK_CONTRAST:
        raise DigitError("The picture looks empty: draw a digit, or upload a photo with clear "
                         "dark ink on light paper.")
    ink = np.clip((light.astype(np.float32) - background) / (peak - background), 0, 1)
    box, ink = _ink_box(ink)
    top, left, bottom, right = box
    scaled = _scale_into_box(ink[top:bottom, left:right])
    result, offset = _centre_by_mass(scaled)
    top_value = float(result.max())
    result = result / top_value if top_value > 0 else result
    return DigitSteps(grey, inverted, ink, box, scaled, result.astype(np.float32), offset)


def preprocess_digit(image: np.ndarray) -> np.ndarray:
    """A picture of one digit -> (28, 28) float32 in [0, 1], light on black, MNIST-style.

    image: (H, W) greyscale, (H, W, 3) RGB or (H, W, 4) RGBA of any size (see `to_grey`),
    dark-on-light or light-on-dark, the digit anywhere. Steps: greyscale, invert if
    dark-on-light, crop to the ink's bounding box, scale into a 20x20 box keeping the aspect
    ratio, centre by centre of mass in 28x28, scale to [0, 1]. Raises DigitError (a
    ValueError) if there is no ink or the picture is too small.
    """
    return preprocess_steps(image).result


def shift_offsets(max_shift: int) -> np.ndarray:
    """The whole-pixel shifts -max_shift..max_shift, int64 (2 * max_shift + 1,)."""
    if max_shift < 0:
        raise ValueError("The largest shift cannot be negative.")
    return np.arange(-max_shift, max_shift + 1)


def shifted_grid(digit: np.ndarray, max_shift: int) -> np.ndarray:
    """Every shift of a digit: (n, n, 28, 28) float32 in [0, 1], indexed [dy, dx] from
    -max_shift (dx > 0 moves it right, dy > 0 down). digit: (28, 28) uint8 or float in [0, 1]."""
    digit = as_unit_float(digit)
    offsets = shift_offsets(max_shift)
    return np.stack([np.stack([shift_image(digit, int(dy), int(dx)) for dx in offsets])
                     for dy in offsets])


def _picture(image: np.ndarray, side: int) -> np.ndarray:
    """A square RGB uint8 picture about `side` pixels: small images enlarged with crisp
    pixels, big ones shrunk (to twice `side`, sharp on high-density screens); non-square
    ones are padded with light grey, so a row of them lines up; all get a thin grey frame."""
    rgb = to_rgb_uint8(image)
    height, width = rgb.shape[:2]
    if height != width:
        square = np.full((max(height, width),) * 2 + (3,), 225, np.uint8)
        top, left = (square.shape[0] - height) // 2, (square.shape[1] - width) // 2
        square[top:top + height, left:left + width] = rgb
        rgb = square
    # The picture is square now, so enlarging to `side` is enlarging by its longer side.
    rgb = upscale(rgb, side) if max(rgb.shape[:2]) <= side else fit_within(rgb, 2 * side)[0]
    frame = max(1, rgb.shape[0] // 100)  # a thin grey frame shows where white pictures end
    return cv2.copyMakeBorder(rgb, frame, frame, frame, frame, cv2.BORDER_CONSTANT,
                              value=(160, 160, 160))


def step_pictures(steps: DigitSteps, side: int = 120) -> list[np.ndarray]:
    """The five stages as square RGB uint8 pictures of about `side` pixels, for a page.

    Greyscale input; light ink with its bounding box outlined in red; the crop; the digit
    scaled into the 20x20 box; the centred 28x28 result.
    """
    ink = to_rgb_uint8(steps.ink)
    top, left, bottom, right = steps.box
    thickness = max(1, round(max(ink.shape[:2]) / 100))
    cv2.rectangle(ink, (max(0, left - thickness), max(0, top - thickness)),
                  (right - 1 + thickness, bottom - 1 + thickness), (255, 75, 75), thickness)
    return [_picture(steps.greyscale, side), _picture(ink, side), _picture(steps.cropped, side),
            _picture(steps.scaled, side), _picture(steps.result, side)]
