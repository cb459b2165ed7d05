"""The pixel inspector: exactly how one output pixel of a filtered photo was computed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnn_core.maths.convolution import Border, neighbourhood


@dataclass(frozen=True)
class PixelInspection:
    """One output pixel: the window under the kernel, the products and their sum.

    row, col: output position. window, kernel, products: (kh, kw) float64.
    total: the raw sum of products, before it is mapped to a 0-255 pixel.
    """

    row: int
    col: int
    window: np.ndarray = field(repr=False)
    kernel: np.ndarray = field(repr=False)
    products: np.ndarray = field(repr=False)
    total: float

    def __repr__(self) -> str:
        kh, kw = self.kernel.shape
        return f"PixelInspection(row={self.row}, col={self.col}, {kh}x{kw}, total={self.total:g})"


def inspect_pixel(channel: np.ndarray, kernel: np.ndarray, row: int, col: int,
                  border: Border = "same") -> PixelInspection:
    """Recompute output pixel (row, col) of `apply_kernel(channel, kernel, border)` by hand.

    channel: (H, W) one colour channel or greyscale image, uint8 or float.
    kernel: (kh, kw). Output coordinates follow `apply_kernel`, so for "valid" borders the
    output is smaller and (0, 0) is the first position where the kernel fits.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    height, width = channel.shape[:2]
    kh, kw = kernel.shape
    out_h, out_w = (height - kh + 1, width - kw + 1) if border == "valid" else (height, width)
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(f"Pixel ({row}, {col}) is outside the {out_h}x{out_w} result.")
    window = neighbourhood(channel, row, col, (kh, kw), border)
    products = window * kernel
    return PixelInspection(row, col, window, kernel, products, float(products.sum()))
