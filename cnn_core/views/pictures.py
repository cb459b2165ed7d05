"""Turning arrays (feature maps, filters, small digits) into pictures a page can show.

Pure numpy/OpenCV: every function returns uint8 RGB images. Colour maps are viridis-like,
so brightness alone still tells low from high when printed in greyscale.
"""

from __future__ import annotations

import cv2
import numpy as np

from cnn_core.data.images import fit_within
from cnn_core.data.pixels import as_uint8


def normalise(values: np.ndarray) -> np.ndarray:
    """Stretch any array to [0, 1] (a constant array becomes all zeros)."""
    values = np.asarray(values, dtype=np.float32)
    if not values.size:
        return values
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def colourise(values: np.ndarray, already_normalised: bool = False) -> np.ndarray:
    """(H, W) numbers -> (H, W, 3) uint8 RGB through the viridis colour map."""
    unit = values if already_normalised else normalise(values)
    grey = as_uint8(unit)
    return cv2.cvtColor(cv2.applyColorMap(grey, cv2.COLORMAP_VIRIDIS), cv2.COLOR_BGR2RGB)


def upscale(image: np.ndarray, min_side: int = 84) -> np.ndarray:
    """Enlarge a small image with nearest-neighbour so every pixel stays a crisp square."""
    factor = max(1, int(np.ceil(min_side / max(1, min(image.shape[:2])))))
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def to_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """A data-set image (H, W), (H, W, 1) or (H, W, 3), uint8 or float in [0, 1], as RGB uint8.

    Raises ValueError for other layouts and for values outside those ranges (see
    `cnn_core.data.pixels.pixel_divisor`).
    """
    image = as_uint8(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"A picture to show must be (height, width) or (height, width, 3), "
                         f"not an array of shape {image.shape}.")
    return image


def thumbnail(photo: np.ndarray, side: int = 300) -> np.ndarray:
    """A display copy at most `side` pixels long, padded with white to 4:3 (width:height)
    or wider, so a row of different photos lines up.

    photo: (H, W) or (H, W, 3) uint8, or floats in [0, 1] (other values raise ValueError: the
    white padding is 255). Returns the same layout, uint8, the photo centred.
    """
    small, _ = fit_within(as_uint8(photo), side)
    height, width = small.shape[:2]
    target_h, target_w = max(height, round(width * 3 / 4)), max(width, round(height * 4 / 3))
    top, left = (target_h - height) // 2, (target_w - width) // 2
    padding = ((top, target_h - height - top), (left, target_w - width - left))
    return np.pad(small, padding + ((0, 0),) * (small.ndim - 2), constant_values=255)


def channel_tiles(maps: np.ndarray, max_tiles: int = 32, min_side: int = 64) -> list[np.ndarray]:
    """One colourised, enlarged tile per channel of (h, w, channels) feature maps.

    Each channel is normalised on its own, so weak but structured responses still show.
    """
    maps = np.asarray(maps)
    if maps.ndim == 2:
        maps = maps[:, :, None]
    return [upscale(colourise(maps[:, :, c]), min_side)
            for c in range(min(maps.shape[2], max_tiles))]


def filter_tiles(weights: np.ndarray, min_side: int = 60) -> list[np.ndarray]:
    """Tiles of first-layer filters (k, k, channels_in, filters).

    One input channel: greyscale, with one shared scale so that strong and weak filters can be
    compared (black = most negative weight, white = most positive). Three input channels:
    each filter shown as a small colour image, stretched on its own.
    """
    weights = np.asarray(weights, dtype=np.float32)
    tiles = []
    if weights.shape[2] == 1:
        unit = normalise(weights)
        for f in range(weights.shape[3]):
            tiles.append(upscale(to_rgb_uint8(unit[:, :, 0, f]), min_side))
    else:
        for f in range(weights.shape[3]):
            tiles.append(upscale(to_rgb_uint8(normalise(weights[:, :, :3, f])), min_side))
    return tiles


def overlay_heatmap(image: np.ndarray, heat: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """Blend a [0, 1] heat map (H, W) over an image, both at the same size, as RGB uint8."""
    base = to_rgb_uint8(image).astype(np.float32)
    colour = colourise(heat, already_normalised=True).astype(np.float32)
    return np.clip(np.rint((1 - alpha) * base + alpha * colour), 0, 255).astype(np.uint8)
