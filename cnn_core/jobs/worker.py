"""Training in worker processes, so the Streamlit server never imports Keras.

Why a process and not a thread: once `keras` is in `sys.modules`, Streamlit 1.67 calls
`keras.backend.clear_session()` plus full garbage collections after every script and
fragment run of every session (measured: a training thread ran 16x slower under 0.5 s
polling). A worker process also isolates crashes and out-of-memory and allows a hard stop.

`TrainingProcess` is the handle a page keeps in `st.session_state`: it joins the queue of
the training pool (`cnn_core.jobs.pool`), receives progress from the worker that runs it,
and exposes the latest snapshot (or place in the queue), `stop()`, `done`, `error` and
`result`. The worker side is `run_job`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from cnn_core.jobs.iris import IrisRequest, run_iris_job
from cnn_core.jobs.job_queue import TRAINING_DONE, Workload
from cnn_core.jobs.own_images import OwnImagesRequest, run_own_images_job
from cnn_core.jobs.training import ProgressSnapshot, TrainConfig
from cnn_core.models.specs import LayerSpec, model_title

# A learner's second job, before it joins the line (JobQueue.submit's `after`).
FOLLOWING_MESSAGE = ("Joins the queue as soon as your first job starts: each learner waits "
                     "in line with one job at a time.")
# How often the worker sends a progress snapshot; the page polls about once a second.
SEND_EVERY_S = 0.4
# Until the first batch has trained the worker looks more often, so that the page shows
# training under way as soon as it is (the learner's wait after pressing Train).
FIRST_BATCH_POLL_S = 0.05


@dataclass(frozen=True)
class BinaryTask:
    """Turn a data set into "positive_class vs the rest" with a chosen share of positives."""

    positive_class: int
    positive_fraction: float
    rebalance: str = "none"  # "none", "class_weight" or "oversample"


@dataclass(frozen=True)
class TrainRequest:
    """One training job, as plain data that pickles across to a worker process.

    preset: a name of cnn_core.models.specs.MODEL_PRESETS, whose settings are in hparams; or
    the whole network as LayerSpecs, output layer included (kept as a tuple; hparams may then
    hold only optimizer, learning_rate and momentum). The saved .keras file holds the
    architecture. Compare requests with ==; they are not hashable (dicts inside).
    """

    dataset: str
    preset: str | tuple[LayerSpec, ...]
    hparams: dict[str, Any] = field(default_factory=dict)
    config: TrainConfig = field(default_factory=TrainConfig)
    n_train: int | None = None  # a stratified subset of the training images; None = all
    binary: BinaryTask | None = None
    # Share of the (subset of) training images held out, stratified, to validate on after
    # every epoch. 0: no validation pass; the test split is only ever used once, at the end.
    validation_fraction: float = 0.0

    def __post_init__(self):
        if not isinstance(self.preset, str):
            # A list would let the request change after it was queued.
            object.__setattr__(self, "preset", tuple(self.preset))

    @property
    def custom(self) -> bool:
        """True for a network given as layers, False for a preset."""
        return not isinstance(self.preset, str)

    @property
    def model_title(self) -> str:
        """The preset's title, or "Your network"."""
        return model_title(self.preset)

    @property
    def model_slug(self) -> str:
        """A short name for file names and logs: the preset's, or "custom"."""
        return "custom" if self.custom else self.preset


@dataclass(frozen=True)
class TrainResult:
    """Everything the results section shows, computed in the worker from the test split."""

    model_path: str
    history: dict[str, list[float]]
    test_loss: float
    test_accuracy: float
    y_test: np.ndarray = field(repr=False)          # (N,) labels of the evaluated test images
    probabilities: np.ndarray = field(repr=False)   # (N, classes) float32
    test_indices: np.ndarray = field(repr=False)    # (N,) positions in the data set's x_test
    n_train: int
    stopped: bool
    device: str
    images_per_second: float
    train_seconds: float
    n_validation: int = 0   # images held out of the training set (history's val_* metrics)
    epochs_run: float = 0.0  # passes over the training images, a stopped one's part included
    epochs: int = 0          # passes that were asked for
    # The history (per epoch, and the per-batch curve) as zipped TensorBoard event files,
    # built in the worker so that the server needs no TensorFlow, and carried as bytes so that
    # a run on a Ray node brings them back too. None when they could not be written.
    tensorboard_zip: bytes | None = field(default=None, repr=False)


def configure_tensorflow(mixed_precision: bool) -> str:
    """Grow GPU memory as needed (never grab the whole card); say which device trains.

    Called once per job in a reused worker, so it also resets the precision policy that an
    earlier job may have changed.
    """
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        with contextlib.suppress(RuntimeError):  # already initialised in this process
            tf.config.experimental.set_memory_growth(gpu, True)
    use_mixed = bool(gpus) and mixed_precision
    keras.mixed_precision.set_global_policy("mixed_float16" if use_mixed else "float32")
    if not gpus:
        return "CPU"
    names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
    return "GPU: " + ", ".join(names) + (" (mixed precision)" if use_mixed else "")


@functools.lru_cache(maxsize=2)
def _dataset_once(name: str):
    """Each warm worker loads a data set once and reuses it for every later job."""
    from cnn_core.data.datasets import load_dataset

    data = load_dataset(name)
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        array.setflags(write=False)
    return data


@dataclass(frozen=True)
class PreparedData:
    """The arrays one job trains, validates and tests on; x as uint8 images, y as labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray      # held out of the training images; empty without validation
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_indices: np.ndarray  # positions of x_test in the data set's test split
    num_classes: int
    class_weight: dict[int, float] | None


def prepare_data(request: TrainRequest) -> PreparedData:
    """Subset, validation split, binary task and rebalancing of a request's data set.

    The validation images are held out before the rare class is oversampled, so that no
    copy of a training image is ever validated on.
    """
    from cnn_core.data.datasets import make_imbalanced, subsample
    from cnn_core.data.splits import validation_split

    data = _dataset_once(request.dataset)
    x_train, y_train = data.x_train, data.y_train
    x_test, y_test = data.x_test, data.y_test
    test_indices = np.arange(len(y_test))
    num_classes = len(data.class_names)
    class_weight = request.config.class_weight
    task = request.binary
    if task is not None:
        x_train, y_train = make_imbalanced(x_train, y_train, task.positive_class,
                                           task.positive_fraction, seed=request.config.seed)
        # Imbalance the test split the same way, keeping each image's original position.
        test_indices, y_test = make_imbalanced(test_indices, y_test, task.positive_class,
                                               task.positive_fraction, seed=request.config.seed)
        x_test = x_test[test_indices]
        num_classes = 2
    if request.n_train is not None and request.n_train < len(y_train):
        x_train, y_train = subsample(x_train, y_train, request.n_train, seed=request.config.seed)
    x_train, y_train, x_val, y_val = validation_split(
        x_train, y_train, request.validation_fraction, seed=request.config.seed)
    if task is not None and task.rebalance == "class_weight":
        share = float(np.mean(y_train))
        class_weight = {0: 0.5 / (1 - share), 1: 0.5 / share}
    elif task is not None and task.rebalance == "oversample":
        x_train, y_train = _oversample(x_train, y_train, request.config.seed)
    return PreparedData(x_train, y_train, x_val, y_val, x_test, y_test, test_indices,
                        num_classes, class_weight)


def _oversample(x, y, seed: int):
    """Repeat the rare class (with replacement) until both classes are equally common."""
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    rare, common = (positives, negatives) if len(positives) < len(negatives) else (negatives,
                                                                                   positives)
    extra = rng.choice(rare, size=len(common) - len(rare), replace=True)
    order = rng.permutation(np.concatenate([positives, negatives, extra]))
    return x[order], y[order]


def evaluate_probabilities(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy) from one prediction pass, as Keras' sparse categorical cross-entropy
    and accuracy compute them, so the test set is not run through the model twice."""
    labels = np.asarray(labels).astype(np.int64).ravel()
    if len(labels) == 0:
        return float("nan"), float("nan")
    chosen = probabilities[np.arange(len(labels)), labels].astype(np.float64)
    # Keras clips probabilities to [epsilon, 1 - epsilon] before the logarithm.
    loss = float(np.mean(-np.log(np.clip(chosen, 1e-7, 1 - 1e-7))))
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == labels))
    return loss, accuracy


def run_job(request: TrainRequest, model_path: str, send, stop_event) -> str | None:
    """Runs in a worker process: load data, build, train, evaluate, save, report.

    `send(kind, payload)` carries ("progress", ProgressSnapshot) and ("result", TrainResult)
    back; the return value is None on success or the one-sentence failure. An IrisRequest
    (the neurons page's dense network) trains its own way and sends an IrisResult; an
    OwnImagesRequest (a learner's own classes) sends an OwnImagesResult.
    """
    try:
        if isinstance(request, IrisRequest):
            run_iris_job(request, send, stop_event)
            return None
        if isinstance(request, OwnImagesRequest):
            run_own_images_job(request, model_path, send, stop_event)
            return None
        send("progress", ProgressSnapshot(status="loading", message="Preparing TensorFlow..."))
        device = configure_tensorflow(request.config.mixed_precision)
        send("progress", ProgressSnapshot(status="loading", device=device,
                                          message="Loading the data..."))
        data = prepare_data(request)
        config = replace(request.config, class_weight=data.class_weight)

        import keras

        from cnn_core.data.pixels import channels_last
        from cnn_core.jobs.builder import build_model
        from cnn_core.jobs.training import TrainingJob

        # A warm worker collects garbage after every job, so a second collection here would
        # only delay the first batch (0.15 s).
        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(config.seed)
        input_shape = channels_last(data.x_train).shape[1:]
        model = build_model(request.preset, input_shape, data.num_classes, **request.hparams)
        validation = (data.x_val, data.y_val) if len(data.y_val) else None
        job = TrainingJob(model, (data.x_train, data.y_train), validation, config).start()
        job.recorder.update(device=device)
        first_batch_sent = False
        while not job.join(SEND_EVERY_S if first_batch_sent else FIRST_BATCH_POLL_S):
            if stop_event.is_set():
                job.stop()
            snapshot = job.snapshot()
            send("progress", snapshot)
            first_batch_sent = snapshot.images_seen > 0
        if job.error is not None:  # before TRAINING_DONE, which tells the queue it trained
            raise job.error
        snapshot = job.snapshot()
        send("progress", snapshot)  # its last batch and training time, for the queue's pace
        send(TRAINING_DONE, None)  # the next job may start while this one is tested and saved
        probabilities = _predict_with_progress(model, data.x_test, snapshot, send)
        test_loss, test_accuracy = evaluate_probabilities(probabilities, data.y_test)
        model.save(model_path)
        n_images = len(data.y_train) * (2 if config.invert_copies else 1)
        events = _history_events(model_path, job.history, snapshot, n_images, config.batch_size)
        send("result", TrainResult(
            model_path=model_path, history=job.history, test_loss=test_loss,
            test_accuracy=test_accuracy, y_test=np.asarray(data.y_test),
            probabilities=probabilities, test_indices=data.test_indices,
            n_train=len(data.y_train), stopped=job.stopped, device=device,
            images_per_second=snapshot.images_per_second,
            train_seconds=snapshot.train_seconds, n_validation=len(data.y_val),
            epochs_run=snapshot.epochs_done, epochs=config.epochs, tensorboard_zip=events))
        send("progress", replace(snapshot, status="stopped" if job.stopped else "done"))
        return None
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a message for the page
        traceback.print_exc()
        message = _plain_error(exc)
        send("error", message)
        return message


def _history_events(model_path: str, history: dict[str, list[float]],
                    snapshot: ProgressSnapshot, n_images: int, batch_size: int) -> bytes | None:
    """The run's history as zipped TensorBoard event files, written beside the model (so they
    leave with the session's folder). A failure here costs the download, never the model."""
    from cnn_core.jobs.tensorboard_events import tensorboard_zip

    try:
        return tensorboard_zip(model_path, history, snapshot.curve, n_images, batch_size)
    except Exception:  # noqa: BLE001 - the results stand without the TensorBoard download
        traceback.print_exc()
        return None


def _predict_with_progress(model, x: np.ndarray, snapshot: ProgressSnapshot, send,
                           batch_size: int = 512) -> np.ndarray:
    """Class probabilities (N, classes) float32 of the test images, sending "evaluating"
    snapshots as batches finish, so the page shows progress instead of a frozen bar.

    x: the test pictures as stored, uint8 or floats in [0, 1] (see `training.float_batches`).
    """
    import keras

    from cnn_core.jobs.training import float_batches

    batches = float_batches(x, batch_size)

    total = len(x)
    evaluating = replace(snapshot, status="evaluating", checked=0, check_total=total)
    send("progress", evaluating)

    class Progress(keras.callbacks.Callback):
        last_sent = time.monotonic()

        def on_predict_batch_end(self, batch, logs=None):
            if time.monotonic() - self.last_sent >= SEND_EVERY_S:
                self.last_sent = time.monotonic()
                done = min((batch + 1) * batch_size, total)
                send("progress", replace(evaluating, checked=done))

    probabilities = model.predict(batches, verbose=0, callbacks=[Progress()])
    return np.asarray(probabilities, dtype=np.float32)


def _plain_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, MemoryError) or "OOM" in text or "out of memory" in text.lower():
        return "Training ran out of memory; use a smaller subset, batch size or model."
    if isinstance(exc, ValueError):
        return text
    return f"Training failed ({type(exc).__name__}: {text[:200]})."


_default_pool = None
_default_pool_lock = threading.Lock()


def default_pool():
    """The server's one training executor, started on first use (its workers warm up then):
    a Ray cluster when `CNN_CLASSROOM_RAY_ADDRESS` is set, else the local pool."""
    global _default_pool
    with _default_pool_lock:
        if _default_pool is None:
            from cnn_core.jobs.ray_executor import configured_address

            address = configured_address()
            if address is not None:
                from cnn_core.jobs.ray_executor import RayExecutor

                _default_pool = RayExecutor(address)
            else:
                from cnn_core.jobs.pool import WorkerPool

                _default_pool = WorkerPool()
        return _default_pool


def _kind_of_job(request) -> str:
    """Which jobs train at a like pace per image: the same kind of request, data set, network
    and batch size, and the same way of turning the data set into training images."""
    parts = [type(request).__name__, request.dataset, request.model_slug,
             f"batch {request.config.batch_size}"]
    if getattr(request, "n_train", 0) is None:
        # All of the data set: its size depends on what this server has (the full set or the
        # bundled subset), so it is not compared with jobs that name their subset.
        parts.append("all images")
    if getattr(request, "binary", None) is not None:  # keeps a share of one class's images
        parts.append(repr(request.binary))
    if getattr(request.config, "invert_copies", False):  # trains twice the images
        parts.append("inverted copies")
    return ":".join(parts)


def _training_images(request) -> int:
    """The images a request trains on per epoch, as far as it says before loading them:
    its subset, its own pictures, or the data set's training split (1 for the iris network,
    whose every job trains on the same flowers)."""
    from cnn_core.data.datasets import DATASETS

    subset = getattr(request, "n_train", None)
    if subset:
        return int(subset)
    pictures = getattr(request, "x", None)
    if pictures is not None:
        return len(pictures)
    info = DATASETS.get(request.dataset)
    return info.n_train if info is not None else 1


class TrainingProcess:
    """A training job for the pool's workers; safe to keep in st.session_state.

    The handle never blocks the page: `snapshot()` returns the latest progress (or the
    place in the queue). Finished results stay here until the handle is replaced. The pool
    holds the handle weakly, so a learner's job leaves the queue when their session ends.
    """

    def __init__(self, request: TrainRequest, output_dir: str | os.PathLike | None = None,
                 owner: str | None = None, pool=None):
        self.request = request
        self.owner = owner
        out = Path(output_dir or tempfile.mkdtemp(prefix="cnn-classroom-"))
        out.mkdir(parents=True, exist_ok=True)
        self.model_path = str(out / f"{request.dataset}-{request.model_slug}-"
                                    f"{time.time_ns()}.keras")
        self._lock = threading.Lock()
        self._snapshot = ProgressSnapshot(status="queued", epochs=request.config.epochs,
                                          message="Waiting for a free training worker...")
        self.result: TrainResult | None = None
        self.error: str | None = None
        self.started_at: float | None = None
        self.worker_pid: int | None = None
        self._pool = pool
        self._submitted = False
        self._ended = threading.Event()

    def __repr__(self) -> str:
        return (f"TrainingProcess({self.request.dataset}/{self.request.model_slug}, "
                f"{self.snapshot()!r})")

    def start(self, after: TrainingProcess | None = None) -> TrainingProcess:
        """Join the queue; training starts by itself when a worker is free. With `after` (the
        same learner's job, perhaps still waiting), join it once that job has left the line,
        even if no page of the learner's is open then.

        Raises cnn_core.jobs.pool.QueueError (a ValueError) when this owner already waits.
        """
        self._pool = self._pool or default_pool()
        self._pool.submit(self, after=after)
        self._submitted = True
        return self

    # -- called by the pool -------------------------------------------------------------------
    def task(self) -> tuple[TrainRequest, str]:
        return self.request, self.model_path

    def on_started(self, worker_pid: int) -> None:
        with self._lock:
            self.started_at = time.monotonic()
            self.worker_pid = worker_pid
            self._snapshot = replace(self._snapshot, status="starting",
                                     message="Starting the job on a training worker...")

    def on_message(self, kind: str, payload: Any) -> None:
        with self._lock:
            if kind == "progress":
                device = payload.device or self._snapshot.device
                self._snapshot = replace(payload, device=device)
            elif kind == "result":
                self.result = payload
            elif kind == "error":
                self.error = payload
                self._snapshot = replace(self._snapshot, status="failed", message=payload)

    def on_ended(self, error: str | None) -> None:
        with self._lock:
            if error is not None and self.error is None:
                self.error = error
            if self.error is not None and self.result is None:
                self._snapshot = replace(self._snapshot, status="failed", message=self.error)
            elif self.result is not None and not self._snapshot.finished:
                status = "stopped" if self.result.stopped else "done"
                self._snapshot = replace(self._snapshot, status=status)
            elif self.result is None and self.error is None:
                self.error = "The job ended without a result."
                self._snapshot = replace(self._snapshot, status="failed", message=self.error)
        self._ended.set()

    # -- called by the page -------------------------------------------------------------------
    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            snapshot = self._snapshot
        if snapshot.status == "queued" and self._pool is not None:
            position = self._pool.position(self)
            if position is not None:
                from cnn_core.jobs.job_queue import waiting_message

                eta = self._pool.wait_estimate(position)
                return replace(snapshot, message=waiting_message(position, eta))
            if self.following():
                return replace(snapshot, message=FOLLOWING_MESSAGE)
        return snapshot

    def workload(self) -> Workload:
        """How much this job trains (epochs times training images), and which jobs train at
        its pace: the same kind of request on the same data set and network."""
        request = self.request
        return Workload(_kind_of_job(request), request.config.epochs * _training_images(request))

    def training_seconds(self) -> float | None:
        """Seconds it has trained so far (from its first batch, validation included); None
        before its first batch."""
        with self._lock:
            seconds = self._snapshot.train_seconds
        return seconds if seconds > 0 else None

    def seconds_left(self) -> float | None:
        """Seconds of training left at the job's own pace; None before its first batch (or
        once training is over)."""
        with self._lock:
            snapshot = self._snapshot
        return snapshot.eta_seconds if snapshot.status in ("training", "validating") else None

    def queue_position(self) -> int | None:
        """1 when this job starts next; None once it runs (or before it was submitted, or
        while it follows another job of its learner's)."""
        return self._pool.position(self) if self._pool is not None else None

    def following(self) -> bool:
        """True while this job waits for the learner's other job to leave the line."""
        return self._pool is not None and self._pool.following(self)

    def _leave_queue(self) -> bool:
        """True when the job was still waiting and has now left the queue (and ended)."""
        if self._pool is None or not self._pool.cancel(self):
            return False
        self.on_ended("Training was stopped while it waited in the queue.")
        return True

    def stop(self) -> None:
        """Leave the queue, or stop after the batches in progress (the partial model is kept)."""
        if self._pool is not None and not self._leave_queue():
            self._pool.stop_job(self)

    def kill(self) -> None:
        """Hard stop: leave the queue, or end the worker now (nothing is saved)."""
        if self._pool is not None and not self._leave_queue():
            self._pool.stop_job(self)
            self._pool.kill_job(self)

    def join(self, timeout: float | None = None) -> bool:
        return self._ended.wait(timeout)

    @property
    def done(self) -> bool:
        return self._ended.is_set()

    @property
    def running(self) -> bool:
        return self._submitted and not self.done
