"""A training run's history as TensorBoard event files, zipped for the learner to download.

Laid out as Keras' `TensorBoard` callback lays them out, so TensorBoard draws training and
validation on one chart: `train/` holds `epoch_loss`, `epoch_accuracy` (step: the epoch,
counted from 0 as Keras does) and the per-batch curve as `batch_loss`, `batch_accuracy` (step:
batches trained so far, the curve's smoothed values); `validation/` holds the history's
`val_loss`, `val_accuracy` as `epoch_loss`, `epoch_accuracy`. Only `write_event_files` needs
TensorFlow (it runs in a training worker); the scalars and the zip are plain Python, so the
server only ever handles the zip's bytes.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TRAIN_RUN, VALIDATION_RUN = "train", "validation"
FOLDER_SUFFIX = "-tensorboard"  # beside the model: <model file's stem>-tensorboard/


@dataclass(frozen=True)
class Scalar:
    """One point of one curve: run ("train" or "validation"), tag, integer step, value."""

    run: str
    tag: str
    step: int
    value: float


def batch_step(position: float, n_train: int, batch_size: int) -> int:
    """Batches trained so far (1-based) at a curve point recorded `position` epochs in.

    The recorder keeps the epochs done as a fraction (images seen / n_train, the last batch
    of an epoch possibly short), so the batch count is recovered from the images seen.
    """
    if n_train < 1 or batch_size < 1:
        raise ValueError("The batch curve needs the number of training images and the batch "
                         "size.")
    per_epoch = -(-n_train // batch_size)
    seen = round(position * n_train)
    epochs, rest = divmod(seen, n_train)
    return epochs * per_epoch + -(-rest // batch_size)


def history_scalars(history: Mapping[str, Sequence[float]],
                    curve: Iterable[tuple[float, float, float]] = (), n_train: int = 0,
                    batch_size: int = 0) -> list[Scalar]:
    """Every point TensorBoard should show for one run.

    history: Keras-style per-epoch metrics (`loss`, `accuracy`, `val_loss`, ..., and any other,
    such as `time_s`); `val_*` go to the validation run, the rest to the train run, each as
    `epoch_<name>` at steps 0, 1, .... curve: (epochs done as a fraction, loss, accuracy) per
    recorded batch, as `ProgressSnapshot.curve` holds it; needs n_train (images per epoch) and
    batch_size. Non-finite values (a metric Keras did not report) are left out.
    """
    scalars = []
    for name, values in history.items():
        run, metric = ((VALIDATION_RUN, name[4:]) if name.startswith("val_")
                       else (TRAIN_RUN, name))
        scalars += [Scalar(run, f"epoch_{metric}", epoch, float(value))
                    for epoch, value in enumerate(values) if math.isfinite(value)]
    for position, loss, accuracy in curve:
        step = batch_step(position, n_train, batch_size)
        scalars += [Scalar(TRAIN_RUN, tag, step, float(value))
                    for tag, value in (("batch_loss", loss), ("batch_accuracy", accuracy))
                    if math.isfinite(value)]
    return scalars


def write_event_files(folder: str | Path, scalars: Iterable[Scalar]) -> Path:
    """Write the scalars as TensorBoard event files under folder/<run>/; returns the folder.
    Needs TensorFlow: runs in a training worker, never in the server."""
    import tensorflow as tf

    folder = Path(folder)
    by_run: dict[str, list[Scalar]] = {}
    for scalar in scalars:
        by_run.setdefault(scalar.run, []).append(scalar)
    for run, points in by_run.items():
        writer = tf.summary.create_file_writer(str(folder / run))
        try:
            with writer.as_default():
                for point in points:
                    tf.summary.scalar(point.tag, point.value, step=point.step)
            writer.flush()
        finally:
            writer.close()
    return folder


def zip_folder(folder: str | Path) -> bytes:
    """The folder's files as zip bytes, inside one top folder of the same name, so that
    unzipping gives the folder `tensorboard --logdir` opens."""
    folder = Path(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, Path(folder.name) / path.relative_to(folder))
    return buffer.getvalue()


def events_folder(model_path: str | Path) -> Path:
    """Where a model's event files go: beside it, so they leave with the session's folder."""
    path = Path(model_path)
    return path.with_name(path.stem + FOLDER_SUFFIX)


def tensorboard_zip(model_path: str | Path, history: Mapping[str, Sequence[float]],
                    curve: Iterable[tuple[float, float, float]] = (), n_train: int = 0,
                    batch_size: int = 0) -> bytes | None:
    """Write a run's event files beside its model and return them zipped (in a worker);
    None when the run has nothing to show (stopped before its first batch)."""
    scalars = history_scalars(history, curve, n_train, batch_size)
    if not scalars:
        return None
    return zip_folder(write_event_files(events_folder(model_path), scalars))
