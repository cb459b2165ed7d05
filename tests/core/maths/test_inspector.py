"""The pixel inspector's sum is exactly the filtered pixel."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cnn_core.maths.convolution import apply_kernel
from cnn_core.maths.inspector import inspect_pixel
from cnn_core.maths.kernels import PRESET_KERNELS


@pytest.mark.parametrize("name", list(PRESET_KERNELS))
@pytest.mark.parametrize("border", ["same", "reflect", "valid"])
def test_inspected_sum_gives_the_shown_pixel(name, border):
    image = cv2.cvtColor(np.random.default_rng(0).integers(0, 256, (20, 24, 3), np.uint8),
                         cv2.COLOR_RGB2GRAY)
    kernel = PRESET_KERNELS[name].matrix
    result = apply_kernel(image, kernel, border=border, display="clip")
    for row, col in [(0, 0), (5, 7), (result.shape[0] - 1, result.shape[1] - 1)]:
        inspection = inspect_pixel(image, kernel, row, col, border)
        assert inspection.products.shape == kernel.shape
        expected = np.clip(np.rint(inspection.total), 0, 255)
        assert abs(int(result[row, col]) - expected) <= 1


def test_outside_the_result_is_refused():
    with pytest.raises(ValueError, match="outside"):
        inspect_pixel(np.zeros((5, 5)), np.ones((3, 3)), 3, 0, "valid")
