"""Training in a separate process, so the Streamlit server never imports Keras.

Why a process and not a thread: once `keras` is in `sys.modules`, Streamlit 1.67 calls
`keras.backend.clear_session()` plus full garbage collections after every script and
fragment run of every session (measured: a training thread ran 16x slower under 0.5 s
polling). A spawned worker also isolates crashes and out-of-memory, allows a hard stop,
and gives GPU memory back when the job ends.

`TrainingProcess` is the handle a page keeps in `st.session_state`: it starts the worker,
drains its progress messages on a small reader thread, and exposes the latest snapshot,
`stop()`, `done`, `error` and `result`. The worker side is `_worker_main`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from cnn_core.jobs.spawning import plain_main
from cnn_core.jobs.training import ProgressSnapshot, TrainConfig

# How often the worker sends a progress snapshot; the page polls about once a second.
SEND_EVERY_S = 0.4
# After stop(), how long the worker may take to finish its batch and save before it is killed.
STOP_GRACE_S = 30.0


@dataclass(frozen=True)
class BinaryTask:
    """Turn a data set into "positive_class vs the rest" with a chosen share of positives."""

    positive_class: int
    positive_fraction: float
    rebalance: str = "none"  # "none", "class_weight" or "oversample"


@dataclass(frozen=True)
class TrainRequest:
    dataset: str
    preset: str
    hparams: dict[str, Any] = field(default_factory=dict)
    config: TrainConfig = field(default_factory=TrainConfig)
    n_train: int | None = None  # a stratified subset of the training images; None = all
    binary: BinaryTask | None = None


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


def _configure_tensorflow(mixed_precision: bool) -> str:
    """Grow GPU memory as needed (never grab the whole card); say which device trains."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        with contextlib.suppress(RuntimeError):  # already initialised in this process
            tf.config.experimental.set_memory_growth(gpu, True)
    if not gpus:
        return "CPU"
    if mixed_precision:
        import keras

        keras.mixed_precision.set_global_policy("mixed_float16")
    names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
    return "GPU: " + ", ".join(names) + (" (mixed precision)" if mixed_precision else "")


def prepare_data(request: TrainRequest):
    """(x_train, y_train, x_test, y_test, test_indices, num_classes, class_weight) for a request."""
    from cnn_core.data.datasets import load_dataset, make_imbalanced, subsample

    data = load_dataset(request.dataset)
    x_train, y_train = data.x_train, data.y_train
    x_test, y_test = data.x_test, data.y_test
    test_indices = np.arange(len(y_test))
    num_classes = len(data.class_names)
    class_weight = request.config.class_weight
    if request.binary is not None:
        task = request.binary
        x_train, y_train = make_imbalanced(x_train, y_train, task.positive_class,
                                           task.positive_fraction, seed=request.config.seed)
        # Imbalance the test split the same way, keeping each image's original position.
        test_indices, y_test = make_imbalanced(test_indices, y_test, task.positive_class,
                                               task.positive_fraction, seed=request.config.seed)
        x_test = x_test[test_indices]
        num_classes = 2
        if task.rebalance == "class_weight":
            share = float(np.mean(y_train))
            class_weight = {0: 0.5 / (1 - share), 1: 0.5 / share}
        elif task.rebalance == "oversample":
            x_train, y_train = _oversample(x_train, y_train, request.config.seed)
    if request.n_train is not None and request.n_train < len(y_train):
        x_train, y_train = subsample(x_train, y_train, request.n_train, seed=request.config.seed)
    return x_train, y_train, x_test, y_test, test_indices, num_classes, class_weight


def _oversample(x, y, seed: int):
    """Repeat the rare class (with replacement) until both classes are equally common."""
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    rare, common = (positives, negatives) if len(positives) < len(negatives) else (negatives,
                                                                                   positives)
    extra = rng.choice(rare, size=len(common) - len(rare), replace=True)
    order = rng.permutation(np.concatenate([positives, negatives, extra]))
    return x[order], y[order]


def _worker_main(request: TrainRequest, model_path: str, messages, stop_event) -> None:
    """Runs in the spawned process: load data, build, train, evaluate, save, report."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        messages.put(("progress", ProgressSnapshot(status="loading",
                                                   message="Starting TensorFlow...")))
        device = _configure_tensorflow(request.config.mixed_precision)
        messages.put(("progress", ProgressSnapshot(status="loading", device=device,
                                                   message="Loading the data...")))
        x_train, y_train, x_test, y_test, test_indices, num_classes, class_weight = (
            prepare_data(request))
        config = replace(request.config, class_weight=class_weight)

        import keras

        from cnn_core.jobs.builder import build_model
        from cnn_core.jobs.training import TrainingJob, as_float_images

        keras.utils.set_random_seed(config.seed)
        input_shape = x_train.shape[1:] if x_train.ndim == 4 else (*x_train.shape[1:], 1)
        model = build_model(request.preset, input_shape, num_classes, **request.hparams)
        job = TrainingJob(model, (x_train, y_train), (x_test, y_test), config).start()
        job.recorder.update(device=device)
        while not job.join(SEND_EVERY_S):
            if stop_event.is_set():
                job.stop()
            messages.put(("progress", job.snapshot()))
        if job.error is not None:
            raise job.error
        snapshot = job.snapshot()
        messages.put(("progress", replace(snapshot, status="evaluating")))
        probabilities = model.predict(as_float_images(x_test), batch_size=512, verbose=0)
        probabilities = np.asarray(probabilities, dtype=np.float32)
        test_loss, test_accuracy = model.evaluate(as_float_images(x_test), y_test,
                                                  batch_size=512, verbose=0)
        model.save(model_path)
        messages.put(("result", TrainResult(
            model_path=model_path, history=job.history, test_loss=float(test_loss),
            test_accuracy=float(test_accuracy), y_test=np.asarray(y_test),
            probabilities=probabilities, test_indices=test_indices, n_train=len(y_train),
            stopped=job.stopped, device=device,
            images_per_second=snapshot.images_per_second,
            train_seconds=snapshot.train_seconds)))
        messages.put(("progress", replace(snapshot, status="stopped" if job.stopped else "done")))
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a message for the page
        messages.put(("error", _plain_error(exc)))
        traceback.print_exc()


def _plain_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, MemoryError) or "OOM" in text or "out of memory" in text.lower():
        return "Training ran out of memory; use a smaller subset, batch size or model."
    if isinstance(exc, ValueError):
        return text
    return f"Training failed ({type(exc).__name__}: {text[:200]})."


class TrainingProcess:
    """A training job running in its own process; safe to keep in st.session_state.

    The handle never blocks the page: `snapshot()` returns the latest progress that the
    reader thread received. Finished results stay here until the handle is replaced.
    """

    def __init__(self, request: TrainRequest, output_dir: str | os.PathLike | None = None):
        self.request = request
        out = Path(output_dir or tempfile.mkdtemp(prefix="cnn-classroom-"))
        out.mkdir(parents=True, exist_ok=True)
        self.model_path = str(out / f"{request.dataset}-{request.preset}-{time.time_ns()}.keras")
        self._lock = threading.Lock()
        self._snapshot = ProgressSnapshot(status="starting", epochs=request.config.epochs,
                                          message="Starting a training process...")
        self.result: TrainResult | None = None
        self.error: str | None = None
        self.started_at: float | None = None
        self._stop_requested_at: float | None = None
        self._process = None
        self._messages = None
        self._stop_event = None

    def __repr__(self) -> str:
        return (f"TrainingProcess({self.request.dataset}/{self.request.preset}, "
                f"{self.snapshot()!r})")

    def start(self) -> TrainingProcess:
        context = multiprocessing.get_context("spawn")
        self._messages = context.Queue()
        self._stop_event = context.Event()
        self._process = context.Process(
            target=_worker_main, name="cnn-classroom-training", daemon=True,
            args=(self.request, self.model_path, self._messages, self._stop_event))
        with plain_main():
            self._process.start()
        self.started_at = time.monotonic()
        threading.Thread(target=self._read_messages, name="training-reader", daemon=True).start()
        return self

    def _read_messages(self) -> None:
        while True:
            try:
                kind, payload = self._messages.get(timeout=0.5)
            except queue.Empty:
                if self._check_process():
                    return
                continue
            except (EOFError, OSError):
                self._fail("The training process ended unexpectedly.")
                return
            with self._lock:
                if kind == "progress":
                    device = payload.device or self._snapshot.device
                    self._snapshot = replace(payload, device=device)
                elif kind == "result":
                    self.result = payload
                elif kind == "error":
                    self.error = payload
                    self._snapshot = replace(self._snapshot, status="failed", message=payload)

    def _check_process(self) -> bool:
        """True once the worker has exited; kill it if a stop request went unanswered."""
        process = self._process
        if (self._stop_requested_at is not None and process.is_alive()
                and time.monotonic() - self._stop_requested_at > STOP_GRACE_S):
            process.kill()
        if process.is_alive():
            return False
        process.join()
        with self._lock:
            if self.result is None and self.error is None:
                if self._stop_requested_at is not None:
                    self.error = "Training was stopped before the model could be saved."
                else:
                    self.error = ("The training process crashed (exit code "
                                  f"{process.exitcode}); it may have run out of memory.")
                self._snapshot = replace(self._snapshot, status="failed", message=self.error)
            elif self.result is not None and not self._snapshot.finished:
                status = "stopped" if self.result.stopped else "done"
                self._snapshot = replace(self._snapshot, status=status)
        return True

    def _fail(self, message: str) -> None:
        with self._lock:
            self.error = self.error or message
            self._snapshot = replace(self._snapshot, status="failed", message=self.error)

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            return self._snapshot

    def stop(self) -> None:
        """Ask the worker to stop after the current batch (it still evaluates and saves)."""
        if self._stop_event is not None and self._stop_requested_at is None:
            self._stop_requested_at = time.monotonic()
            self._stop_event.set()

    def kill(self) -> None:
        """Hard stop: end the process now (nothing is saved)."""
        if self._process is not None and self._process.is_alive():
            self._stop_requested_at = self._stop_requested_at or time.monotonic()
            self._process.kill()

    def join(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    @property
    def done(self) -> bool:
        with self._lock:
            finished = self.error is not None or (self.result is not None
                                                  and self._snapshot.finished)
        return finished and self._process is not None and not self._process.is_alive()

    @property
    def running(self) -> bool:
        return self._process is not None and not self.done
