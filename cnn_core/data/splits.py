"""Holding out a validation split of the training images.

The test split is kept for one final measurement; choices made while training (when to
stop, which settings) are judged on images taken from the training set instead, so the
test accuracy stays an honest estimate for new images.
"""

from __future__ import annotations

import numpy as np

from cnn_core.data.datasets import subsample

# Above this share the model would lose more training images than the check is worth.
MAX_VALIDATION_FRACTION = 0.5


def validation_size(n_images: int, fraction: float) -> int:
    """How many of n_images a `fraction` holds out (rounded, 0 for fraction 0)."""
    if not 0 <= fraction <= MAX_VALIDATION_FRACTION:
        raise ValueError(f"The validation share must be between 0% and "
                         f"{MAX_VALIDATION_FRACTION:.0%} of the training images, "
                         f"not {fraction:.0%}.")
    n_val = int(round(n_images * fraction))
    if fraction > 0 and not 1 <= n_val < n_images:
        raise ValueError(f"{n_images:,} training images are too few to hold out "
                         f"{fraction:.0%} for validation; use more images or a share of 0%.")
    return n_val


def validation_split(x: np.ndarray, y: np.ndarray, fraction: float, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val): `fraction` of the images held out, stratified.

    x: (N, ...) any dtype; y: (N,) integer labels. Every class keeps (to within one image)
    the share it has in y on both sides. The training side keeps the original order; the
    validation side is shuffled. Fraction 0 gives empty validation arrays.
    """
    y = np.asarray(y)
    n_val = validation_size(len(y), fraction)
    if n_val == 0:
        return x, y, x[:0], y[:0]
    held, _ = subsample(np.arange(len(y)), y, n_val, seed=seed)
    keep = np.ones(len(y), dtype=bool)
    keep[held] = False
    return x[keep], y[keep], x[held], y[held]
