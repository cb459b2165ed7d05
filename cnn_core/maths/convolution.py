"""2-D convolution the way CNN layers compute it, plus the fast OpenCV path for photos.

What deep-learning libraries call "convolution" is *cross-correlation*: the kernel is laid
on the image as it is, multiplied element-wise with the pixels under it, and summed.
Mathematical convolution flips the kernel (rotates it 180 degrees) first. For symmetric
kernels (blurs, the Laplacian) the two agree; for Sobel or emboss the flip turns the
response's sign or direction around. A network learns its kernels, so it does not care
which one it computes, and Keras/TensorFlow skip the flip.

Padding and window placement follow TensorFlow; see `cnn_core.maths.windows`.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from cnn_core.data.images import to_greyscale
from cnn_core.data.pixels import as_uint8
from cnn_core.maths.windows import (
    Fill,
    Padding,
    check_stride,
    kernel_anchor,
    sliding_windows,
    window_shape,
)

Border = Literal["same", "reflect", "valid"]
DisplayMode = Literal["clip", "abs", "rescale"]

BORDERS = ("same", "reflect", "valid")
_BORDER_PADDING: dict[str, tuple[Padding, Fill]] = {
    "same": ("same", "zeros"), "reflect": ("same", "reflect"), "valid": ("valid", "zeros")}
DISPLAY_MODES = ("clip", "abs", "rescale")


def _as_kernel(kernel: np.ndarray) -> np.ndarray:
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim not in (2, 3) or min(kernel.shape) < 1:
        raise ValueError("A kernel must be a non-empty 2-D grid of numbers (or k x k x channels).")
    if not np.all(np.isfinite(kernel)):
        raise ValueError("Every kernel entry must be a finite number (no NaN or infinity).")
    return kernel


def check_conv_inputs(x: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate an input and a kernel for `convolve2d`; return both as float64.

    x: (H, W) or (H, W, C). kernel: (kh, kw), or (kh, kw, C). A 2-D kernel on a C-channel
    input is repeated over the channels, as the same weights applied to each channel.
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = _as_kernel(kernel)
    if x.ndim not in (2, 3) or min(x.shape) < 1:
        raise ValueError("The input must be a non-empty 2-D grid of numbers (or H x W x "
                         "channels).")
    if x.ndim == 2 and kernel.ndim == 3:
        raise ValueError("A k x k x channels kernel needs an input with the same channels.")
    if x.ndim == 3 and kernel.ndim == 2:
        kernel = np.repeat(kernel[:, :, None], x.shape[2], axis=2)
    if x.ndim == 3 and kernel.shape[2] != x.shape[2]:
        raise ValueError(
            f"The kernel has {kernel.shape[2]} channels but the input has {x.shape[2]}."
        )
    return x, kernel


def convolve2d(x: np.ndarray, kernel: np.ndarray, padding: Padding = "valid",
               stride: int = 1) -> np.ndarray:
    """Cross-correlate `x` with `kernel`, with Keras/TensorFlow padding and stride.

    x: (H, W) or (H, W, C) numbers. kernel: (kh, kw), or (kh, kw, C) to sum over channels
    the way a Conv2D filter does. Returns (out_h, out_w) float64; integer inputs give exact
    integer-valued results.
    """
    x, kernel = check_conv_inputs(x, kernel)
    check_stride(stride)
    windows = sliding_windows(x, kernel.shape[:2], padding, stride).values
    if x.ndim == 2:
        return np.einsum("ijab,ab->ij", windows, kernel)
    return np.einsum("ijabc,abc->ij", windows, kernel)


def true_convolve2d(x: np.ndarray, kernel: np.ndarray, padding: Padding = "valid",
                    stride: int = 1) -> np.ndarray:
    """Mathematical convolution: cross-correlation with the kernel rotated 180 degrees."""
    kernel = _as_kernel(kernel)
    return convolve2d(x, kernel[::-1, ::-1], padding, stride)


def feature_map_stack(x: np.ndarray, kernels: list[np.ndarray], padding: Padding = "valid",
                      stride: int = 1) -> np.ndarray:
    """Several filters on the same input, as one conv layer: (out_h, out_w, n_filters) float64.

    x: (H, W) or (H, W, C); kernels: same-shaped (k, k) or (k, k, C) grids.
    """
    if not kernels:
        raise ValueError("Choose at least one filter.")
    shapes = {np.shape(k) for k in kernels}
    if len(shapes) > 1:
        raise ValueError("All filters of one layer must have the same size.")
    return np.stack([convolve2d(x, k, padding, stride) for k in kernels], axis=-1)


def conv_parameters(kernel_size: int | tuple[int, int], in_channels: int, filters: int,
                    bias: bool = True) -> int:
    """Learned numbers in a Conv2D layer of `filters` kh x kw filters on `in_channels` channels.

    kernel_size: one side k (a k x k kernel) or the pair (kh, kw), as Keras takes it. Each
    filter has kh*kw*in_channels weights, plus one bias.
    """
    kh, kw = window_shape(kernel_size, "kernel")
    return kh * kw * in_channels * filters + (filters if bias else 0)


def border_padding(border: Border) -> tuple[Padding, Fill]:
    """How a photo filter's border option pads: (TensorFlow padding, what fills the border).

    "same" is a Keras layer's zero padding, "reflect" the same size with mirrored pixels,
    "valid" no padding at all. The stride is always 1.
    """
    if border not in BORDERS:
        raise ValueError(f'Border must be one of {", ".join(BORDERS)}, not {border!r}.')
    return _BORDER_PADDING[border]


def valid_crop(height: int, width: int, kernel_shape: tuple[int, int]) -> tuple[slice, slice]:
    """Rows and columns of a same-size filter output that a "valid" filter keeps."""
    kh, kw = kernel_shape
    if kh > height or kw > width:
        raise ValueError(
            f"The {kh}x{kw} kernel is larger than the {height}x{width} image, so "
            '"valid" borders leave no output pixel at all; pick another border option or a '
            "smaller kernel."
        )
    ay, ax = kernel_anchor((kh, kw))
    return slice(ay, ay + height - kh + 1), slice(ax, ax + width - kw + 1)


def to_display(values: np.ndarray, display: DisplayMode = "clip") -> np.ndarray:
    """Map filter outputs (any real numbers) to uint8 pixels.

    clip: values below 0 become black and above 255 white (fine for blurs and sharpen).
    abs: |value|, so a strong negative edge is as bright as a positive one.
    rescale: stretch min..max to 0..255, showing the full range of an edge map.
    """
    if display == "clip":
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    if display == "abs":
        return cv2.convertScaleAbs(values)
    if display == "rescale":
        return cv2.normalize(values, None, 0, 255, cv2.NORM_MINMAX, dtype=cv2.CV_8U)
    raise ValueError(f'Display mode must be one of {", ".join(DISPLAY_MODES)}, not {display!r}.')


def apply_kernel(image: np.ndarray, kernel: np.ndarray, border: Border = "same",
                 display: DisplayMode = "clip", greyscale: bool = False) -> np.ndarray:
    """Filter a whole photo with OpenCV (same maths as `convolve2d`, stride 1), as uint8.

    image: (H, W, 3) or (H, W) uint8, or floats in [0, 1] (turned into uint8); other values
    or shapes raise ValueError. border: "same" pads with zeros like a Keras layer,
    "reflect" mirrors the edge pixels (no dark frame), "valid" drops the border so the
    result is (H - kh + 1, W - kw + 1). greyscale: convert to one channel first.
    Returns (H', W', 3) or (H', W') uint8.
    """
    kernel = _as_kernel(kernel)
    if kernel.ndim != 2:
        raise ValueError("Photos are filtered with a 2-D kernel, applied to each channel.")
    border_padding(border)  # validates
    if display not in DISPLAY_MODES:
        raise ValueError(f'Display mode must be one of {", ".join(DISPLAY_MODES)}, '
                         f"not {display!r}.")
    # as_uint8 refuses pixels in the wrong range with a sentence; a float photo in [0, 1]
    # would otherwise come back as faint floats, and OpenCV raises its own error on int64.
    image = as_uint8(image)
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3))):
        raise ValueError(f"A photo must be (height, width) or (height, width, 3) pixels, not "
                         f"an array of shape {image.shape}.")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if greyscale and image.ndim == 3:
        image = to_greyscale(image)
    crop = valid_crop(image.shape[0], image.shape[1], kernel.shape) if border == "valid" else None
    cv_border = cv2.BORDER_REFLECT_101 if border == "reflect" else cv2.BORDER_CONSTANT
    kernel32 = kernel.astype(np.float32)
    # OpenCV would centre an even kernel at k // 2; TensorFlow's anchor keeps it in step
    # with convolve2d and the pixel inspector. OpenCV wants it as (x, y).
    anchor = kernel_anchor(kernel.shape)[::-1]
    if display == "clip":
        # Saturating uint8 output is exactly "clip", and as fast as a bare filter2D call.
        out = cv2.filter2D(image, -1, kernel32, anchor=anchor, borderType=cv_border)
    else:
        values = cv2.filter2D(image, cv2.CV_32F, kernel32, anchor=anchor,
                              borderType=cv_border)
        if crop is not None:
            values = values[crop]
            crop = None
        out = to_display(values, display)
    return out[crop] if crop is not None else out
