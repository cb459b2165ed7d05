"""Outlines drawn on a copy of a picture: where the pixel inspector's window sits.

The image-kernels page outlines the kernel's window on the photo, and the inspected pixel on
the result, in magenta, with four ticks pointing at it so that a 3x3 box is easy to find on a
large photo.
"""

from __future__ import annotations

import cv2
import numpy as np

from cnn_core.views.pictures import to_rgb_uint8

MARK_COLOUR = (255, 0, 255)  # magenta: stands out on grey and on most photos


def mark_window(image: np.ndarray, top: int, left: int, size: tuple[int, int]) -> np.ndarray:
    """A copy of the picture, (H, W, 3) uint8 RGB, with the window whose top-left pixel is
    (top, left) and whose size is (height, width) outlined just outside it.

    image: (H, W), (H, W, 1) or (H, W, 3), uint8 or float in [0, 1] (as `to_rgb_uint8` takes
    it); it is never changed. The outline is about 1 pixel thick for every 300 pixels of the
    picture's longer side; parts that fall outside the picture are cut off.
    """
    marked = np.array(to_rgb_uint8(image))
    kh, kw = size
    thickness = max(1, round(max(marked.shape[:2]) / 300))
    cv2.rectangle(marked, (left - 1, top - 1), (left + kw, top + kh), MARK_COLOUR, thickness)
    # Ticks pointing at the window, so a 3x3 box is easy to find on a large photo.
    centre_x, centre_y = left + kw // 2, top + kh // 2
    reach, gap = max(12, max(marked.shape[:2]) // 25), max(kh, kw) // 2 + 3
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        start = (centre_x + dx * gap, centre_y + dy * gap)
        end = (centre_x + dx * (gap + reach), centre_y + dy * (gap + reach))
        cv2.line(marked, start, end, MARK_COLOUR, thickness)
    return marked


def mark_output(result: np.ndarray, row: int, col: int) -> np.ndarray:
    """A copy of the result with the inspected output pixel (row, col) outlined, as its window
    is on the original."""
    return mark_window(result, row, col, (1, 1))
