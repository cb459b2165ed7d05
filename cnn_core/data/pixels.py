"""What pixel values mean, checked once: uint8 0..255 or floats in [0, 1]; and the batch a
model takes.

Every function that turns pictures into model inputs or display pictures goes through
here, so an array in the wrong range is refused with a sentence instead of being quietly
divided by 255 a second time (which trains a network to chance level without a word).
"""

from __future__ import annotations

import numpy as np


def pixel_divisor(images: np.ndarray) -> float:
    """What divides these pixels into [0, 1]: 255.0 for uint8, 1.0 for floats in [0, 1].

    images: any shape, uint8 (0..255) or float (already in [0, 1]). Raises ValueError for
    floats outside [0, 1] (or NaN), and for any other dtype, rather than guess a scale.
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return 255.0
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"Pictures must hold uint8 pixel values (0 to 255) or floats from 0 to "
                         f"1, not {images.dtype} values.")
    if not images.size:
        return 1.0
    if not np.isfinite(images).all():
        raise ValueError("Float pictures must hold values from 0 to 1, but these hold NaN or "
                         "infinite values.")
    low, high = images.min(), images.max()
    if low < 0 or high > 1:
        raise ValueError(f"Float pictures must hold values from 0 to 1, but these go from "
                         f"{low:g} to {high:g}; divide 0..255 values by 255 once, or pass uint8.")
    return 1.0


def as_unit_float(images: np.ndarray) -> np.ndarray:
    """uint8 0..255 or float [0, 1] pixels (any shape) -> float32 in [0, 1], same shape.

    uint8 is divided by 255; floats in [0, 1] are kept as they are; anything else raises
    ValueError (see `pixel_divisor`).
    """
    images = np.asarray(images)
    divisor = pixel_divisor(images)
    values = images.astype(np.float32)
    return values / np.float32(divisor) if divisor != 1 else values


def as_uint8(images: np.ndarray) -> np.ndarray:
    """uint8 0..255 or float [0, 1] pixels (any shape) -> uint8 0..255, same shape.

    Floats are scaled by 255 and rounded; anything else raises ValueError.
    """
    images = np.asarray(images)
    if pixel_divisor(images) == 255.0:
        return images
    return np.rint(images * 255.0).astype(np.uint8)


def model_input_shape(image_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The (H, W, C) a model takes for pictures of shape (H, W) (one channel) or (H, W, C)."""
    shape = tuple(int(d) for d in image_shape)
    if len(shape) not in (2, 3):
        raise ValueError(f"A picture must be (height, width) or (height, width, channels), "
                         f"not {shape}.")
    return shape if len(shape) == 3 else (*shape, 1)


def channels_last(batch: np.ndarray) -> np.ndarray:
    """A batch (N, H, W) or (N, H, W, C), any dtype -> (N, H, W, C): greyscale pictures get
    their one channel axis (no copy)."""
    batch = np.asarray(batch)
    if batch.ndim not in (3, 4):
        raise ValueError(f"A batch of pictures must be (count, height, width) or (count, height, "
                         f"width, channels), not an array of shape {batch.shape}.")
    return batch.reshape(len(batch), *model_input_shape(batch.shape[1:]))


def fits(image_shape: tuple[int, ...], model_shape: tuple[int | None, ...]) -> bool:
    """Whether pictures of image_shape (H, W, C) go into a model input of model_shape, where
    None is a flexible dimension that takes any size."""
    return len(image_shape) == len(model_shape) and all(
        m is None or m == d for d, m in zip(image_shape, model_shape, strict=True))


def to_model_input(images: np.ndarray,
                   input_shape: tuple[int | None, ...] | None = None) -> np.ndarray:
    """Pictures -> the (N, H, W, C) float32 batch in [0, 1] that every model here takes.

    images: uint8 0..255 or float in [0, 1], as one picture (H, W) or (H, W, C), or a batch
    (N, H, W) or (N, H, W, C). A 3-D array is one (H, W, C) picture when its shape is
    `input_shape`, and otherwise a batch of greyscale pictures (N, H, W); without
    `input_shape` give a single colour picture with its batch axis, (1, H, W, 3).
    input_shape: the model's (H, W, C) if known, None for a dimension the model takes at any
    size; pictures that do not fit raise ValueError.
    """
    batch = as_unit_float(images)
    one_picture = batch.ndim == 3 and input_shape is not None and fits(batch.shape, input_shape)
    if batch.ndim == 2 or one_picture:
        batch = batch[None]
    if batch.ndim not in (3, 4):
        raise ValueError(f"A picture must be (height, width) or (height, width, channels), "
                         f"not an array of shape {batch.shape}.")
    batch = channels_last(batch)
    if input_shape is not None and not fits(batch.shape[1:], tuple(input_shape)):
        raise ValueError(f"The picture has shape {batch.shape[1:]} but the model expects "
                         f"{tuple(input_shape)}.")
    return batch
