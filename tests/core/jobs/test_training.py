"""TrainingJob on a few hundred real MNIST digits: completes, records, stops, keeps the model."""

from __future__ import annotations

import time

import numpy as np
import pytest

from cnn_core.data.pixels import to_model_input
from cnn_core.jobs.builder import build_model
from cnn_core.jobs.training import (
    MAX_CURVE_POINTS,
    ProgressRecorder,
    ProgressSnapshot,
    TrainConfig,
    TrainingJob,
    batches_per_call,
    float_batches,
    make_train_dataset,
    progress_callback,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits():
    from cnn_core.data.datasets import load_dataset, subsample

    data = load_dataset("mnist", download=False)
    x, y = subsample(data.x_train, data.y_train, 600, seed=1)
    return x, y, data.x_test[:300], data.y_test[:300]


@pytest.fixture
def as_on_a_gpu(monkeypatch):
    """Train as on a GPU, several batches per call of Keras' step (on this CPU)."""
    monkeypatch.setattr("cnn_core.jobs.training.training_on_gpu", lambda: True)


def test_job_completes_and_fills_history(digits):
    x, y, xt, yt = digits
    model = build_model("dense_baseline", (28, 28, 1), 10, dense_units=32)
    job = TrainingJob(model, (x, y), (xt, yt), TrainConfig(epochs=3, batch_size=32)).start()
    assert job.join(timeout=120)
    assert job.error is None and not job.stopped
    assert set(job.history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "time_s"}
    assert job.history["time_s"] == sorted(job.history["time_s"])
    assert len(job.history["loss"]) == 3
    assert job.history["loss"][-1] < job.history["loss"][0]
    snapshot = job.snapshot()
    assert snapshot.status == "done" and snapshot.fraction == 1.0
    assert snapshot.images_seen == 3 * 600 and snapshot.images_per_second > 0
    assert len(snapshot.curve) == 3 * 19  # one point per batch
    assert snapshot.curve[-1][0] == pytest.approx(3.0)


def test_on_a_gpu_a_job_trains_several_batches_a_call(digits, as_on_a_gpu):
    x, y, xt, yt = digits
    model = build_model("dense_baseline", (28, 28, 1), 10, dense_units=32)
    job = TrainingJob(model, (x, y), (xt, yt), TrainConfig(epochs=3, batch_size=32)).start()
    assert job.join(timeout=120) and job.error is None
    snapshot = job.snapshot()
    assert snapshot.status == "done" and snapshot.images_seen == 3 * 600
    assert len(job.history["val_accuracy"]) == 3
    # One point per call of Keras' training step: 19 batches of 32 are 16 and 3 in two calls.
    assert batches_per_call(32, on_gpu=True) == 16
    assert len(snapshot.curve) == 3 * 2
    assert [snapshot.batch, snapshot.batches_per_epoch] == [19, 19]
    assert snapshot.curve[-1][0] == pytest.approx(3.0)


def test_the_validation_pass_after_each_epoch_reports_its_progress(digits):
    """Each epoch's validation pass says "validating" with the number of validation images
    and counts them all, so the bar moves instead of sitting at "time left: 0 s"."""
    x, y, xt, yt = digits
    model = build_model("dense_baseline", (28, 28, 1), 10, dense_units=16)
    job = TrainingJob(model, (x, y), (xt[:250], yt[:250]), TrainConfig(epochs=2, batch_size=64))
    seen = []
    record_batch = job.recorder.validation_batch_done

    def spy(batch):
        record_batch(batch)
        snapshot = job.recorder.snapshot()
        seen.append((snapshot.status, snapshot.checked, snapshot.check_total))

    job.recorder.validation_batch_done = spy
    assert job.start().join(timeout=120) and job.error is None
    assert seen and {status for status, _, _ in seen} == {"validating"}
    assert {total for _, _, total in seen} == {250}
    finished = [checked for _, checked, _ in seen if checked == 250]
    assert len(finished) == 2, "each of the two epochs validates all 250 images"


def test_stop_ends_a_long_job_quickly_and_keeps_a_usable_model(digits):
    x, y, xt, yt = digits
    model = build_model("mnist_cnn", (28, 28, 1), 10, filters=4)
    job = TrainingJob(model, (x, y), (xt, yt), TrainConfig(epochs=500, batch_size=16)).start()
    deadline = time.monotonic() + 60
    while job.snapshot().images_seen < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    job.stop()
    started = time.monotonic()
    assert job.join(timeout=10), "stop() did not end training within a few seconds"
    assert time.monotonic() - started < 10
    assert job.error is None and job.stopped and job.snapshot().status == "stopped"
    assert job.snapshot().epoch < 500
    probabilities = model.predict(to_model_input(xt[:5]), verbose=0)
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-4)


def test_one_callback_over_two_fits_keeps_one_clock_and_a_stop_in_the_check_ends_training():
    import threading

    model = build_model("dense_baseline", (28, 28, 1), 10, dense_units=4)
    recorder = ProgressRecorder(epochs=4, batches_per_epoch=2, batch_size=8, n_train=16)
    stop, sent = threading.Event(), []
    callback = progress_callback(recorder, stop, n_val=8, on_progress=lambda: sent.append(1),
                                 every_s=3600)
    callback.set_model(model)
    callback.on_train_begin()
    started = recorder._started
    time.sleep(0.01)
    callback.on_train_begin()  # fine-tuning's fit: the clock runs on
    assert recorder._started == started
    callback.on_epoch_begin(0)
    callback.on_train_batch_end(0, {"loss": 2.0, "accuracy": 0.1})
    callback.on_train_batch_end(1, {"loss": 1.5, "accuracy": 0.2})
    assert len(sent) == 1  # throttled: the first batch only, within every_s
    stop.set()  # asked while the epoch is being checked
    callback.on_test_begin()
    callback.on_test_batch_begin(0)
    assert model.stop_evaluating
    callback.on_epoch_end(0, {"loss": 1.5, "accuracy": 0.2, "val_loss": 1.4})
    # The epoch was whole, so it counts; training ends before the next epoch's first batch.
    assert recorder.history["loss"] == [1.5] and model.stop_training and callback.stopped
    assert len(sent) == 2  # every epoch's figures are sent at once


def test_augmentation_and_inverted_copies_run(digits):
    x, y, _, _ = digits
    model = build_model("dense_baseline", (28, 28, 1), 10)
    config = TrainConfig(epochs=1, batch_size=64, invert_copies=True, shift=0.1,
                         rotation=0.03, zoom=0.1, flip=True)
    job = TrainingJob(model, (x, y), None, config).start()
    assert job.join(timeout=120) and job.error is None
    assert job.snapshot().images_seen == 2 * 600  # the inverted copies doubled the data


def test_a_failing_fit_reports_its_error_instead_of_raising(digits):
    x, y, _, _ = digits
    model = build_model("dense_baseline", (32, 32, 3), 10)  # wrong input shape for MNIST
    job = TrainingJob(model, (x, y), None, TrainConfig(epochs=1)).start()
    assert job.join(timeout=60)
    assert job.error is not None and job.snapshot().status == "failed"


def _batches(x, y, config):
    data, count = make_train_dataset(x, y, config)
    return [(np.asarray(images), np.asarray(labels)) for images, labels in data], count


@pytest.mark.parametrize("augmented", [False, True])
def test_pipelines_run_without_the_autotuner(augmented):
    """Each new iterator's autotuning thread made deleting the last epoch's iterator wait
    about 4 s with the worker idle; training, validation and prediction pipelines go without."""
    x = np.zeros((8, 6, 6), dtype=np.uint8)
    data, _ = make_train_dataset(x, np.zeros(8, dtype=np.int64),
                                 TrainConfig(batch_size=4, shift=0.1 if augmented else 0.0))
    assert data.options().autotune.enabled is False
    assert float_batches(x, 4).options().autotune.enabled is False


def test_horizontal_flips_mirror_some_photos_left_to_right_and_keep_the_rest():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (64, 6, 8, 3), dtype=np.uint8)
    y = np.arange(64)  # each photo's label is its index, to find it after shuffling
    config = TrainConfig(batch_size=16, seed=5, flip=True)
    assert config.augments
    batches, count = _batches(x, y, config)
    kept, mirrored = [], []
    for images, labels in batches:
        for image, label in zip(images, labels, strict=True):
            original = x[label].astype(np.float32) / 255
            if np.allclose(image, original, atol=1e-6):
                kept.append(label)
            else:
                np.testing.assert_allclose(image, np.flip(original, axis=1), atol=1e-6)
                mirrored.append(label)
    assert count == 64 and sorted(kept + mirrored) == list(range(64))
    assert 10 <= len(mirrored) <= 54  # about half, never all or none


@pytest.mark.parametrize("invert", [False, True])
def test_unit_float_images_give_the_same_batches_as_uint8(digits, invert):
    """Floats already in [0, 1] are used as they are, not divided by 255 a second time."""
    x, y = digits[0][:100], digits[1][:100]
    config = TrainConfig(batch_size=32, seed=3, invert_copies=invert)
    from_uint8, count = _batches(x, y, config)
    from_float, float_count = _batches(x.astype(np.float32) / 255, y, config)
    assert count == float_count == len(x) * (2 if invert else 1)
    for (a, labels_a), (b, labels_b) in zip(from_uint8, from_float, strict=True):
        assert a.shape[1:] == (28, 28, 1) and a.dtype == np.float32
        np.testing.assert_allclose(a, b, atol=1e-6)
        np.testing.assert_array_equal(labels_a, labels_b)
    pixels = np.concatenate([a for a, _ in from_float])
    assert pixels.max() == pytest.approx(1.0) and pixels.min() == 0


def test_a_job_on_unit_float_images_learns_as_well_as_on_uint8(digits):
    import keras

    x, y, xt, yt = digits
    accuracy = {}
    for kind, scale in (("uint8", None), ("float", 255.0)):
        keras.utils.set_random_seed(0)
        model = build_model("dense_baseline", (28, 28, 1), 10, dense_units=32)
        train = (x if scale is None else x.astype(np.float32) / scale, y)
        val = (xt if scale is None else xt.astype(np.float32) / scale, yt)
        job = TrainingJob(model, train, val, TrainConfig(epochs=3, batch_size=32)).start()
        assert job.join(timeout=120) and job.error is None
        accuracy[kind] = job.history["val_accuracy"][-1]
    assert accuracy["float"] > 0.6  # dividing by 255 twice left it near 0.4 here
    assert accuracy["float"] == pytest.approx(accuracy["uint8"], abs=0.05)


@pytest.mark.parametrize("bad", ["train", "val"])
def test_a_job_refuses_0_to_255_floats_before_it_starts(digits, bad):
    x, y, xt, yt = digits
    train = (x.astype(np.float32) if bad == "train" else x, y)
    val = (xt.astype(np.float64) if bad == "val" else xt, yt)
    model = build_model("dense_baseline", (28, 28, 1), 10)
    with pytest.raises(ValueError, match=r"^Float pictures must hold values from 0 to 1.*\.$"):
        TrainingJob(model, train, val)


def test_recorder_smooths_running_means_into_a_continuous_curve():
    recorder = ProgressRecorder(epochs=2, batches_per_epoch=4, batch_size=10, n_train=40)
    recorder.training_started()
    # Constant per-batch loss of 1.0 reported as Keras running means: stays 1.0 throughout.
    for epoch in range(2):
        for batch in range(4):
            recorder.batch_done(epoch, batch, 1.0, 0.5)
    curve = recorder.snapshot().curve
    assert [round(p, 2) for p, _, _ in curve] == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    assert all(loss == pytest.approx(1.0) for _, loss, _ in curve)


def test_after_training_predict_goes_one_batch_a_call(digits, as_on_a_gpu):
    """The worker predicts the test set with the trained model: with the training's
    batches per call left set, Keras would gather 16 of its 100-image batches into one call
    (all 300 here), and its progress would not move until the end."""
    import keras

    x, y, xt, yt = digits
    model = build_model("dense_baseline", (28, 28, 1), 10, dense_units=16)
    job = TrainingJob(model, (x, y), None, TrainConfig(epochs=1, batch_size=32)).start()
    assert job.join(timeout=120) and job.error is None

    seen = []

    class Batches(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append(batch)

    model.predict(float_batches(xt, 100), verbose=0, callbacks=[Batches()])
    assert seen == [0, 1, 2]


def test_batches_per_call_keeps_about_512_images_a_call_on_a_gpu_and_one_batch_on_a_cpu():
    sizes = (16, 32, 64, 128, 256, 512, 1000)
    assert [batches_per_call(b, on_gpu=True) for b in sizes] == [32, 16, 8, 4, 2, 1, 1]
    assert [batches_per_call(b, on_gpu=False) for b in sizes] == [1] * len(sizes)


def keras_reports(losses_per_epoch: list[list[float]], every: int):
    """(epoch, batch, running mean) as Keras reports them with `every` batches per call."""
    for epoch, losses in enumerate(losses_per_epoch):
        for batch in range(len(losses)):
            if (batch + 1) % every == 0 or batch == len(losses) - 1:
                # Keras numbers a short last call's batch as if the call were full.
                reported = batch if (batch + 1) % every == 0 else batch + every - 1 - batch % every
                yield epoch, reported, float(np.mean(losses[:batch + 1]))


@pytest.mark.parametrize("every", [1, 3, 8])
def test_recorder_recovers_the_mean_of_each_call_from_kerass_running_means(monkeypatch, every):
    """With smoothing off, each point is the mean loss of the batches since the last report,
    across epoch boundaries and a short last call."""
    monkeypatch.setattr("cnn_core.jobs.training.SMOOTHING", 1.0)
    rng = np.random.default_rng(3)
    epochs = [list(rng.uniform(0, 5, 20)), list(rng.uniform(0, 5, 20))]
    recorder = ProgressRecorder(epochs=2, batches_per_epoch=20, batch_size=10, n_train=200)
    recorder.training_started()
    expected = []
    for epoch, reported, mean in keras_reports(epochs, every):
        recorder.batch_done(epoch, reported, mean, 0.5)
        last = min(reported, 19)
        expected.append(float(np.mean(epochs[epoch][last - last % every:last + 1])))
    curve = recorder.snapshot().curve
    assert [loss for _, loss, _ in curve] == pytest.approx(expected)
    assert curve[-1][0] == pytest.approx(2.0)


def test_a_long_curve_keeps_following_reports_every_few_batches():
    """Thinning the curve keeps every n-th report, whatever the batch numbers: with 8
    batches a call every reported batch number is odd, and every other batch is none."""
    batches = 8 * 5000
    recorder = ProgressRecorder(epochs=1, batches_per_epoch=batches, batch_size=1, n_train=batches)
    recorder.training_started()
    for batch in range(7, batches, 8):
        recorder.batch_done(0, batch, 1.0, 0.5)
    curve = recorder.snapshot().curve
    assert MAX_CURVE_POINTS // 2 <= len(curve) <= MAX_CURVE_POINTS
    assert curve[-1][0] > 0.99  # still drawn up to the latest report


def test_config_rejects_nonsense():
    with pytest.raises(ValueError):
        TrainConfig(epochs=0)


def test_time_left_comes_from_the_pace_after_the_first_batch():
    # The first batch (64 images) took 5 s, tracing included; the next 640 took 1 s.
    first = ProgressSnapshot(status="training", images_seen=64, images_total=64_064,
                             train_seconds=5.0, first_batch_images=64, first_batch_seconds=5.0)
    assert first.eta_seconds is None  # not "about 1 hour 23 min" from 64 images in 5 s
    later = ProgressSnapshot(status="training", images_seen=704, images_total=64_064,
                             train_seconds=6.0, first_batch_images=64, first_batch_seconds=5.0)
    assert later.eta_seconds == pytest.approx((64_064 - 704) / 640)
    assert later.pace == pytest.approx(640.0) and first.pace is None  # the panel's images/s
    # A snapshot that does not know its first batch goes by its whole pace, as before.
    whole = ProgressSnapshot(status="training", images_seen=1_000, images_total=50_000,
                             train_seconds=2.0)
    assert whole.eta_seconds == pytest.approx(98.0)


def test_the_recorder_remembers_the_first_batch_only():
    recorder = ProgressRecorder(epochs=2, batches_per_epoch=4, batch_size=10, n_train=40)
    recorder.training_started()
    recorder.batch_done(0, 0, 2.0, 0.1)
    first = recorder.snapshot()
    assert first.first_batch_images == 10 and first.eta_seconds is None
    time.sleep(0.01)
    recorder.batch_done(0, 1, 1.9, 0.2)
    second = recorder.snapshot()
    assert (second.first_batch_images, second.first_batch_seconds) == (
        10, first.first_batch_seconds)
    assert second.eta_seconds is not None and second.eta_seconds > 0


def test_the_first_batch_is_sent_on_a_machine_booted_moments_ago(monkeypatch):
    """Monotonic time counts from boot: a worker on a machine up for 5 s still sends its
    first batch at once, whatever the throttle (CI runners are often that young)."""
    import threading

    import cnn_core.jobs.training as training

    monkeypatch.setattr(training.time, "monotonic", lambda: 5.0)
    recorder = ProgressRecorder(epochs=1, batches_per_epoch=2, batch_size=8, n_train=16)
    sent = []
    callback = progress_callback(recorder, threading.Event(), on_progress=lambda: sent.append(1),
                                 every_s=60)
    callback.set_model(build_model("dense_baseline", (28, 28, 1), 10, dense_units=4))
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    callback.on_train_batch_end(0, {"loss": 2.0, "accuracy": 0.1})
    callback.on_train_batch_end(1, {"loss": 1.5, "accuracy": 0.2})
    assert len(sent) == 1
