"""Turning whatever a learner uploads into a plain (H, W, 3) uint8 RGB array, or a clear refusal;
and the few operations every page does on pictures: resize, shift, greyscale, encode."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image, ImageOps

from cnn_core.config import MAX_IMAGE_PIXELS
from cnn_core.data.pixels import as_uint8

ImageSource = bytes | bytearray | str | os.PathLike | BinaryIO


class ImageError(ValueError):
    """The file cannot be used as an image; the message says why in one sentence.

    `reason` names the kind, for callers that count refusals instead of showing them:
    "empty", "not an image", "too many pixels", "damaged", or "no file".
    """

    def __init__(self, message: str, reason: str = "damaged"):
        super().__init__(message)
        self.reason = reason


def _read_bytes(source: ImageSource) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"There is no image file at {path}.", "no file")
        return path.read_bytes()
    if hasattr(source, "getvalue"):
        return source.getvalue()
    if hasattr(source, "read"):
        return source.read()
    raise ImageError("Give an image as bytes, a file path or an open file.", "no file")


def _to_rgb_array(img: Image.Image) -> np.ndarray:
    """Convert any Pillow mode to (H, W, 3) uint8, scaling deep images instead of clipping."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale (Pillow opens 16-bit PNGs as "I"): 65535 maps to 255.
        grey = np.asarray(img, dtype=np.float64)
        top = 65535.0 if grey.max(initial=0) > 255 or mode.startswith("I;16") else 255.0
        grey = np.clip(np.rint(grey * (255.0 / top)), 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if mode == "F":
        grey = np.asarray(img, dtype=np.float64)
        grey = np.nan_to_num(grey)
        low, high = grey.min(initial=0), grey.max(initial=0)
        scaled = (grey - low) / (high - low) * 255 if high > low else np.zeros_like(grey)
        return np.repeat(np.rint(scaled).astype(np.uint8)[:, :, None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        # Transparent pixels often hide arbitrary colours; show them on white, as viewers do.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"))
    return np.asarray(img.convert("RGB"))


def load_image(source: ImageSource, max_pixels: int = MAX_IMAGE_PIXELS,
               draft: tuple[int, int] | None = None) -> np.ndarray:
    """Decode an image file into (H, W, 3) uint8 RGB.

    Applies the EXIF orientation; converts greyscale, alpha (onto white), palette and CMYK;
    scales 16-bit images to 8 bits; takes the first frame of animations. Raises ImageError
    for empty, non-image and truncated files, and refuses images above `max_pixels` from
    their header, before decoding a single pixel (decompression bombs).

    draft: (width, height) the caller will shrink to anyway: a JPEG is then decoded at the
    smallest of 1/2, 1/4 or 1/8 scale that still covers it (many times faster for photos).
    """
    data = _read_bytes(source)
    if not data:
        raise ImageError("The file is empty.", "empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            "This image has far too many pixels to open safely; use a smaller picture.",
            "too many pixels") from None
    except Exception:  # noqa: BLE001 - see below: a crafted header can raise anything
        raise ImageError(
            "This file is not an image we can read; upload a JPG, PNG, WebP, BMP, TIFF or GIF.",
            "not an image") from None
    width, height = img.size
    if width < 1 or height < 1:
        raise ImageError("This image has no pixels.", "empty")
    if width * height > max_pixels:
        raise ImageError(
            f"This image is {width}x{height} pixels ({width * height / 1e6:.0f} MP); the limit "
            f"is {max_pixels / 1e6:.0f} MP, so please shrink it first.", "too many pixels")
    try:
        img.seek(0)  # animated GIF/WebP/PNG: the first frame
        if draft is not None:
            img.draft(None, draft)  # JPEG only; other formats ignore it
        img.load()
        img = ImageOps.exif_transpose(img)
        rgb = _to_rgb_array(img)
    except Exception:  # noqa: BLE001 - Pillow's format plugins raise what a damaged or
        # crafted file makes them raise (a TIFF tag of the wrong type gives a TypeError), and
        # an upload must only ever cost the learner a sentence.
        raise ImageError(
            "This image file is damaged or cut off (truncated), so it cannot be decoded."
        ) from None
    return np.ascontiguousarray(rgb, dtype=np.uint8)


def resize_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """The picture at exactly height x width (aspect ratio not kept): the one resize rule.

    image: (H, W) or (H, W, C) uint8 or float. Shrinking averages areas (no aliasing, thin
    strokes fade rather than vanish); anything that grows a side is bilinear. Returns the same
    dtype and layout (the array itself when the size is already right).
    """
    image = np.asarray(image)
    if image.shape[:2] == (height, width):
        return image
    if min(image.shape[:2]) < 1 or min(height, width) < 1:
        raise ValueError(f"Cannot resize a {image.shape[1]}x{image.shape[0]} picture to "
                         f"{width}x{height} pixels.")
    shrinks = height <= image.shape[0] and width <= image.shape[1]
    resized = cv2.resize(image, (width, height),
                         interpolation=cv2.INTER_AREA if shrinks else cv2.INTER_LINEAR)
    # OpenCV drops a single channel axis; keep the caller's layout.
    return resized.reshape(height, width, *image.shape[2:])


def resize_to_side(image: np.ndarray, side: int) -> np.ndarray:
    """Resize so the longer side is `side` pixels, keeping the aspect ratio (every side >= 1).

    image: (H, W) or (H, W, C) uint8 or float; see `resize_to` for how. Returns the same dtype
    and layout.
    """
    image = np.asarray(image)
    height, width = image.shape[:2]
    if min(height, width) < 1 or side < 1:
        raise ValueError(f"Cannot resize a {width}x{height} picture to {side} pixels.")
    scale = side / max(height, width)
    return resize_to(image, max(1, round(height * scale)), max(1, round(width * scale)))


def fit_within(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Downscale so the longer side is at most `max_side` (area averaging, no aliasing).

    Returns the image (unchanged if already small enough) and the scale factor applied.
    """
    scale = max_side / max(image.shape[:2])
    if scale >= 1:
        return image, 1.0
    return resize_to_side(image, max_side), scale


def shift_image(image: np.ndarray, down: int = 0, right: int = 0) -> np.ndarray:
    """Move a picture `down` rows and `right` columns (negative: up/left), filling with zeros.

    image: (H, W) or (H, W, C), any dtype. Returns a new array of the same shape and dtype;
    what moves past the edge is lost (nothing is re-centred), as when the object in a photo
    moves a little.
    """
    image = np.asarray(image)
    moved = np.zeros_like(image)
    height, width = image.shape[:2]
    if abs(down) >= height or abs(right) >= width:
        return moved
    source = (slice(max(-down, 0), height - max(down, 0)),
              slice(max(-right, 0), width - max(right, 0)))
    target = (slice(max(down, 0), height - max(-down, 0)),
              slice(max(right, 0), width - max(-right, 0)))
    moved[target] = image[source]
    return moved


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an (H, W) or (H, W, 3) RGB uint8 image, at zlib's fastest level: PNG is
    lossless whatever the level, and the page waits on the encode while the bytes go over a
    classroom network in a blink."""
    bgr = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, buffer = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ImageError("The result could not be encoded as PNG.")
    return buffer.tobytes()


def to_greyscale(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1) or (H, W, 3) RGB pixels -> (H, W) uint8 luminance.

    image: uint8 0..255 or float in [0, 1] (scaled to 0..255); colour is weighted by ITU-R
    BT.601 (0.299 R + 0.587 G + 0.114 B), as OpenCV and Pillow do. Raises ValueError for
    other layouts (flatten transparency first) and for values outside those ranges.
    """
    image = as_uint8(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return image
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"A picture to turn grey must be (height, width) or (height, width, 3) "
                         f"RGB, not an array of shape {image.shape}.")
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
