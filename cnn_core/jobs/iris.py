"""Training the small dense iris network, and its decision regions as plain numpy.

`train_iris` takes an `IrisSplit` and returns an `IrisResult` of numbers and arrays only
(picklable, no Keras objects), so a worker process can run it and a page can draw every
picture from the result without importing Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnn_core.data.iris import (
    DEFAULT_RESOLUTION,
    PAIRS,
    IrisSplit,
    decision_grid,
    grid_classes,
)

MAX_HIDDEN_UNITS = 256
MAX_EPOCHS = 1000
DEFAULT_EPOCHS = 40
DEFAULT_BATCH_SIZE = 16
# Higher than Keras' 0.001: 120 flowers give few updates per epoch, and the lesson should
# reach its answer in seconds.
DEFAULT_LEARNING_RATE = 0.01

# on_epoch(epoch, logs): epoch counts from 1, logs holds "loss" and "accuracy" (training
# flowers); returning True stops training after that epoch.
EpochCallback = Callable[[int, dict[str, float]], "bool | None"]


@dataclass(frozen=True)
class IrisGrid:
    """A trained network's answer over one pair of measurements.

    pair: (horizontal, vertical) measurement indices; xs, ys: (R,) standardised values;
    classes: (R, R) int64 predicted species, row r at ys[r], column c at xs[c];
    confidence: (R, R) float32, the predicted species' probability. The other two
    measurements are held at their training means.
    """

    pair: tuple[int, int]
    xs: np.ndarray
    ys: np.ndarray
    classes: np.ndarray
    confidence: np.ndarray


@dataclass(frozen=True)
class IrisResult:
    """What training the iris network produced, in plain numbers and numpy arrays.

    history: per-epoch "loss" and "accuracy" on the training flowers; test_predictions:
    (M,) int64 species predicted for split.x_test; grids: one IrisGrid for each of the six
    pairs in cnn_core.data.iris.PAIRS order.
    """

    test_accuracy: float
    train_accuracy: float
    history: dict[str, list[float]]
    test_predictions: np.ndarray
    grids: tuple[IrisGrid, ...]
    hidden_units: int
    epochs_run: int
    parameters: int
    seed: int


def _check_settings(split: IrisSplit, hidden_units: int, epochs: int, batch_size: int,
                    learning_rate: float) -> None:
    if not isinstance(split, IrisSplit):
        raise ValueError("train_iris needs the flowers from cnn_core.data.iris.load_iris_split.")
    for value, what, top in ((hidden_units, "number of hidden units", MAX_HIDDEN_UNITS),
                             (epochs, "number of epochs", MAX_EPOCHS),
                             (batch_size, "batch size", len(split.x_train))):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                or not 1 <= value <= top:
            raise ValueError(f"The {what} must be a whole number from 1 to {top}, not {value!r}.")
    if not 0 < learning_rate <= 1:
        raise ValueError(f"The learning rate must be above 0 and at most 1, not {learning_rate}.")


def train_iris(split: IrisSplit, hidden_units: int = 10, epochs: int = DEFAULT_EPOCHS,
               seed: int = 0, on_epoch: EpochCallback | None = None, *,
               batch_size: int = DEFAULT_BATCH_SIZE,
               learning_rate: float = DEFAULT_LEARNING_RATE,
               resolution: int = DEFAULT_RESOLUTION) -> IrisResult:
    """Train 4 measurements -> `hidden_units` relu -> 3 softmax on the training flowers.

    The test flowers are used once, after training. Same seed, same result (on the same
    machine). Raises ValueError with a sentence for settings out of range.
    """
    _check_settings(split, hidden_units, epochs, batch_size, learning_rate)
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(split.x_train.shape[1],)),
        keras.layers.Dense(hidden_units, activation="relu", name="hidden"),
        keras.layers.Dense(len(split.class_names), activation="softmax", name="species"),
    ], name="iris")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    class EpochReport(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if on_epoch is not None:
                logs = {k: float(v) for k, v in (logs or {}).items()}
                if on_epoch(epoch + 1, logs):
                    self.model.stop_training = True

    fitted = model.fit(split.x_train, split.y_train, batch_size=batch_size, epochs=epochs,
                       shuffle=True, verbose=0, callbacks=[EpochReport()])
    history = {name: [float(v) for v in fitted.history[name]] for name in ("loss", "accuracy")}

    grids = [decision_grid(split.x_train, pair, resolution) for pair in PAIRS]
    # One direct call for every input the result needs: model.predict would compile a new
    # function for each new model, which costs more than the arithmetic on these few rows.
    inputs = np.concatenate([split.x_train, split.x_test, *(g.points for g in grids)])
    probabilities = keras.ops.convert_to_numpy(model(inputs, training=False))
    predicted = probabilities.argmax(axis=1).astype(np.int64)
    confidence = probabilities.max(axis=1).astype(np.float32)
    n_train, n_test = len(split.x_train), len(split.x_test)
    start = n_train + n_test
    iris_grids = []
    for grid in grids:
        stop = start + len(grid.points)
        iris_grids.append(IrisGrid(grid.pair, grid.xs, grid.ys,
                                   grid_classes(grid, predicted[start:stop]),
                                   grid_classes(grid, confidence[start:stop])))
        start = stop

    test_predictions = predicted[n_train:n_train + n_test]
    return IrisResult(
        test_accuracy=float(np.mean(test_predictions == split.y_test)),
        train_accuracy=float(np.mean(predicted[:n_train] == split.y_train)),
        history=history,
        test_predictions=test_predictions,
        grids=tuple(iris_grids),
        hidden_units=int(hidden_units),
        epochs_run=len(history["loss"]),
        parameters=int(model.count_params()),
        seed=seed,
    )
