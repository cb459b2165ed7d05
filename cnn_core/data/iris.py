"""Fisher's iris flowers for a first dense network, and the mesh its decision regions are drawn on.

150 flowers of three species, four measurements each, bundled with scikit-learn (no download).
The measurements are standardised with the training flowers' mean and spread only, so the test
flowers stay unseen in every sense.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

MIN_TEST_FRACTION = 0.05
# Beyond half, fewer flowers learn than are tested: not a sensible lesson.
MAX_TEST_FRACTION = 0.5
N_FEATURES = 4
# Every pair of the four measurements, the axes of one decision-region picture each.
PAIRS: tuple[tuple[int, int], ...] = tuple(combinations(range(N_FEATURES), 2))
DEFAULT_RESOLUTION = 80
MAX_RESOLUTION = 400


@dataclass(frozen=True)
class IrisSplit:
    """Training and test flowers, standardised with the training flowers' statistics.

    x_train: (N, 4) float32, x_test: (M, 4) float32, each column (cm - mean) / std;
    y_train, y_test: int64 species indices 0..2; mean, std: (4,) float64 in cm, from the
    training flowers only; feature_names: the four measurements in words with units;
    class_names: the three species.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    test_fraction: float
    seed: int

    def standardise(self, measurements_cm) -> np.ndarray:
        """(..., 4) measurements in cm (e.g. four slider values) -> float32 model inputs."""
        cm = np.asarray(measurements_cm, dtype=np.float64)
        if cm.shape[-1:] != (N_FEATURES,):
            raise ValueError(f"A flower has {N_FEATURES} measurements, not {cm.shape[-1:]}.")
        return ((cm - self.mean) / self.std).astype(np.float32)

    def to_cm(self, values, feature: int | None = None) -> np.ndarray:
        """Standardised values back to cm (float64): (..., 4), or any shape for one feature."""
        values = np.asarray(values, dtype=np.float64)
        if feature is None:
            return values * self.std + self.mean
        _check_feature(feature)
        return values * self.std[feature] + self.mean[feature]


def _check_feature(index) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
            or not 0 <= index < N_FEATURES:
        raise ValueError(f"A measurement is chosen by its index 0 to {N_FEATURES - 1}, "
                         f"not {index!r}.")
    return int(index)


def load_iris_split(test_fraction: float = 0.2, seed: int = 0) -> IrisSplit:
    """The 150 iris flowers split into training and test flowers, stratified by species.

    test_fraction: share of flowers held out for testing, between MIN_TEST_FRACTION and
    MAX_TEST_FRACTION; each species keeps its share (to within one flower) on both sides.
    """
    if not MIN_TEST_FRACTION <= test_fraction <= MAX_TEST_FRACTION:
        raise ValueError(f"The test share must be between {MIN_TEST_FRACTION:.0%} and "
                         f"{MAX_TEST_FRACTION:.0%} of the flowers, not {test_fraction:.0%}.")
    # Imported here so that importing cnn_core.data stays fast for pages that never show iris.
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    bunch = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        bunch.data, bunch.target, test_size=test_fraction, random_state=seed,
        stratify=bunch.target)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    return IrisSplit(
        x_train=((x_train - mean) / std).astype(np.float32),
        y_train=y_train.astype(np.int64),
        x_test=((x_test - mean) / std).astype(np.float32),
        y_test=y_test.astype(np.int64),
        mean=mean,
        std=std,
        feature_names=tuple(bunch.feature_names),
        class_names=tuple(str(name) for name in bunch.target_names),
        test_fraction=float(test_fraction),
        seed=seed,
    )


@dataclass(frozen=True)
class DecisionGrid:
    """A mesh over two measurements, ready to be fed to a model.

    pair: (column index on the horizontal axis, column index on the vertical axis);
    xs: (R,) values of pair[0], ys: (R,) values of pair[1], in the units of the x_train
    the grid was made from; points: (R * R, 4) float32 model inputs, row by row (ys outer,
    xs inner), with the other two measurements held at their training means.
    """

    pair: tuple[int, int]
    xs: np.ndarray
    ys: np.ndarray
    points: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.ys), len(self.xs)


def decision_grid(x_train: np.ndarray, pair: tuple[int, int],
                  resolution: int = DEFAULT_RESOLUTION, margin: float = 0.1) -> DecisionGrid:
    """Mesh points covering two of the four measurements, to colour a model's decision regions.

    x_train: (N, 4) training features (standardised or in cm); pair: two different column
    indices 0..3; resolution: points along each axis (2..MAX_RESOLUTION); margin: extra room
    beyond the training flowers on each side, as a share of their range. The other two
    measurements are held at their training means, so the picture shows the model's answer
    for a flower that is average in everything but the two measurements drawn.
    """
    x_train = np.asarray(x_train, dtype=np.float64)
    if x_train.ndim != 2 or x_train.shape[1] != N_FEATURES or len(x_train) == 0:
        raise ValueError(f"The training flowers must be an (N, {N_FEATURES}) array of "
                         f"measurements, not shape {x_train.shape}.")
    if len(pair) != 2:
        raise ValueError(f"Choose exactly two measurements, not {len(pair)}.")
    i, j = (_check_feature(index) for index in pair)
    if i == j:
        raise ValueError("Choose two different measurements for the two axes.")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) \
            or not 2 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"The grid needs between 2 and {MAX_RESOLUTION} points along each "
                         f"axis, not {resolution!r}.")
    if not 0 <= margin <= 1:
        raise ValueError(f"The margin must be between 0 and 1 of the data's range, not {margin}.")

    def axis(column: int) -> np.ndarray:
        low, high = x_train[:, column].min(), x_train[:, column].max()
        # A measurement that never varies still gets a visible band around its one value.
        room = (high - low) * margin if high > low else 1.0
        return np.linspace(low - room, high + room, resolution)

    xs, ys = axis(i), axis(j)
    grid_x, grid_y = np.meshgrid(xs, ys)  # (R, R), rows follow ys
    points = np.tile(x_train.mean(axis=0), (grid_x.size, 1))
    points[:, i] = grid_x.ravel()
    points[:, j] = grid_y.ravel()
    return DecisionGrid((i, j), xs.astype(np.float32), ys.astype(np.float32),
                        points.astype(np.float32))


def grid_classes(grid: DecisionGrid, predicted: np.ndarray) -> np.ndarray:
    """Per-point predictions back on the mesh: (R * R,) or (R * R, classes) -> (R, R) or
    (R, R, classes); row r is ys[r], column c is xs[c] (a heatmap's z)."""
    predicted = np.asarray(predicted)
    if len(predicted) != len(grid.points):
        raise ValueError(f"Expected one prediction for each of the {len(grid.points):,} mesh "
                         f"points, got {len(predicted):,}.")
    return predicted.reshape(*grid.shape, *predicted.shape[1:])
