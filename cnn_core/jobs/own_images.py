"""A learner's own classes, trained two ways: a small CNN from scratch, or a new head on a
pretrained base (then, optionally, the top of the base fine-tuned at a low learning rate).

`OwnImagesRequest` is a job for the classroom's training queue, like `IrisRequest`: the
worker's `run_job` hands it to `run_own_images_job`, which sends the progress snapshots every
job sends, saves the model as a .keras file and sends an `OwnImagesResult` of plain arrays.
It runs `model.fit` itself rather than through `TrainingJob`, so that one progress record
runs on through fine-tuning: more epochs of the same curve, on the same clock.

`own_images_probabilities` is the page's "try it", run in the shared model process. Whether
the ImageNet base can be used, and fetching it, is `cnn_core.jobs.mobilenet_download`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from cnn_core.data.own_classes import MAX_CLASSES, MIN_CLASSES, MIN_PER_CLASS
from cnn_core.data.pixels import to_model_input
from cnn_core.jobs.job_queue import TRAINING_DONE
from cnn_core.jobs.mobilenet_download import NO_MOBILENET, fetch_mobilenet
from cnn_core.jobs.training import (
    ProgressRecorder,
    ProgressSnapshot,
    TrainConfig,
    make_train_dataset,
    progress_callback,
)
from cnn_core.jobs.transfer_models import (
    BASES,
    MOBILENET,
    base_input_size,
    mobilenet_weights_cached,
)

APPROACHES = ("scratch", "transfer")
# More than a learner's session keeps (own_classes.MAX_PICTURES): scripts and benches may
# send more; a learner's classes, their limits and names come from cnn_core.data.own_classes.
MAX_IMAGES = 2000
MAX_EPOCHS = 100
MAX_BATCH_SIZE = 256
# Pictures a scratch CNN takes; a transfer job takes exactly its base's input size.
MIN_SIDE, MAX_SIDE = 16, 224
# How often progress goes back to the page (as for every job: the page polls once a second).
SEND_EVERY_S = 0.4
VAL_BATCH_SIZE = 128


def _whole(value, what: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) \
            or not low <= value <= high:
        raise ValueError(f"The {what} must be a whole number from {low} to {high}, "
                         f"not {value!r}.")


@dataclass(frozen=True, eq=False)
class OwnImagesRequest:
    """One training job on a learner's pictures: plain data that pickles across to a worker.

    x: (N, S, S, 3) uint8 0..255, already at the base's input size for "transfer" (any side
    from 16 to 224 for "scratch"); y: (N,) labels 0..len(class_names)-1; both are copied and
    made read-only (x is shared when it is already a read-only array owning its data), so a
    queued request cannot change. It answers what the queue and the live
    panel read of any request (`dataset`, `model_slug`, `model_title`, `config`). Settings
    out of range raise ValueError with one sentence when the request is made.
    """

    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    class_names: tuple[str, ...]
    approach: str = "transfer"          # "scratch" or "transfer"
    base: str = "shipped"               # a name of transfer_models.BASES (transfer only)
    epochs: int = 10
    batch_size: int = 32
    seed: int = 0
    fine_tune: bool = False             # after `epochs`, unfreeze the top of the base
    fine_tune_epochs: int = 5
    # None: the base's own recipe (BaseInfo.fine_tune_layers, .fine_tune_learning_rate), the
    # one bench/transfer_cats_dogs.py measures for the shipped base.
    fine_tune_layers: int | None = None
    fine_tune_learning_rate: float | None = None
    validation_fraction: float = 0.2    # stratified; every class keeps one image at least
    flip: bool = True                   # mirror a random half of the training pictures
    shift: float = 0.0                  # random shift, as a fraction of the picture's side

    dataset = "own_images"
    custom = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "class_names", tuple(str(n) for n in self.class_names))
        recipe = BASES.get(self.base) if isinstance(self.base, str) else None
        if recipe is not None and self.fine_tune_layers is None:
            object.__setattr__(self, "fine_tune_layers", recipe.fine_tune_layers)
        if recipe is not None and self.fine_tune_learning_rate is None:
            object.__setattr__(self, "fine_tune_learning_rate", recipe.fine_tune_learning_rate)
        self._check_settings()
        x, y = self._checked_arrays()
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    def _check_settings(self) -> None:
        if self.approach not in APPROACHES:
            raise ValueError(f"The approach must be 'scratch' or 'transfer', not "
                             f"{self.approach!r}.")
        if self.base not in BASES:
            raise ValueError(f"The pretrained base must be one of {', '.join(BASES)}, not "
                             f"{self.base!r}.")
        if self.fine_tune and self.approach != "transfer":
            raise ValueError("Only transfer learning can fine-tune: a CNN trained from "
                             "scratch has no pretrained base.")
        _whole(self.epochs, "number of epochs", 1, MAX_EPOCHS)
        _whole(self.fine_tune_epochs, "number of fine-tuning epochs", 1, MAX_EPOCHS)
        _whole(self.fine_tune_layers, "number of layers to fine-tune", 1, 1000)
        _whole(self.batch_size, "batch size", 1, MAX_BATCH_SIZE)
        _whole(self.seed, "seed", 0, 2**32 - 1)
        if isinstance(self.fine_tune_learning_rate, bool) \
                or not isinstance(self.fine_tune_learning_rate, int | float) \
                or not 0 < self.fine_tune_learning_rate <= 0.01:
            raise ValueError("The fine-tuning learning rate must be above 0 and at most 0.01 "
                             "(it is meant to be low).")
        if not 0 < self.validation_fraction <= 0.5:
            raise ValueError("The validation share must be above 0% and at most 50% of the "
                             "images.")
        if not 0 <= self.shift <= 0.5:
            raise ValueError("The random shift must be from 0 to 0.5 of the picture's side.")
        names = self.class_names
        if not MIN_CLASSES <= len(names) <= MAX_CLASSES:
            raise ValueError(f"Give from {MIN_CLASSES} to {MAX_CLASSES} classes, not "
                             f"{len(names)}.")
        if len(set(names)) != len(names) or not all(n.strip() for n in names):
            raise ValueError("Each class needs a name of its own.")

    def _checked_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.asarray(self.x), np.asarray(self.y)
        if x.dtype != np.uint8 or x.ndim != 4 or x.shape[-1] != 3 or x.shape[1] != x.shape[2]:
            raise ValueError(f"The pictures must be square RGB uint8 pictures, (count, side, "
                             f"side, 3), not {x.dtype} of shape {x.shape}.")
        if not len(x):
            raise ValueError("There are no pictures to train on.")
        if len(x) > MAX_IMAGES:
            raise ValueError(f"Use at most {MAX_IMAGES:,} pictures, not {len(x):,}.")
        side = x.shape[1]
        if self.approach == "transfer":
            if side != base_input_size(self.base):
                raise ValueError(f"The {self.base} base takes {base_input_size(self.base)} px "
                                 f"pictures, but these are {side} px; resize them first.")
        elif not MIN_SIDE <= side <= MAX_SIDE:
            raise ValueError(f"A CNN from scratch takes pictures from {MIN_SIDE} to {MAX_SIDE} "
                             f"px wide, not {side} px.")
        if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError("There must be one whole-number label for each picture.")
        if y.min() < 0 or y.max() >= len(self.class_names):
            raise ValueError(f"Labels must be from 0 to {len(self.class_names) - 1}, one for "
                             f"each class name.")
        counts = np.bincount(y, minlength=len(self.class_names))
        for name, count in zip(self.class_names, counts, strict=True):
            if count < MIN_PER_CLASS:
                raise ValueError(f"The class {name!r} has {count} picture"
                                 f"{'' if count == 1 else 's'}; give every class at least "
                                 f"{MIN_PER_CLASS}, since one is held out to check the model.")
        # A read-only array that owns its pictures is shared, not copied: the page's two
        # requests (scratch and transfer) then hold one copy of a learner's pictures.
        if x.flags.writeable or not x.flags.owndata:
            x = x.copy()
        y = y.astype(np.int64)
        x.setflags(write=False)
        y.setflags(write=False)
        return x, y

    def __eq__(self, other) -> bool:
        if not isinstance(other, OwnImagesRequest):
            return NotImplemented
        same = all(getattr(self, f) == getattr(other, f) for f in self.__dataclass_fields__
                   if f not in ("x", "y"))
        return same and np.array_equal(self.x, other.x) and np.array_equal(self.y, other.y)

    __hash__ = None  # equal requests may hold different array objects

    @property
    def total_epochs(self) -> int:
        """Epochs of the whole run: fine-tuning's are more epochs of the same curve."""
        return self.epochs + (self.fine_tune_epochs if self.fine_tune else 0)

    @property
    def model_slug(self) -> str:
        """A short name for file names and logs: "scratch" or "transfer_<base>"."""
        return "scratch" if self.approach == "scratch" else f"transfer_{self.base}"

    @property
    def model_title(self) -> str:
        if self.approach == "scratch":
            return "Small CNN from scratch"
        fine = ", fine-tuned" if self.fine_tune else ""
        return f"Transfer learning on {BASES[self.base].title}{fine}"

    @property
    def config(self) -> TrainConfig:
        """The settings every job shows: epochs (fine-tuning included), batch size, seed."""
        return TrainConfig(epochs=self.total_epochs, batch_size=self.batch_size,
                           seed=self.seed, flip=self.flip, shift=self.shift)


@dataclass(frozen=True)
class OwnImagesResult:
    """What one run produced, in plain numbers and numpy arrays (pickles; no Keras objects).

    history: per epoch "loss", "accuracy" (training pictures), "val_loss", "val_accuracy"
    and "time_s", fine-tuning epochs included: history[name][fine_tune_from:] are the
    fine-tuning ones (fine_tune_from is None when nothing was fine-tuned).
    val_accuracy and val_loss come from one pass over the validation pictures after
    training; val_probabilities: (M, classes) float32 from that pass; y_val: (M,) int64;
    val_indices: (M,) positions of those pictures in the request's x.
    """

    model_path: str
    approach: str
    base: str
    class_names: tuple[str, ...]
    history: dict[str, list[float]]
    val_accuracy: float
    val_loss: float
    y_val: np.ndarray = field(repr=False)
    val_probabilities: np.ndarray = field(repr=False)
    val_indices: np.ndarray = field(repr=False)
    n_train: int
    n_validation: int
    stopped: bool
    epochs_run: float       # passes over the training pictures, a stopped one's part included
    epochs: int             # passes that were asked for, fine-tuning included
    train_seconds: float
    device: str
    fine_tuned: bool
    fine_tune_from: int | None = None


def split_indices(y: np.ndarray, fraction: float, seed: int = 0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(train_indices, val_indices) into y, stratified, with every class on both sides.

    y: (N,) int labels, every class at least 2 pictures. `validation_split` keeps each
    class's share, but a class with few pictures may round to none held out; one of its
    training pictures is then moved across, so every class is checked.
    """
    from cnn_core.data.splits import validation_split

    y = np.asarray(y)
    # At least one picture held out, however small the share: the rest is topped up below.
    fraction = min(max(fraction, 1 / len(y)), 0.5)
    train, _, val, _ = validation_split(np.arange(len(y)), y, fraction, seed=seed)
    rng = np.random.default_rng(seed)
    moved = [rng.choice(train[y[train] == c]) for c in np.unique(y)
             if not np.any(y[val] == c) and np.sum(y[train] == c) >= 2]
    if moved:
        train = train[~np.isin(train, moved)]
        val = np.concatenate([val, np.asarray(moved, dtype=val.dtype)])
    for c in np.unique(y):
        if not np.any(y[val] == c) or not np.any(y[train] == c):
            raise ValueError("Every class needs at least 2 pictures: one to learn from and one "
                             "to check the model with.")
    return train, val


# ---- The job, in a worker process --------------------------------------------------------

def run_own_images_job(request: OwnImagesRequest, model_path: str, send, stop_event) -> None:
    """Runs in a worker process (called by `cnn_core.jobs.worker.run_job`): split, build,
    train (then fine-tune), check on the validation pictures, save, report.

    `send(kind, payload)` carries ("progress", ProgressSnapshot) about every SEND_EVERY_S and
    once per epoch, then ("result", OwnImagesResult). A stop request ends training after the
    batch in progress; the partly trained model is still checked and saved. Failures
    raise; run_job turns them into one sentence.
    """
    from cnn_core.jobs.worker import configure_tensorflow, evaluate_probabilities

    send("progress", ProgressSnapshot(status="loading", epochs=request.total_epochs,
                                      message="Preparing TensorFlow..."))
    device = configure_tensorflow(False)
    train, val = split_indices(request.y, request.validation_fraction, request.seed)
    x_train, y_train = request.x[train], request.y[train]
    x_val, y_val = to_model_input(request.x[val]), request.y[val]
    send("progress", ProgressSnapshot(status="loading", epochs=request.total_epochs,
                                      device=device, message=_building_message(request)))
    model = _build_model(request)
    batches = -(-len(y_train) // request.batch_size)
    recorder = ProgressRecorder(request.total_epochs, batches, request.batch_size, len(y_train),
                                VAL_BATCH_SIZE)
    recorder.update(device=device)
    progress = progress_callback(recorder, stop_event, len(y_val), every_s=SEND_EVERY_S,
                                 on_progress=lambda: send("progress", recorder.snapshot()))
    data, _ = make_train_dataset(x_train, y_train, request.config)
    fit = {"validation_data": (x_val, y_val), "validation_batch_size": VAL_BATCH_SIZE,
           "callbacks": [progress], "verbose": 0, "shuffle": False}  # the data set shuffles
    model.fit(data, epochs=request.epochs, **fit)
    fine_tune_from = None
    if request.fine_tune and not progress.stopped:
        from cnn_core.jobs.transfer_models import unfreeze_top

        fine_tune_from = len(recorder.history.get("loss", []))
        unfrozen = unfreeze_top(model, request.fine_tune_layers,
                                learning_rate=request.fine_tune_learning_rate)
        recorder.update(status="training", message=(
            f"Fine-tuning the top {len(unfrozen)} layers of the base at a low learning rate "
            f"({request.fine_tune_learning_rate:g})"))
        model.fit(data, initial_epoch=request.epochs, epochs=request.total_epochs, **fit)

    snapshot = recorder.snapshot()
    send("progress", snapshot)  # its last batch and training time, for the queue's pace
    send(TRAINING_DONE, None)  # the next job may start while this one is checked and saved
    # Named for the panel: a learner's pictures have no test set, only the held-out ones.
    send("progress", replace(snapshot, status="evaluating",
                             message="checking it on the held-out validation pictures",
                             checked=0, check_total=len(y_val)))
    probabilities = np.asarray(model.predict(x_val, batch_size=VAL_BATCH_SIZE, verbose=0),
                               dtype=np.float32)
    val_loss, val_accuracy = evaluate_probabilities(probabilities, y_val)
    model.save(model_path)
    send("result", OwnImagesResult(
        model_path=model_path, approach=request.approach, base=request.base,
        class_names=request.class_names, history=recorder.history,
        val_accuracy=val_accuracy, val_loss=val_loss, y_val=np.array(y_val),
        val_probabilities=probabilities, val_indices=val.astype(np.int64),
        n_train=len(y_train), n_validation=len(y_val), stopped=progress.stopped,
        epochs_run=snapshot.epochs_done, epochs=request.total_epochs,
        train_seconds=snapshot.train_seconds, device=device,
        fine_tuned=fine_tune_from is not None, fine_tune_from=fine_tune_from))
    send("progress", replace(snapshot, status="stopped" if progress.stopped else "done",
                             message=""))


def _building_message(request: OwnImagesRequest) -> str:
    if request.approach == "scratch":
        return "Building a small CNN from scratch..."
    if request.base == MOBILENET and not mobilenet_weights_cached():
        return "Fetching MobileNetV2's ImageNet weights into the Keras cache..."
    return f"Loading the pretrained base ({BASES[request.base].title}) and adding a new head..."


def _build_model(request: OwnImagesRequest):
    """A fresh Keras session, seeded, then the request's model (compiled)."""
    import keras

    from cnn_core.jobs import transfer_models

    keras.backend.clear_session()
    keras.utils.set_random_seed(request.seed)
    n_classes = len(request.class_names)
    if request.approach == "scratch":
        return transfer_models.build_scratch_model(request.x.shape[1], n_classes, request.seed)
    if request.base == MOBILENET and not fetch_mobilenet():
        raise ValueError(NO_MOBILENET)
    return transfer_models.build_transfer_model(request.base, n_classes, request.seed)


# ---- "Try it", in the shared model process ----------------------------------------------

def own_images_probabilities(model_path: str, images: np.ndarray) -> np.ndarray:
    """Class probabilities (N, classes) float32 of a model this job saved.

    images: one picture (S, S, 3) or a batch (N, S, S, 3), uint8 0..255 or float in [0, 1],
    at the model's input size (S = the base's input size; the page squares a photo as the
    training pictures were, `own_classes.to_store_size` then `resize_pictures`). Runs in the
    model process through `InferenceClient.call`; ValueError with one sentence for pictures
    of the wrong kind or size, or for a file that is not a Keras model.
    """
    from cnn_core.jobs.inference import load_model_cached

    if not str(model_path).endswith(".keras"):
        raise ValueError("Only a .keras model saved by this page can answer here.")
    model = load_model_cached(model_path)
    expected = tuple(int(d) for d in model.inputs[0].shape[1:])
    batch = np.asarray(images)
    if batch.ndim == 3:
        batch = batch[None]
    if batch.ndim != 4 or batch.shape[1:] != expected:
        raise ValueError(f"This model takes {expected[0]} x {expected[1]} colour pictures; "
                         f"resize the picture to that size first.")
    probabilities = model.predict(to_model_input(batch), batch_size=64, verbose=0)
    return np.asarray(probabilities, dtype=np.float32)
