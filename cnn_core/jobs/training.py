"""Running `model.fit` on a background thread, with progress snapshots and a stop button.

`TrainingJob` never touches Streamlit. A Keras callback records per-batch metrics (the
running mean of the epoch so far, which Keras reports) and per-epoch history into a
snapshot guarded by a lock; `stop()` sets a flag that the callback turns into
`model.stop_training = True`, which Keras checks after every call of its training step (one
batch, or a few on a GPU: `batches_per_call`).

In the app the job runs inside a worker process (see `cnn_core.jobs.worker`), so the Streamlit
server never imports Keras; the class works the same in any process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from cnn_core.data.pixels import channels_last, pixel_divisor

# Enough points to draw a smooth curve without making each snapshot expensive to copy.
MAX_CURVE_POINTS = 1500
# Exponential smoothing of the per-batch training curve (about the last 10 batches).
SMOOTHING = 0.1
# Images Keras trains on in one call of its compiled step on a GPU (`batches_per_call`). There
# a small batch takes less time than Python's work between calls (about a millisecond), so one
# batch per call leaves the card waiting. On 2 CPU cores 8 batches of 64 per call trained
# MNIST only ~5% faster, within the machine's drift, and the class of 30 was no better for it
# (bench/classroom_load.py), so a CPU keeps one batch per call, as every CPU figure before it
# was measured. A call of 512 MNIST images is a few milliseconds on a GPU.
IMAGES_PER_CALL = 512


def batches_per_call(batch_size: int, on_gpu: bool) -> int:
    """How many batches Keras trains in one call of its step (its steps_per_execution)."""
    return max(1, IMAGES_PER_CALL // batch_size) if on_gpu else 1


def training_on_gpu() -> bool:
    """Whether TensorFlow trains on a GPU here (imports TensorFlow)."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 2
    batch_size: int = 128
    seed: int = 0
    # Data augmentation, applied to training batches only.
    invert_copies: bool = False   # add a colour-inverted copy of every image
    shift: float = 0.0            # random shift, as a fraction of the image size
    rotation: float = 0.0         # random rotation, as a fraction of a full turn
    zoom: float = 0.0             # random zoom in or out, as a fraction
    # Mirror a random half of the images left to right. Photos only: a mirrored cat is still a
    # cat, a mirrored 2 or 7 is no digit at all (see DatasetInfo.photos).
    flip: bool = False
    class_weight: dict[int, float] | None = None
    mixed_precision: bool = False

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("Epochs and batch size must be at least 1.")

    @property
    def augments(self) -> bool:
        return bool(self.shift or self.rotation or self.zoom or self.flip)


@dataclass(frozen=True)
class ProgressSnapshot:
    """What a progress display needs, copied out under the job's lock."""

    # starting, loading, training, validating (the pass after each epoch), evaluating (the
    # test set, once at the end), done, stopped, failed
    status: str = "starting"
    epoch: int = 0            # 1-based epoch in progress
    epochs: int = 0
    batch: int = 0            # batches finished in the current epoch
    batches_per_epoch: int = 0
    images_seen: int = 0
    images_total: int = 0
    train_seconds: float = 0.0
    # The first batch's images and seconds: its time is mostly TensorFlow tracing the
    # training step (seconds on a busy server), so it says nothing of the pace to come.
    first_batch_images: int = 0
    first_batch_seconds: float = 0.0
    # (epoch as a fraction, loss, accuracy) per recorded batch
    curve: tuple[tuple[float, float, float], ...] = ()
    history: dict[str, list[float]] = field(default_factory=dict)
    device: str = ""
    message: str = ""
    # While validating or evaluating: images of that pass done so far, and in all.
    checked: int = 0
    check_total: int = 0

    @property
    def fraction(self) -> float:
        return min(self.images_seen / self.images_total, 1.0) if self.images_total else 0.0

    @property
    def check_fraction(self) -> float:
        return min(self.checked / self.check_total, 1.0) if self.check_total else 0.0

    @property
    def epochs_done(self) -> float:
        """Passes over the training images so far, with the part of an unfinished one."""
        per_epoch = self.images_total / self.epochs if self.epochs else 0
        return self.images_seen / per_epoch if per_epoch else 0.0

    @property
    def images_per_second(self) -> float:
        return self.images_seen / self.train_seconds if self.train_seconds > 0 else 0.0

    @property
    def pace(self) -> float | None:
        """Images a second since the first batch; None until a second batch has given it (the
        first batch's pace promised half an hour for a job of a minute). A snapshot that does
        not know its first batch goes by its whole pace."""
        if not self.first_batch_images:
            return self.images_per_second or None
        steady_images = self.images_seen - self.first_batch_images
        steady_seconds = self.train_seconds - self.first_batch_seconds
        if steady_images <= 0 or steady_seconds <= 0:
            return None
        return steady_images / steady_seconds

    @property
    def eta_seconds(self) -> float | None:
        """Seconds of training left at `pace`; None while it is not known."""
        speed = self.pace
        if not speed:
            return None
        return max(self.images_total - self.images_seen, 0) / speed

    @property
    def finished(self) -> bool:
        return self.status in ("done", "stopped", "failed")

    def __repr__(self) -> str:
        return (f"ProgressSnapshot({self.status}, epoch {self.epoch}/{self.epochs}, batch "
                f"{self.batch}/{self.batches_per_epoch}, {self.images_per_second:.0f} img/s)")


class ProgressRecorder:
    """Thread-safe store of the latest progress; the Keras callback writes, readers copy."""

    def __init__(self, epochs: int, batches_per_epoch: int, batch_size: int, n_train: int,
                 val_batch_size: int = 256):
        self._lock = threading.Lock()
        self._val_batch_size = val_batch_size
        self._snapshot = ProgressSnapshot(epochs=epochs, batches_per_epoch=batches_per_epoch,
                                          images_total=epochs * n_train)
        self._curve: list[tuple[float, float, float]] = []
        self._history: dict[str, list[float]] = {}
        self._batch_size = batch_size
        self._n_train = n_train
        self._started: float | None = None
        self._stride = 1  # keep every n-th report once the curve is long
        self._smoothed: tuple[float, float] | None = None
        self._last_means = (0.0, 0.0)
        self._last_report = (-1, -1)  # (epoch, batch) of the latest report
        self._reports = 0
        self._batches_smoothed = 0

    def update(self, **changes: Any) -> None:
        with self._lock:
            self._snapshot = replace(self._snapshot, **changes)

    def training_started(self) -> None:
        self._started = time.perf_counter()
        self.update(status="training")

    def _smooth(self, epoch: int, batch: int, mean_loss: float,
                mean_accuracy: float) -> tuple[float, float]:
        """Keras reports the running mean of the epoch so far, which jumps at every new epoch,
        after every call of its training step (one batch, or several on a GPU).
        Recover the mean of the batches since the last report from consecutive means, then
        smooth it across epochs with an exponential moving average per batch (weighted by the
        batches seen at first, so early points are fair).
        """
        last_epoch, last_batch = self._last_report
        before = last_batch + 1 if epoch == last_epoch else 0  # batches already in the mean
        new = max(batch + 1 - before, 1)
        values = tuple(((batch + 1) * m - before * last) / new
                       for m, last in zip((mean_loss, mean_accuracy), self._last_means,
                                          strict=True))
        self._last_means = (mean_loss, mean_accuracy)
        self._last_report = (epoch, batch)
        self._batches_smoothed += new
        weight = max(new / self._batches_smoothed, 1.0 - (1.0 - SMOOTHING) ** new)
        if self._smoothed is None:
            self._smoothed = values
        else:
            self._smoothed = tuple(s + weight * (v - s)
                                   for s, v in zip(self._smoothed, values, strict=True))
        return self._smoothed

    def batch_done(self, epoch: int, batch: int, loss: float, accuracy: float) -> None:
        # Keras numbers a call's last batch as if the call were full, past the epoch's end.
        batch = min(batch, self._snapshot.batches_per_epoch - 1)
        seen = min(epoch * self._n_train + (batch + 1) * self._batch_size,
                   (epoch + 1) * self._n_train)
        position = seen / self._n_train  # epochs done, as a fraction
        elapsed = time.perf_counter() - (self._started or time.perf_counter())
        with self._lock:
            loss, accuracy = self._smooth(epoch, batch, loss, accuracy)
            if self._reports % self._stride == 0:
                self._curve.append((position, loss, accuracy))
                if len(self._curve) > MAX_CURVE_POINTS:
                    self._curve = self._curve[::2]
                    self._stride *= 2
            self._reports += 1
            first = {} if self._snapshot.first_batch_images else {
                "first_batch_images": seen, "first_batch_seconds": elapsed}
            self._snapshot = replace(self._snapshot, epoch=epoch + 1, batch=batch + 1,
                                     images_seen=seen, train_seconds=elapsed, **first)

    def validation_started(self, total: int) -> None:
        self.update(status="validating", checked=0, check_total=total)

    def validation_batch_done(self, batch: int) -> None:
        with self._lock:
            done = min((batch + 1) * self._val_batch_size, self._snapshot.check_total)
            self._snapshot = replace(self._snapshot, checked=done)

    def epoch_done(self, logs: dict[str, float]) -> None:
        """Record an epoch's metrics, plus `time_s`: seconds of training when it ended."""
        elapsed = time.perf_counter() - (self._started or time.perf_counter())
        with self._lock:
            for name, value in {**logs, "time_s": elapsed}.items():
                self._history.setdefault(name, []).append(float(value))

    @property
    def history(self) -> dict[str, list[float]]:
        with self._lock:
            return {name: list(values) for name, values in self._history.items()}

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            return replace(self._snapshot, curve=tuple(self._curve), history={
                name: list(values) for name, values in self._history.items()})


def progress_callback(recorder: ProgressRecorder, stop_event: threading.Event, n_val: int = 0,
                      on_progress: Callable[[], None] | None = None,
                      every_s: float = 0.0):
    """A Keras callback that records every call of the training step (one batch or several)
    and every epoch in `recorder`, and turns a set `stop_event` into the end of training after
    the call in progress (a stop during the check after an epoch cuts that check short and
    ends training there).

    One callback may serve several fits of the same model (fine-tuning after a new head):
    the clock starts at the first fit only, so the curve and the time run on, and Keras
    numbers the later fit's epochs from its initial_epoch. `on_progress()` is called after
    training and validation batches, at most once every `every_s` seconds, and after every
    epoch (a worker sends a snapshot to the page from it). `stopped` tells afterwards whether
    a stop ended training.
    """
    import keras

    class ProgressCallback(keras.callbacks.Callback):
        epoch = 0
        stopped = False
        stopped_mid_epoch = False
        clock_started = False
        # Never, whatever the clock reads: monotonic time starts near 0 at boot, and a machine
        # up for less than every_s would otherwise send nothing until that long after boot.
        last_progress = float("-inf")

        def _progress(self, now: bool = False) -> None:
            if on_progress is not None and (
                    now or time.monotonic() - self.last_progress >= every_s):
                self.last_progress = time.monotonic()
                on_progress()

        def on_train_begin(self, logs=None):
            if not self.clock_started:
                self.clock_started = True
                recorder.training_started()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            recorder.update(status="training")

        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            recorder.batch_done(self.epoch, batch, float(logs.get("loss", np.nan)),
                                float(logs.get("accuracy", np.nan)))
            if stop_event.is_set():
                self.stopped = self.stopped_mid_epoch = True
                self.model.stop_training = True
            self._progress()

        def on_test_begin(self, logs=None):
            recorder.validation_started(n_val)

        def on_test_batch_begin(self, batch, logs=None):
            # A stop request also cuts short the validation pass that follows the epoch.
            if stop_event.is_set():
                self.model.stop_evaluating = True

        def on_test_batch_end(self, batch, logs=None):
            recorder.validation_batch_done(batch)
            self._progress()

        def on_epoch_end(self, epoch, logs=None):
            if not self.stopped_mid_epoch:  # a cut-off epoch's means are not an epoch's
                recorder.epoch_done(logs or {})
            if stop_event.is_set():  # asked during the check: no batch of the next epoch
                self.stopped = True
                self.model.stop_training = True
            self._progress(now=True)  # every epoch's figures reach the page

    return ProgressCallback()


# tf.data's autotuner runs a thread for each iterator, and Keras starts a new iterator every
# epoch (and for every validation pass); deleting the old one waited for that thread, the
# worker idle for about 4 s (py-spy: RootDataset::Iterator::~Iterator), so a 2-epoch MNIST
# job trained a third slower in some runs (bench/train_mnist.py). Fixed parallelism serves
# these small pipelines as well.
PIPELINE_THREADS = 2
PREFETCH_BATCHES = 2


def without_autotune(dataset):
    """`dataset` with tf.data's autotuning off (see PIPELINE_THREADS)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def make_train_dataset(x: np.ndarray, y: np.ndarray, config: TrainConfig):
    """A shuffled, batched tf.data pipeline of float32 images in [0, 1], then augmentation.

    x: (N, H, W[, C]) uint8 0..255 or float in [0, 1] (anything else raises ValueError, see
    `cnn_core.data.pixels`); y: (N,) integer labels. Returns (dataset, number of images).
    """
    import keras
    import tensorflow as tf

    # uint8 stays uint8 until each batch is cast, so the whole set is never held as floats.
    divisor = pixel_divisor(x)
    x = channels_last(x)
    if config.invert_copies:
        inverted = 255 - x if divisor == 255 else 1 - x
        x, y = np.concatenate([x, inverted]), np.concatenate([y, y])
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(
        len(x), seed=config.seed, reshuffle_each_iteration=True).batch(config.batch_size)
    data = data.map(lambda images, labels: (tf.cast(images, tf.float32) / divisor, labels),
                    num_parallel_calls=PIPELINE_THREADS)
    if config.augments:
        layers = []
        if config.flip:
            layers.append(keras.layers.RandomFlip("horizontal", seed=config.seed))
        if config.shift:
            layers.append(keras.layers.RandomTranslation(config.shift, config.shift,
                                                         fill_mode="constant", seed=config.seed))
        if config.rotation:
            layers.append(keras.layers.RandomRotation(config.rotation, fill_mode="constant",
                                                      seed=config.seed))
        if config.zoom:
            layers.append(keras.layers.RandomZoom(config.zoom, fill_mode="constant",
                                                  seed=config.seed))
        augment = keras.Sequential(layers, name="augmentation")
        data = data.map(lambda images, labels: (augment(images, training=True), labels),
                        num_parallel_calls=PIPELINE_THREADS)
    return without_autotune(data.prefetch(PREFETCH_BATCHES)), len(x)


def float_batches(x: np.ndarray, batch_size: int):
    """Pictures as a tf.data pipeline of float32 batches in [0, 1], for predicting or
    validating: each batch is cast only in its turn. The whole set as floats (31 MB for
    MNIST's 10,000 test images, and Keras copies an array once more) would push a worker's
    peak memory past the 600 MB a job may take.

    x: (N, H, W[, C]) uint8 0..255 or float in [0, 1]; anything else raises ValueError.
    """
    import tensorflow as tf

    divisor = pixel_divisor(x)
    return without_autotune(tf.data.Dataset.from_tensor_slices(channels_last(x)).batch(
        batch_size).map(lambda images: tf.cast(images, tf.float32) / divisor))


class TrainingJob:
    """Train `model` on `train_data` in a background thread.

    train_data, val_data: (x, y) with x images (N, H, W[, C]), uint8 0..255 or float in
    [0, 1], and y integer labels; other pixel values raise ValueError here, before training
    starts (a second division by 255 would leave the network guessing). Use `start()`, then
    poll `snapshot()`; `stop()` ends training within one batch and keeps the partially
    trained model; `join()` waits. After it ends, `history` holds the per-epoch
    metrics (Keras style), `error` any exception, and `model` the trained model.
    """

    def __init__(self, model, train_data, val_data=None, config: TrainConfig | None = None):
        for data in (train_data, val_data):
            if data is not None:
                pixel_divisor(data[0])  # refuse pictures in the wrong range before training
        self.model = model
        self.config = config or TrainConfig()
        self._train = train_data
        self._val = val_data
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        n_train = len(train_data[0]) * (2 if self.config.invert_copies else 1)
        batches = -(-n_train // self.config.batch_size)
        self._batches_per_call = batches_per_call(self.config.batch_size, training_on_gpu())
        # With several batches per call, validation goes in the training's batches, so that a
        # call checks as many images as it trains and the bar and Stop answer as soon; with
        # one, in batches of at least 256 (fewer calls).
        self._val_batch_size = (self.config.batch_size if self._batches_per_call > 1
                                else max(self.config.batch_size, 256))
        self.recorder = ProgressRecorder(self.config.epochs, batches, self.config.batch_size,
                                         n_train, self._val_batch_size)
        self.error: BaseException | None = None

    def __repr__(self) -> str:
        return f"TrainingJob({getattr(self.model, 'name', 'model')}, {self.snapshot()!r})"

    def start(self) -> TrainingJob:
        if self._thread is not None:
            raise RuntimeError("This job has already been started.")
        self._thread = threading.Thread(target=self._run, name="training-job", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            data, _ = make_train_dataset(*self._train, self.config)
            val, n_val = None, 0
            if self._val is not None:
                import tensorflow as tf

                n_val = len(self._val[1])
                labels = tf.data.Dataset.from_tensor_slices(np.asarray(self._val[1]))
                # The pictures' pipeline has autotuning off, and the zip inherits that.
                val = tf.data.Dataset.zip((float_batches(self._val[0], self._val_batch_size),
                                           labels.batch(self._val_batch_size)))
            self.model.steps_per_execution = self._batches_per_call
            try:
                self.model.fit(data, epochs=self.config.epochs, validation_data=val,
                               class_weight=self.config.class_weight, verbose=0, shuffle=False,
                               callbacks=[progress_callback(self.recorder, self._stop, n_val)])
            finally:
                # A later predict would gather as many of its own, larger batches per call:
                # the whole test set at once for small training batches.
                self.model.steps_per_execution = 1
            self.recorder.update(status="stopped" if self._stop.is_set() else "done")
        except BaseException as exc:  # noqa: BLE001 - reported to the page, never re-raised
            self.error = exc
            self.recorder.update(status="failed", message=f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job; True if it has finished."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.done

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def history(self) -> dict[str, list[float]]:
        return self.recorder.history

    def snapshot(self) -> ProgressSnapshot:
        return self.recorder.snapshot()
