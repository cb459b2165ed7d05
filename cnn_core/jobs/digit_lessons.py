"""Model-side work of the "Draw and predict" lessons, run in the inference worker process.

Pages call these through `ui.services.inference_client().call(function, ...)`, so the
Streamlit server never imports Keras. Every function is module-level (picklable by
reference), takes saved-model paths plus numpy arrays and returns numpy arrays; models are
loaded once per file by `cnn_core.jobs.inference.load_model_cached`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnn_core.data.digits import shift_offsets, shifted_grid
from cnn_core.data.images import shift_image
from cnn_core.data.pixels import as_unit_float

BATCH_SIZE = 256


def _probabilities(model_path: str, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 or float in [0, 1] -> (N, classes) float32 probabilities."""
    from cnn_core.jobs.inference import predict

    return predict(model_path, images, batch_size=BATCH_SIZE)


def classify(model_paths: Sequence[str], images: np.ndarray) -> np.ndarray:
    """Probabilities of each model for each image: (models, N, classes) float32.

    images: (N, 28, 28) uint8 or float in [0, 1]. Models must take 28x28 one-channel input.
    """
    return np.stack([_probabilities(path, images) for path in model_paths])


def shift_grid_probabilities(model_paths: Sequence[str], digit: np.ndarray,
                             max_shift: int) -> np.ndarray:
    """Each model's probabilities for every shift of one digit, all shifts in one batch.

    digit: (28, 28) uint8 or float in [0, 1], already centred. Returns (models, n, n, classes)
    float32 with n = 2 * max_shift + 1, indexed [model, dy + max_shift, dx + max_shift]
    (dx > 0 moves the digit right, dy > 0 moves it down; nothing is re-centred).
    """
    grid = shifted_grid(digit, max_shift)
    n = grid.shape[0]
    batch = grid.reshape(n * n, *grid.shape[2:])
    return classify(model_paths, batch).reshape(len(model_paths), n, n, -1)


def shift_accuracy(model_paths: Sequence[str], images: np.ndarray, labels: np.ndarray,
                   max_shift: int) -> np.ndarray:
    """Accuracy of each model on test digits moved sideways or up and down.

    images: (N, 28, 28) uint8 or float in [0, 1]; labels: (N,) integers. Returns (models, 2, n)
    float32 fractions in [0, 1]: [:, 0] for horizontal shifts (-max_shift..max_shift pixels),
    [:, 1] for vertical ones. All shifted copies go through each model in one batch.
    """
    images = as_unit_float(images)
    labels = np.asarray(labels).astype(np.int64)
    offsets = shift_offsets(max_shift)
    batch = np.stack([shift_image(image, right=int(s)) for s in offsets for image in images]
                     + [shift_image(image, down=int(s)) for s in offsets for image in images])
    truth = np.tile(labels, 2 * len(offsets))
    result = []
    for path in model_paths:
        right = np.argmax(_probabilities(path, batch), axis=1) == truth
        result.append(right.reshape(2, len(offsets), len(images)).mean(axis=2))
    return np.asarray(result, dtype=np.float32)
