"""A run's history as TensorBoard event files: the points, their steps, the zip, and a tiny
job's files read back by TensorBoard's own reader."""

from __future__ import annotations

import io
import math
import threading
import zipfile

import pytest

from cnn_core.jobs.tensorboard_events import (
    Scalar,
    batch_step,
    events_folder,
    history_scalars,
    tensorboard_zip,
    zip_folder,
)
from cnn_core.jobs.training import ProgressRecorder, TrainConfig


def recorded_curve(epochs: int, n_train: int, batch_size: int):
    """The curve a ProgressRecorder keeps for a run, every batch recorded."""
    batches = -(-n_train // batch_size)
    recorder = ProgressRecorder(epochs, batches, batch_size, n_train)
    recorder.training_started()
    for epoch in range(epochs):
        for batch in range(batches):
            recorder.batch_done(epoch, batch, 1.0, 0.5)
    return recorder.snapshot().curve


@pytest.mark.parametrize("n_train,batch_size", [(1_000, 128), (1_024, 128), (1_001, 1_000),
                                                (7, 1), (5, 64)])
def test_each_recorded_batch_gets_its_own_step_as_keras_counts_them(n_train, batch_size):
    curve = recorded_curve(3, n_train, batch_size)
    batches = -(-n_train // batch_size)
    assert [batch_step(p, n_train, batch_size) for p, _, _ in curve] == \
        list(range(1, 3 * batches + 1))


def test_history_goes_to_the_train_and_validation_runs_as_keras_names_them():
    history = {"loss": [0.9, 0.5], "accuracy": [0.6, 0.8], "val_loss": [0.7, 0.6],
               "val_accuracy": [0.7, float("nan")], "time_s": [3.0, 6.5]}
    scalars = set(history_scalars(history))
    assert scalars == {
        Scalar("train", "epoch_loss", 0, 0.9), Scalar("train", "epoch_loss", 1, 0.5),
        Scalar("train", "epoch_accuracy", 0, 0.6), Scalar("train", "epoch_accuracy", 1, 0.8),
        Scalar("validation", "epoch_loss", 0, 0.7), Scalar("validation", "epoch_loss", 1, 0.6),
        Scalar("validation", "epoch_accuracy", 0, 0.7),  # a missing value is left out
        Scalar("train", "epoch_time_s", 0, 3.0), Scalar("train", "epoch_time_s", 1, 6.5)}
    curve = ((0.5, 2.0, 0.25), (1.0, 1.5, 0.5))
    batches = [s for s in history_scalars({}, curve, n_train=100, batch_size=50)]
    assert batches == [Scalar("train", "batch_loss", 1, 2.0),
                       Scalar("train", "batch_accuracy", 1, 0.25),
                       Scalar("train", "batch_loss", 2, 1.5),
                       Scalar("train", "batch_accuracy", 2, 0.5)]
    with pytest.raises(ValueError, match="batch size"):
        history_scalars({}, curve)


def test_the_zip_unpacks_to_one_folder_named_after_the_model(tmp_path):
    model = tmp_path / "mnist-mnist_cnn-123.keras"
    folder = events_folder(model)
    assert folder == tmp_path / "mnist-mnist_cnn-123-tensorboard"
    (folder / "train").mkdir(parents=True)
    (folder / "train" / "events.out").write_bytes(b"train")
    (folder / "validation").mkdir()
    (folder / "validation" / "events.out").write_bytes(b"validation")
    archive = zipfile.ZipFile(io.BytesIO(zip_folder(folder)))
    assert sorted(archive.namelist()) == ["mnist-mnist_cnn-123-tensorboard/train/events.out",
                                          "mnist-mnist_cnn-123-tensorboard/validation/events.out"]
    assert archive.read("mnist-mnist_cnn-123-tensorboard/validation/events.out") == \
        b"validation"
    # A run stopped before its first batch has nothing to show: no empty download.
    assert tensorboard_zip(tmp_path / "empty.keras", {}) is None
    assert not events_folder(tmp_path / "empty.keras").exists()


def read_scalars(folder) -> dict[str, dict[int, float]]:
    """Every scalar TensorBoard reads from one run's folder: tag -> {step: value}."""
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util

    reader = event_accumulator.EventAccumulator(
        str(folder), size_guidance={event_accumulator.TENSORS: 0})  # 0: keep every point
    reader.Reload()
    return {tag: {event.step: float(tensor_util.make_ndarray(event.tensor_proto))
                  for event in reader.Tensors(tag)}
            for tag in reader.Tags()["tensors"]}


@pytest.mark.slow
# 900 training digits in batches of 64: 15 batches an epoch, every one a point on the curve;
# on a GPU trained in calls of 8 and 7 (batches_per_call), a point per call, numbered by the
# batches done.
@pytest.mark.parametrize("on_gpu, steps", [(False, list(range(1, 31))),
                                           (True, [8, 15, 23, 30])])
def test_a_tiny_jobs_history_reads_back_in_tensorboard(tmp_path, monkeypatch, on_gpu, steps):
    pytest.importorskip("tensorboard", reason="pip install -r requirements-dev.txt")
    monkeypatch.setattr("cnn_core.jobs.training.training_on_gpu", lambda: on_gpu)
    from cnn_core.jobs.worker import TrainRequest, run_job

    request = TrainRequest("mnist", "dense_baseline", {"dense_units": 16},
                           TrainConfig(epochs=2, batch_size=64), n_train=1_000,
                           validation_fraction=0.1)
    path = tmp_path / "session" / "mnist-dense_baseline-1.keras"
    path.parent.mkdir()
    messages = []
    assert run_job(request, str(path), lambda kind, payload: messages.append((kind, payload)),
                   threading.Event()) is None
    result = next(p for k, p in messages if k == "result")
    curve = [p for k, p in messages if k == "progress"][-1].curve
    # The files sit beside the model (they leave with the session's folder), and the zip
    # holds them in one folder named as the download is.
    assert events_folder(path).is_dir()
    zipfile.ZipFile(io.BytesIO(result.tensorboard_zip)).extractall(tmp_path / "unzipped")
    logdir = tmp_path / "unzipped" / events_folder(path).name
    train, validation = read_scalars(logdir / "train"), read_scalars(logdir / "validation")
    history = result.history
    for name, values in history.items():
        run, tag = (validation, "epoch_" + name[4:]) if name.startswith("val_") else \
            (train, "epoch_" + name)
        assert run[tag] == pytest.approx(dict(enumerate(values)), rel=1e-6), name
    assert set(validation) == {"epoch_loss", "epoch_accuracy"}
    assert sorted(train["batch_loss"]) == steps
    assert [train["batch_loss"][s] for s in steps] == \
        pytest.approx([loss for _, loss, _ in curve], rel=1e-6)
    assert all(math.isfinite(v) for v in train["batch_accuracy"].values())
