"""2-D convolution the way CNN layers compute it, plus the fast OpenCV path for photos.

What deep-learning libraries call "convolution" is *cross-correlation*: the kernel is laid
on the image as it is, multiplied element-wise with the pixels under it, and summed.
Mathematical convolution flips the kernel (rotates it 180 degrees) first. For symmetric
kernels (blurs, the Laplacian) the two agree; for Sobel or emboss the flip turns the
response's sign or direction around. A network learns its kernels, so it does not care
which one it computes, and Keras/TensorFlow skip the flip.

Padding follows TensorFlow exactly:
- "valid": no padding, output size floor((n - k) / s) + 1.
- "same": output size ceil(n / s); the zeros needed are split with the extra row/column
  at the bottom/right (this only matters for even kernels or strides above 1).
"""

from __future__ import annotations

import math
from typing import Literal

import cv2
import numpy as np

Padding = Literal["valid", "same"]
Border = Literal["same", "reflect", "valid"]
DisplayMode = Literal["clip", "abs", "rescale"]

PADDINGS = ("valid", "same")
BORDERS = ("same", "reflect", "valid")
DISPLAY_MODES = ("clip", "abs", "rescale")


def _check_padding(padding: str) -> None:
    if padding not in PADDINGS:
        raise ValueError(f'Padding must be "valid" or "same", not {padding!r}.')


def _check_stride(stride: int) -> None:
    if int(stride) != stride or stride < 1:
        raise ValueError(f"The stride must be a whole number of at least 1, not {stride!r}.")


def output_size(n: int, k: int, padding: Padding = "valid", stride: int = 1) -> int:
    """Length of the output along one axis for input length `n` and kernel length `k`.

    Returns 0 when a "valid" kernel does not fit inside the input.
    """
    _check_padding(padding)
    _check_stride(stride)
    if n < 1 or k < 1:
        raise ValueError("Input and kernel sizes must be at least 1.")
    if padding == "same":
        return math.ceil(n / stride)
    return max((n - k) // stride + 1, 0)


def padding_amounts(n: int, k: int, padding: Padding = "valid", stride: int = 1) -> tuple[int, int]:
    """Zeros added (before, after) along one axis, as TensorFlow adds them.

    "same" pads just enough for ceil(n / s) outputs; an odd total puts the extra zero
    after (bottom/right).
    """
    if padding == "valid":
        _check_padding(padding)
        return 0, 0
    out = output_size(n, k, padding, stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def pad(x: np.ndarray, k: int | tuple[int, int], padding: Padding = "valid",
        stride: int = 1) -> np.ndarray:
    """Zero-pad the first two axes of `x` (H, W[, C]) as a k x k layer with `padding` would."""
    x = np.asarray(x)
    kh, kw = (k, k) if np.isscalar(k) else k
    top, bottom = padding_amounts(x.shape[0], kh, padding, stride)
    left, right = padding_amounts(x.shape[1], kw, padding, stride)
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (x.ndim - 2)
    return np.pad(x, widths, mode="constant")


def _as_kernel(kernel: np.ndarray) -> np.ndarray:
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim not in (2, 3) or min(kernel.shape) < 1:
        raise ValueError("A kernel must be a non-empty 2-D grid of numbers (or k x k x channels).")
    if not np.all(np.isfinite(kernel)):
        raise ValueError("Every kernel entry must be a finite number (no NaN or infinity).")
    return kernel


def convolve2d(x: np.ndarray, kernel: np.ndarray, padding: Padding = "valid",
               stride: int = 1) -> np.ndarray:
    """Cross-correlate `x` with `kernel`, with Keras/TensorFlow padding and stride.

    x: (H, W) or (H, W, C) numbers. kernel: (kh, kw), or (kh, kw, C) to sum over channels
    the way a Conv2D filter does. Returns (out_h, out_w) float64; integer inputs give exact
    integer-valued results.
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = _as_kernel(kernel)
    _check_stride(stride)
    if x.ndim == 2 and kernel.ndim == 3:
        raise ValueError("A k x k x channels kernel needs an input with the same channels.")
    if x.ndim == 3 and kernel.ndim == 2:
        kernel = np.repeat(kernel[:, :, None], x.shape[2], axis=2) / 1.0
    if x.ndim == 3 and kernel.shape[2] != x.shape[2]:
        raise ValueError(
            f"The kernel has {kernel.shape[2]} channels but the input has {x.shape[2]}."
        )
    kh, kw = kernel.shape[:2]
    out_h = output_size(x.shape[0], kh, padding, stride)
    out_w = output_size(x.shape[1], kw, padding, stride)
    if out_h == 0 or out_w == 0:
        raise ValueError(
            f"The {kh}x{kw} kernel is larger than the {x.shape[0]}x{x.shape[1]} input, so "
            '"valid" padding leaves no output; use a smaller kernel or "same" padding.'
        )
    padded = pad(x, (kh, kw), padding, stride)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(0, 1))
    windows = windows[: (out_h - 1) * stride + 1 : stride, : (out_w - 1) * stride + 1 : stride]
    if x.ndim == 2:
        return np.einsum("ijab,ab->ij", windows, kernel)
    # With channels the window view is (i, j, C, kh, kw).
    return np.einsum("ijcab,abc->ij", windows, kernel)


def true_convolve2d(x: np.ndarray, kernel: np.ndarray, padding: Padding = "valid",
                    stride: int = 1) -> np.ndarray:
    """Mathematical convolution: cross-correlation with the kernel rotated 180 degrees."""
    kernel = _as_kernel(kernel)
    return convolve2d(x, kernel[::-1, ::-1], padding, stride)


def _anchor(kernel: np.ndarray) -> tuple[int, int]:
    # OpenCV centres kernels at k // 2; TensorFlow's "same" puts the extra padding after,
    # i.e. the anchor at (k - 1) // 2. Using TF's anchor keeps even kernels consistent with
    # convolve2d and the pixel inspector.
    kh, kw = kernel.shape[:2]
    return (kw - 1) // 2, (kh - 1) // 2


def valid_crop(height: int, width: int, kernel_shape: tuple[int, int]) -> tuple[slice, slice]:
    """Rows and columns of a same-size filter output that a "valid" filter keeps."""
    kh, kw = kernel_shape
    if kh > height or kw > width:
        raise ValueError(
            f"The {kh}x{kw} kernel is larger than the {height}x{width} image, so "
            '"valid" borders leave nothing; pick another border option or a smaller kernel.'
        )
    ay, ax = (kh - 1) // 2, (kw - 1) // 2
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

    image: (H, W, 3) or (H, W) uint8. border: "same" pads with zeros like a Keras layer,
    "reflect" mirrors the edge pixels (no dark frame), "valid" drops the border so the
    result is (H - kh + 1, W - kw + 1). greyscale: convert to one channel first.
    Returns (H', W', 3) or (H', W') uint8.
    """
    kernel = _as_kernel(kernel)
    if kernel.ndim != 2:
        raise ValueError("Photos are filtered with a 2-D kernel, applied to each channel.")
    if border not in BORDERS:
        raise ValueError(f'Border must be one of {", ".join(BORDERS)}, not {border!r}.')
    if display not in DISPLAY_MODES:
        raise ValueError(f'Display mode must be one of {", ".join(DISPLAY_MODES)}, '
                         f"not {display!r}.")
    image = np.asarray(image)
    if greyscale and image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    crop = valid_crop(image.shape[0], image.shape[1], kernel.shape) if border == "valid" else None
    cv_border = cv2.BORDER_REFLECT_101 if border == "reflect" else cv2.BORDER_CONSTANT
    kernel32 = kernel.astype(np.float32)
    if display == "clip":
        # Saturating uint8 output is exactly "clip", and as fast as a bare filter2D call.
        out = cv2.filter2D(image, -1, kernel32, anchor=_anchor(kernel), borderType=cv_border)
    else:
        values = cv2.filter2D(image, cv2.CV_32F, kernel32, anchor=_anchor(kernel),
                              borderType=cv_border)
        if crop is not None:
            values = values[crop]
            crop = None
        out = to_display(values, display)
    return out[crop] if crop is not None else out


def neighbourhood(image: np.ndarray, row: int, col: int, kernel_shape: tuple[int, int],
                  border: Border = "same") -> np.ndarray:
    """The pixels under the kernel when it produces output (row, col) of `apply_kernel`.

    image: (H, W) one channel. Output coordinates are those of the filtered image (for
    "valid" they are shifted by the border that was dropped). Returns (kh, kw) float64,
    with padded zeros or mirrored pixels where the window leaves the image.
    """
    image = np.asarray(image, dtype=np.float64)
    kh, kw = kernel_shape
    ax, ay = (kw - 1) // 2, (kh - 1) // 2
    if border == "valid":
        row, col = row + ay, col + ax
    mode = "reflect" if border == "reflect" else "constant"
    padded = np.pad(image, ((ay, kh - 1 - ay), (ax, kw - 1 - ax)), mode=mode)
    return padded[row : row + kh, col : col + kw]
