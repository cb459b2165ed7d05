"""Predictions and model inspection in a long-lived worker process.

Pages ask `InferenceClient.call(function, ...)` with a module-level function of this file;
it runs in a spawned process that has imported Keras once and keeps recently used models
loaded (keyed by file path and modification time). The Streamlit server itself never
imports Keras (see cnn_core.jobs.worker for why). One client serves every session: it keeps
no session's data, only the line of calls waiting for their turn in the process.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict, deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnn_core.data.pixels import fits, model_input_shape, to_model_input
from cnn_core.jobs.spawning import exit_with_parent, limit_malloc_arenas, plain_main
from cnn_core.models.specs import LayerRow

_MODEL_CACHE_SIZE = 4
_models: OrderedDict[tuple[str, float], Any] = OrderedDict()


class InferenceError(RuntimeError):
    """The model process could not answer; the message says what to do in one sentence."""


class InferenceBusy(InferenceError):
    """The call was refused or gave up before the model process started on it, so the model
    itself is not to blame and the same call may well work a moment later."""


def _init_worker() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    limit_malloc_arenas()  # before any thread of ours or TensorFlow's allocates
    exit_with_parent()
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        with contextlib.suppress(RuntimeError):  # already initialised
            tf.config.experimental.set_memory_growth(gpu, True)


def load_model_cached(model_path: str):
    """Load a .keras file once per modification; keep the last few in memory."""
    import keras

    path = Path(model_path)
    if not path.is_file():
        raise ValueError(f"The model file {path.name} no longer exists; train or upload it again.")
    key = (str(path), path.stat().st_mtime)
    if key in _models:
        _models.move_to_end(key)
        return _models[key]
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same plain answer
        raise ValueError("This file is not a Keras model we can open (save it with "
                         f"model.save('name.keras')): {type(exc).__name__}.") from None
    _models[key] = model
    while len(_models) > _MODEL_CACHE_SIZE:
        _models.popitem(last=False)
    return model


def warm_up() -> str:
    import tensorflow as tf

    return tf.__version__


def predict(model_path: str, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Class probabilities (N, classes) float32 for images (N, H, W[, C]), uint8 or float in
    [0, 1]; ValueError if they are not the shape the model takes."""
    model = load_model_cached(model_path)
    shape = tuple(model.inputs[0].shape[1:])
    if None in shape:
        # to_model_input wants the exact shape; these are a batch, so a 3-D array is
        # (N, H, W) greyscale, and the flexible dimensions are checked here instead.
        batch = to_model_input(images)
        if not fits(batch.shape[1:], shape):
            raise ValueError(f"The pictures have shape {batch.shape[1:]} but the model "
                             f"expects {shape} (None: any size).")
    else:
        batch = to_model_input(images, shape)
    return np.asarray(model.predict(batch, batch_size=batch_size, verbose=0), dtype=np.float32)


_UNTRAINED_SEED = 42  # the same "untrained copy" every time, so a learner can compare runs
_untrained: OrderedDict[tuple[str, float], Any] = OrderedDict()


def untrained_copy(model_path: str):
    """The model's architecture with fresh random weights (fixed seed), kept like the model.

    The saliency sanity check (Adebayo et al., 2018) compares an explanation with the same
    explanation of an untrained network: if both look alike, the picture shows the input's
    shape, not what the network learned.
    """
    import keras

    model = load_model_cached(model_path)
    path = Path(model_path)
    key = (str(path), path.stat().st_mtime)
    if key not in _untrained:
        # This process only answers model calls, so resetting the global seeds harms nothing.
        keras.utils.set_random_seed(_UNTRAINED_SEED)
        _untrained[key] = keras.models.clone_model(model)  # clones get new initial weights
        while len(_untrained) > _MODEL_CACHE_SIZE:
            _untrained.popitem(last=False)
    return _untrained[key]


@dataclass(frozen=True)
class Evidence:
    """Grad-CAM of every class for one image, from the model and from its untrained copy.

    trained, untrained: (classes, H, W) float32 in [0, 1]; each on one scale for all classes
    (1 = that network's strongest evidence for any class in this image), see
    `cnn_core.jobs.explain.class_evidence`.
    """

    trained: np.ndarray
    untrained: np.ndarray
    method: str


def evidence_agreement(first: np.ndarray, second: np.ndarray) -> float | None:
    """How alike two heat maps look: Pearson correlation of their pixels, from -1 to 1
    (None when either map is flat, so there is no pattern to compare)."""
    first, second = (np.asarray(m, dtype=np.float64).ravel() for m in (first, second))
    if first.shape != second.shape:
        raise ValueError("Both heat maps must be the same size to compare them.")
    if np.ptp(first) == 0 or np.ptp(second) == 0:
        return None
    return float(np.corrcoef(first, second)[0, 1])


def evidence_maps(model_path: str, image: np.ndarray, method: str = "hirescam") -> Evidence:
    """Grad-CAM of every class by `method` for the model and its untrained copy."""
    from cnn_core.jobs import explain

    model = load_model_cached(model_path)
    return Evidence(explain.class_evidence(model, image, method),
                    explain.class_evidence(untrained_copy(model_path), image, method), method)


@dataclass(frozen=True)
class ImageAnalysis:
    """What the draw page shows for one input image (evidence is None without a conv layer)."""

    probabilities: np.ndarray
    feature_maps: dict[str, np.ndarray]
    evidence: Evidence | None


def analyse_image(model_path: str, image: np.ndarray, with_maps: bool = True) -> ImageAnalysis:
    """Prediction, feature maps and Grad-CAM of every class for one image, in one round trip."""
    from cnn_core.jobs import explain

    model = load_model_cached(model_path)
    batch = explain.one_image_batch(model, image)
    probabilities = np.asarray(model(batch, training=False))[0].astype(np.float32)
    maps = explain.feature_maps(model, batch) if with_maps else {}
    has_conv = any(type(layer).__name__ == "Conv2D" for layer in model.layers)
    evidence = evidence_maps(model_path, batch) if with_maps and has_conv else None
    return ImageAnalysis(probabilities, maps, evidence)


def feature_maps(model_path: str, image: np.ndarray) -> dict[str, np.ndarray]:
    from cnn_core.jobs import explain

    return explain.feature_maps(load_model_cached(model_path), image)


def first_layer_filters(model_path: str) -> np.ndarray | None:
    from cnn_core.jobs import explain

    return explain.first_layer_filters(load_model_cached(model_path))


@dataclass(frozen=True)
class ModelDescription:
    """input_shape and the layers' output shapes keep Keras' None for a flexible dimension
    (a model built on keras.Input(shape=(None, None, 1)) takes pictures of any size)."""

    name: str
    input_shape: tuple[int | None, ...]
    num_classes: int
    layers: list[LayerRow]

    @property
    def parameters(self) -> int:
        return sum(row.parameters for row in self.layers)

    def mismatch(self, image_shape: tuple[int, ...], num_classes: int, title: str) -> str | None:
        """One sentence on why this model cannot be tested on a data set, or None if it can.

        image_shape: (H, W) or (H, W, C) of the data set's images.
        """
        expected = model_input_shape(image_shape)
        if fits(expected, self.input_shape) and self.num_classes == num_classes:
            return None
        return (f"This model takes {self._takes()} and answers {self.num_classes} classes, but "
                f"{title} has {' x '.join(map(str, expected))} images in {num_classes} classes.")

    def _takes(self) -> str:
        shape = self.input_shape
        if None not in shape:
            return f"{' x '.join(map(str, shape))} images"
        if len(shape) == 3 and shape[:2] == (None, None) and shape[2] is not None:
            return f"images of any size with {shape[2]} channel{'s' if shape[2] != 1 else ''}"
        return f"{' x '.join('any' if d is None else str(d) for d in shape)} images"


def _dimensions(shape) -> tuple[int | None, ...]:
    return tuple(None if d is None else int(d) for d in shape)


def describe_model(model_path: str) -> ModelDescription:
    """Input shape, number of classes and the layer table of a saved model; ValueError if it
    does not answer one score per class."""
    model = load_model_cached(model_path)
    answer = _dimensions(model.outputs[0].shape[1:])
    if len(answer) != 1 or answer[0] is None:
        raise ValueError("This model does not answer one score per class (its output is "
                         f"{answer}), so it cannot be tested on a data set.")
    # LayerRow's annotation says int, but layer tables join shapes with str(), so None reads
    # as Keras prints it ("None x None x 16").
    rows = [LayerRow(layer.name, type(layer).__name__, _dimensions(layer.output.shape[1:]),
                     int(layer.count_params()))
            for layer in model.layers]
    return ModelDescription(model.name, _dimensions(model.inputs[0].shape[1:]), answer[0], rows)


# Calls waiting for the model process at once; beyond this a call is refused at once instead
# of making every learner's page wait behind a long line.
MAX_PENDING_CALLS = 64
# The time limit of one call, counted from when it is handed to the model process: the
# client hands over one call at a time, so neither the process's start (importing
# TensorFlow, slow on a busy machine) nor the wait behind other sessions' calls counts, and
# a loaded server does not kill healthy calls.
DEFAULT_TIMEOUT_S = 60.0
STARTUP_TIMEOUT_S = 300.0
# How long a call waits for its turn behind other sessions' calls before giving up.
QUEUE_TIMEOUT_S = 300.0


class InferenceClient:
    """Runs the functions above in one spawned worker process, restarting it if it dies.

    Calls go to the process one at a time, first come first served, from a line kept here:
    the executor's own queue would hand the process its next call while the current one
    still runs, and count that wait against the next call's time limit. Fair by
    construction: a session's page waits for its own call before making the next, so every
    session gets its turn. A call that runs past its time limit (a hostile or huge model)
    has its process killed and restarted, so it cannot wedge predictions for everyone; as it
    was the only call in the process, no other call is lost with it.
    """

    def __init__(self, max_pending: int = MAX_PENDING_CALLS) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._warm: Future | None = None
        self._pending = 0
        self._max_pending = max_pending
        self._line: deque[object] = deque()  # the call at the front is the one running
        self._turns = threading.Condition()
        self.restarts = 0

    def _ensure_pool(self) -> ProcessPoolExecutor:
        import multiprocessing

        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker)
                with plain_main():  # the pool starts its worker on the first submit
                    self._warm = self._pool.submit(warm_up)  # import TensorFlow right away
            return self._pool

    def _restart(self, pool: ProcessPoolExecutor) -> None:
        """Kill a stuck worker; the next call starts a fresh one."""
        with self._lock:
            if self._pool is not pool:
                return  # another call restarted it already
            self._pool = None
            self.restarts += 1
        # The executor keeps its processes in a private dict; there is no public kill.
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def call(self, function, *args, timeout: float = DEFAULT_TIMEOUT_S, **kwargs):
        """Run `function(*args, **kwargs)` in the worker; ValueError passes through as is.

        timeout: seconds the call may run once the process starts on it; waiting for the
        process to start or for other calls to finish does not count.
        """
        with self._lock:
            if self._pending >= self._max_pending:
                raise InferenceBusy("The model process is busy with many requests; please "
                                    "try again in a few seconds.")
            self._pending += 1
        try:
            # A cold start is everyone's wait, not the front call's: wait for it outside the
            # line, so it does not use up the time the others may wait for their turn.
            self._wait_until_started(self._ensure_pool())
            ticket = object()
            self._wait_for_its_turn(ticket)
            try:
                return self._run(function, args, kwargs, timeout)
            finally:
                with self._turns:
                    self._line.popleft()
                    self._turns.notify_all()
        finally:
            with self._lock:
                self._pending -= 1

    def _run(self, function, args, kwargs, timeout: float):
        """One call, alone in the process (it is this call's turn)."""
        pool = self._ensure_pool()  # a fresh one if the call before was stopped
        try:
            self._wait_until_started(pool)
            with plain_main():  # a pool restarts a dead worker on submit
                future = pool.submit(function, *args, **kwargs)
            return future.result(timeout=timeout)
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise InferenceError("The model process stopped unexpectedly (out of memory?); "
                                 "please try again.") from None
        except FutureTimeout:
            self._restart(pool)
            raise InferenceError("The model took too long to answer, so it was stopped; "
                                 "please try again.") from None

    def _wait_until_started(self, pool: ProcessPoolExecutor) -> None:
        warm = self._warm
        if warm is None or warm.done():
            return
        try:
            warm.result(timeout=STARTUP_TIMEOUT_S)
        except FutureTimeout:
            self._restart(pool)
            raise InferenceBusy("The model process did not start in time; please try "
                                "again.") from None
        except Exception:  # noqa: BLE001 - killed while importing TensorFlow, or restarted
            # by another call's start timeout: the next call starts a fresh process.
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise InferenceBusy("The model process could not start (out of memory?); please "
                                "try again in a moment.") from None

    def _wait_for_its_turn(self, ticket: object) -> None:
        """Join the line and wait until the calls before this one have finished."""
        with self._turns:
            self._line.append(ticket)
            if self._turns.wait_for(lambda: self._line[0] is ticket, timeout=QUEUE_TIMEOUT_S):
                return
            self._line.remove(ticket)
            self._turns.notify_all()  # it may have been at the front by then
        raise InferenceBusy("The model process is busy with other learners' requests; "
                            "please try again in a moment.")

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
