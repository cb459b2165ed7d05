"""Training the small dense iris network, and its decision regions as plain numpy.

`train_iris` takes an `IrisSplit` and returns an `IrisResult` of numbers and arrays only
(picklable, no Keras objects), so a worker process can run it and a page can draw every
picture from the result without importing Keras.

`IrisRequest` is the same training as a job for the classroom's training queue: the worker's
`run_job` hands it to `run_iris_job`, which streams the progress snapshots every job sends,
so the page shows the same live panel (place in the queue, progress, time left, Stop).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from cnn_core.data.iris import (
    DEFAULT_RESOLUTION,
    MAX_TEST_FRACTION,
    MIN_TEST_FRACTION,
    PAIRS,
    IrisSplit,
    decision_grid,
    grid_classes,
    load_iris_split,
)
from cnn_core.jobs.training import ProgressRecorder, ProgressSnapshot, TrainConfig

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
# on_batch(epoch, batch, logs): both count from 1; logs holds the running means of "loss" and
# "accuracy" over the epoch so far, as Keras reports them.
BatchCallback = Callable[[int, int, dict[str, float]], None]


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
    # Cross-entropy on the test flowers, from the same single pass as test_accuracy.
    test_loss: float = float("nan")
    stopped: bool = False  # on_epoch asked to stop before the epochs asked for were done


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
               on_batch: BatchCallback | None = None,
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
        epoch = 0
        stopped = False

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if on_batch is not None:
                on_batch(self.epoch + 1, batch + 1, {k: float(v) for k, v in (logs or {}).items()})

        def on_epoch_end(self, epoch, logs=None):
            if on_epoch is not None:
                logs = {k: float(v) for k, v in (logs or {}).items()}
                if on_epoch(epoch + 1, logs):
                    self.model.stop_training = True
                    self.stopped = epoch + 1 < epochs

    report = EpochReport()

    fitted = model.fit(split.x_train, split.y_train, batch_size=batch_size, epochs=epochs,
                       shuffle=True, verbose=0, callbacks=[report])
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
    from cnn_core.jobs.worker import evaluate_probabilities

    test_loss, _ = evaluate_probabilities(probabilities[n_train:n_train + n_test], split.y_test)
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
        test_loss=test_loss,
        stopped=report.stopped,
    )


# ---- The same training as a job for the training queue -------------------------------------

# How often progress goes back to the page (as for every job: the page polls once a second).
SEND_EVERY_S = 0.4
DEFAULT_TEST_FRACTION = 0.2
N_FLOWERS = 150


@dataclass(frozen=True)
class IrisRequest:
    """The iris network as a training job: plain data that pickles across to a worker.

    It answers what the queue and the live panel read of any request (`dataset`,
    `model_slug`, `model_title`, `config`), so it waits, runs and stops like a CNN job.
    Settings out of range raise ValueError with a sentence when the request is made.
    """

    hidden_units: int = 10
    epochs: int = DEFAULT_EPOCHS
    seed: int = 0
    test_fraction: float = DEFAULT_TEST_FRACTION
    batch_size: int = DEFAULT_BATCH_SIZE
    learning_rate: float = DEFAULT_LEARNING_RATE

    dataset = "iris"
    model_slug = "iris_dense"
    custom = False

    def __post_init__(self) -> None:
        if not MIN_TEST_FRACTION <= self.test_fraction <= MAX_TEST_FRACTION:
            raise ValueError(f"The test share must be between {MIN_TEST_FRACTION:.0%} and "
                             f"{MAX_TEST_FRACTION:.0%} of the flowers.")
        # As scikit-learn splits: the test flowers are rounded up.
        n_train = N_FLOWERS - math.ceil(self.test_fraction * N_FLOWERS)
        for value, what, top in ((self.hidden_units, "number of hidden units", MAX_HIDDEN_UNITS),
                                 (self.epochs, "number of epochs", MAX_EPOCHS),
                                 (self.batch_size, "batch size", n_train)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or not 1 <= value <= top:
                raise ValueError(f"The {what} must be a whole number from 1 to {top}, "
                                 f"not {value!r}.")
        if not 0 < self.learning_rate <= 1:
            raise ValueError("The learning rate must be above 0 and at most 1.")

    @property
    def model_title(self) -> str:
        return f"Iris network (4 -> {self.hidden_units} -> 3)"

    @property
    def config(self) -> TrainConfig:
        """The settings every job shows: epochs, batch size and seed."""
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, seed=self.seed)


def run_iris_job(request: IrisRequest, send, stop_event) -> None:
    """Runs in a worker process (called by `cnn_core.jobs.worker.run_job`): split, train,
    report. `send(kind, payload)` carries ("progress", ProgressSnapshot) about every
    SEND_EVERY_S and once per epoch, then ("result", IrisResult). A stop request ends
    training after the epoch in progress (a few milliseconds here). Failures raise; run_job
    turns them into one sentence."""
    from cnn_core.jobs.worker import configure_tensorflow

    send("progress", ProgressSnapshot(status="loading", message="Preparing TensorFlow..."))
    # Also resets the precision policy a previous CNN job in this worker may have changed.
    device = configure_tensorflow(False)
    split = load_iris_split(request.test_fraction, request.seed)
    n_train = len(split.y_train)
    batches = -(-n_train // request.batch_size)
    recorder = ProgressRecorder(request.epochs, batches, request.batch_size, n_train)
    recorder.update(device=device)
    send("progress", recorder.snapshot())
    last_sent = time.monotonic()

    def on_batch(epoch: int, batch: int, logs: dict[str, float]) -> None:
        nonlocal last_sent
        recorder.batch_done(epoch - 1, batch - 1, logs.get("loss", np.nan),
                            logs.get("accuracy", np.nan))
        if time.monotonic() - last_sent >= SEND_EVERY_S:
            last_sent = time.monotonic()
            send("progress", recorder.snapshot())

    def on_epoch(epoch: int, logs: dict[str, float]) -> bool:
        recorder.epoch_done(logs)
        return stop_event.is_set()

    # Started before Keras builds and compiles the network, as for a CNN job: timed from the
    # first batch's end, the speed would read hundreds of thousands of flowers a second.
    recorder.training_started()
    result = train_iris(split, request.hidden_units, request.epochs, request.seed, on_epoch,
                        on_batch=on_batch, batch_size=request.batch_size,
                        learning_rate=request.learning_rate)
    send("result", result)
    send("progress", replace(recorder.snapshot(), status="stopped" if result.stopped else "done"))
