"""A learner's own classes as jobs of the training queue: the request, the split, both ways of
training (from scratch, and on the shipped base, fine-tuned), Stop, the pool, "try it", and
MobileNetV2 offline."""

from __future__ import annotations

import pickle
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from cnn_core.jobs import mobilenet_download
from cnn_core.jobs.inference import InferenceClient
from cnn_core.jobs.job_queue import TRAINING_DONE
from cnn_core.jobs.mobilenet_download import NO_MOBILENET, fetch_mobilenet, mobilenet_available
from cnn_core.jobs.own_images import (
    MAX_IMAGES,
    OwnImagesRequest,
    OwnImagesResult,
    own_images_probabilities,
    split_indices,
)
from cnn_core.jobs.ray_executor import deliverable_result
from cnn_core.jobs.training import ProgressSnapshot
from cnn_core.jobs.transfer_models import BASES, SHIPPED, base_input_size
from cnn_core.jobs.worker import TrainingProcess, run_job

NAMES = ("red squares", "green stripes", "blue dots")


def pictures(per_class: int = 12, side: int = 32, classes: int = 3, seed: int = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """Noisy pictures a tiny network tells apart in a few epochs: a red square, green
    vertical stripes or a blue dot grid on grey, each class its own colour and pattern."""
    rng = np.random.default_rng(seed)
    x = rng.integers(90, 140, size=(classes * per_class, side, side, 3)).astype(np.uint8)
    y = np.repeat(np.arange(classes), per_class).astype(np.int64)
    quarter = side // 4
    for picture, label in zip(x, y, strict=True):
        channel = label % 3
        if label % 3 == 0:
            picture[quarter:-quarter, quarter:-quarter, channel] = 250
        elif label % 3 == 1:
            picture[:, ::4, channel] = 250
        else:
            picture[::4, ::4, channel] = 250
    order = rng.permutation(len(y))
    return x[order], y[order]


def request(**settings) -> OwnImagesRequest:
    side = settings.pop("side", 32)
    x, y = pictures(side=side)
    return OwnImagesRequest(x, y, NAMES, **{"epochs": 2, "batch_size": 8, **settings})


class Recorder:
    """A `send` that keeps every message, as the worker's outbox would."""

    def __init__(self, on_progress=None):
        self.messages: list[tuple[str, object]] = []
        self.on_progress = on_progress

    def __call__(self, kind, payload):
        self.messages.append((kind, payload))
        if kind == "progress" and self.on_progress is not None:
            self.on_progress(payload)

    def of(self, kind: str) -> list:
        return [payload for k, payload in self.messages if k == kind]


def check_result(result: OwnImagesResult, job: OwnImagesRequest) -> None:
    """What every finished run must hold, whichever way it trained."""
    assert isinstance(result, OwnImagesResult)
    assert Path(result.model_path).is_file()
    assert result.class_names == NAMES and result.approach == job.approach
    probabilities = result.val_probabilities
    assert probabilities.dtype == np.float32
    assert probabilities.shape == (result.n_validation, len(NAMES))
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    # The mistakes the page shows are the request's own pictures, labels included.
    assert np.array_equal(job.y[result.val_indices], result.y_val)
    assert result.n_train + result.n_validation == len(job.y)
    recomputed = float(np.mean(probabilities.argmax(axis=1) == result.y_val))
    assert result.val_accuracy == pytest.approx(recomputed)
    # No test split: the live panel marks no test point (it looks for test_accuracy).
    assert not hasattr(result, "test_accuracy")
    assert set(result.y_val) == set(range(len(NAMES)))
    assert pickle.loads(pickle.dumps(result)).val_accuracy == result.val_accuracy


# ---- the request ------------------------------------------------------------------------------

def test_a_request_reads_like_any_job_and_pickles():
    job = request(epochs=3, fine_tune=True, fine_tune_epochs=4, seed=5)
    assert (job.dataset, job.model_slug) == ("own_images", "transfer_shipped")
    assert job.model_title.startswith("Transfer learning on ") and "fine-tuned" in job.model_title
    # Fine-tuning's epochs are more epochs of the same run.
    assert (job.total_epochs, job.config.epochs, job.config.batch_size) == (7, 7, 8)
    assert job.config.flip and job.config.seed == 5
    assert pickle.loads(pickle.dumps(job)) == job
    assert request(approach="scratch").model_slug == "scratch"
    assert request(epochs=3) != job


def test_fine_tuning_follows_the_bases_recipe_unless_told_otherwise():
    shipped = BASES[SHIPPED]
    job = request(fine_tune=True)
    # The recipe bench/transfer_cats_dogs.py measured: the whole shipped base, at 1e-4.
    assert (job.fine_tune_layers, job.fine_tune_learning_rate) == (5, 1e-4) == (
        shipped.fine_tune_layers, shipped.fine_tune_learning_rate)
    told = request(fine_tune=True, fine_tune_layers=1, fine_tune_learning_rate=3e-5)
    assert (told.fine_tune_layers, told.fine_tune_learning_rate) == (1, 3e-5)


def test_a_request_keeps_its_own_read_only_copy_of_the_pictures():
    x, y = pictures()
    job = OwnImagesRequest(x, y, NAMES)
    x[:] = 0
    assert job.x.any() and not job.x.flags.writeable and not job.y.flags.writeable
    assert job.y.dtype == np.int64


def test_a_handle_waits_with_every_epoch_it_will_run(tmp_path):
    handle = TrainingProcess(request(epochs=3, fine_tune=True, fine_tune_epochs=2), tmp_path)
    assert handle.snapshot().status == "queued" and handle.snapshot().epochs == 5
    assert Path(handle.model_path).name.startswith("own_images-transfer_shipped-")


def _bad(change):
    x, y = pictures()
    settings = {"x": x, "y": y, "class_names": NAMES}
    change(settings)
    return settings


@pytest.mark.parametrize("change, message", [
    (lambda s: s.update(approach="cnn"), "approach must be 'scratch' or 'transfer'"),
    (lambda s: s.update(base="resnet"), "base must be one of"),
    (lambda s: s.update(fine_tune=True, approach="scratch"), "Only transfer learning"),
    (lambda s: s.update(epochs=0), "epochs must be a whole number from 1 to 100"),
    (lambda s: s.update(epochs=2.0), "epochs must be a whole number"),
    (lambda s: s.update(batch_size=1000), "batch size must be a whole number from 1 to 256"),
    (lambda s: s.update(validation_fraction=0.0), "validation share must be above 0%"),
    (lambda s: s.update(validation_fraction=0.6), "at most 50%"),
    (lambda s: s.update(fine_tune_learning_rate=0.1), "meant to be low"),
    (lambda s: s.update(fine_tune_learning_rate="1e-4"), "meant to be low"),
    (lambda s: s.update(fine_tune_layers=0), "layers to fine-tune must be a whole number"),
    (lambda s: s.update(class_names=NAMES[:1], y=np.zeros(36, int)), "from 2 to 10 classes"),
    (lambda s: s.update(class_names=tuple(f"c{i}" for i in range(11))), "from 2 to 10 classes"),
    (lambda s: s.update(class_names=("a", "a", "b")), "a name of its own"),
    (lambda s: s.update(x=s["x"].astype(np.float32)), "square RGB uint8 pictures"),
    (lambda s: s.update(x=s["x"][:, :, :16]), "square RGB uint8 pictures"),
    (lambda s: s.update(x=np.zeros((36, 48, 48, 3), np.uint8)), "takes 32 px pictures"),
    (lambda s: s.update(y=s["y"][:-1]), "one whole-number label for each picture"),
    (lambda s: s.update(y=s["y"] + 1), "Labels must be from 0 to 2"),
    (lambda s: s.update(x=s["x"][:25], y=np.r_[np.zeros(12), np.ones(12), [2]].astype(int)),
     "'blue dots' has 1 picture; give every class at least 2"),
    (lambda s: s.update(x=np.zeros((MAX_IMAGES + 1, 32, 32, 3), np.uint8),
                        y=np.arange(MAX_IMAGES + 1) % 3), "at most 2,000 pictures"),
])
def test_bad_settings_get_one_sentence_when_the_request_is_made(change, message):
    with pytest.raises(ValueError, match=message) as refused:
        OwnImagesRequest(**_bad(change))
    assert str(refused.value).count(". ") == 0 and str(refused.value).endswith(".")


def test_a_scratch_cnn_takes_any_square_size_in_range():
    x, y = pictures(side=20)
    assert OwnImagesRequest(x, y, NAMES, approach="scratch").x.shape[1] == 20
    with pytest.raises(ValueError, match="from 16 to 224 px"):
        OwnImagesRequest(*pictures(side=8), NAMES, approach="scratch")


# ---- the split -------------------------------------------------------------------------------

@pytest.mark.parametrize("counts, fraction", [
    ((2, 2, 2, 2, 2), 0.2),       # 10 pictures: a 20% share holds out 2, yet 5 classes
    ((2, 40), 0.1),               # one rare class rounds to none held out without the top-up
    ((30, 12, 9), 0.2),
    ((2, 2), 0.5),
])
def test_the_split_is_stratified_and_checks_every_class(counts, fraction):
    y = np.repeat(np.arange(len(counts)), counts)
    train, val = split_indices(y, fraction, seed=3)
    assert sorted(np.r_[train, val]) == list(range(len(y)))  # disjoint, nothing lost
    for c, count in enumerate(counts):
        held = int(np.sum(y[val] == c))
        assert 1 <= held < count
        assert held <= max(1, round(count * fraction) + 1)  # still about the class's share
    again = split_indices(y, fraction, seed=3)
    assert np.array_equal(again[1], val)  # same seed, same split


# ---- training, in this process -----------------------------------------------------------------

@pytest.mark.slow
def test_a_cnn_from_scratch_trains_reports_and_answers_try_it(tmp_path):
    job = request(approach="scratch", epochs=3)
    send = Recorder()
    path = str(tmp_path / "scratch.keras")
    assert run_job(job, path, send, threading.Event()) is None
    snapshots = send.of("progress")
    assert all(isinstance(s, ProgressSnapshot) for s in snapshots)
    assert snapshots[0].status == "loading"
    statuses = [s.status for s in snapshots]
    assert "training" in statuses
    [evaluating] = [s for s in snapshots if s.status == "evaluating"]
    assert "validation pictures" in evaluating.message  # no test set here
    # The pool frees the slot once both models' training is over, before the check.
    kinds = [kind for kind, _ in send.messages]
    assert kinds.count(TRAINING_DONE) == 1
    checked_at = next(i for i, (_, payload) in enumerate(send.messages) if payload is evaluating)
    assert checked_at > kinds.index(TRAINING_DONE)
    assert evaluating.check_total == len(send.of("result")[0].y_val)
    final = snapshots[-1]
    assert (final.status, final.epochs) == ("done", 3)
    assert final.images_seen == final.images_total and final.curve
    assert final.device.startswith(("CPU", "GPU"))
    [result] = send.of("result")
    check_result(result, job)
    assert not result.stopped and not result.fine_tuned and result.fine_tune_from is None
    assert result.epochs_run == pytest.approx(3) and result.epochs == 3
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(result.history[name]) == 3
    assert final.history["loss"] == pytest.approx(result.history["loss"])

    # "Try it" runs the saved file the way the model process does.
    answer = own_images_probabilities(path, job.x[result.val_indices])
    assert np.allclose(answer, result.val_probabilities, atol=1e-5)
    assert own_images_probabilities(path, job.x[0]).shape == (1, len(NAMES))
    with pytest.raises(ValueError, match="takes 32 x 32 colour pictures"):
        own_images_probabilities(path, np.zeros((40, 40, 3), np.uint8))
    with pytest.raises(ValueError, match=r"\.keras"):
        own_images_probabilities(str(tmp_path / "model.h5"), job.x[0])


@pytest.mark.slow
def test_transfer_on_the_shipped_base_then_fine_tuning_continues_the_curve(tmp_path):
    job = request(epochs=2, fine_tune=True, fine_tune_epochs=2, fine_tune_layers=1)
    send = Recorder()
    assert run_job(job, str(tmp_path / "transfer.keras"), send, threading.Event()) is None
    [result] = send.of("result")
    check_result(result, job)
    assert result.fine_tuned and result.fine_tune_from == 2 and result.base == "shipped"
    assert len(result.history["val_accuracy"]) == 4 and result.epochs == 4
    snapshots = send.of("progress")
    fine_tuning = [s for s in snapshots if s.status == "training" and s.epoch > 2]
    assert fine_tuning and all("Fine-tuning" in s.message for s in fine_tuning)
    assert not any("Fine-tuning" in s.message for s in snapshots
                   if s.status == "training" and s.epoch <= 2)
    # One curve through both phases: positions keep rising, the clock never restarts.
    positions = [point[0] for point in snapshots[-1].curve]
    assert positions == sorted(positions) and positions[-1] == pytest.approx(4)
    times = result.history["time_s"]
    assert times == sorted(times)
    assert snapshots[-1].status == "done" and snapshots[-1].epochs == 4


@pytest.mark.slow
def test_stop_ends_training_after_a_batch_and_keeps_the_model(tmp_path):
    stop = threading.Event()

    def stop_once_training(snapshot):
        if snapshot.images_seen > 0:
            stop.set()

    job = request(approach="scratch", epochs=50)
    send = Recorder(stop_once_training)
    assert run_job(job, str(tmp_path / "stopped.keras"), send, stop) is None
    [result] = send.of("result")
    check_result(result, job)
    assert result.stopped and 0 < result.epochs_run < 1
    assert send.of("progress")[-1].status == "stopped"


@pytest.mark.slow
def test_a_stop_before_fine_tuning_skips_it(tmp_path):
    stop = threading.Event()
    job = request(epochs=20, fine_tune=True, fine_tune_epochs=5)
    send = Recorder(lambda s: stop.set() if s.images_seen else None)
    assert run_job(job, str(tmp_path / "stopped.keras"), send, stop) is None
    [result] = send.of("result")
    assert result.stopped and not result.fine_tuned and result.fine_tune_from is None
    assert Path(result.model_path).is_file()


# ---- through the queue ------------------------------------------------------------------------

@pytest.mark.slow
def test_both_ways_train_through_the_queue_and_answer_in_the_model_process(pool, tmp_path):
    jobs = [TrainingProcess(request(approach="scratch"), tmp_path, owner="a", pool=pool).start(),
            TrainingProcess(request(), tmp_path, owner="b", pool=pool).start()]
    for job in jobs:
        assert job.join(240), job.snapshot()
        assert job.error is None, job.error
        check_result(job.result, job.request)
        assert job.snapshot().status == "done" and not job.running
        assert job.result.model_path == job.model_path
    # "Try it" as the page asks it: in the shared model process, which loads the saved files.
    client = InferenceClient()
    try:
        for job in jobs:
            seen = job.request.x[job.result.val_indices]
            answer = client.call(own_images_probabilities, job.model_path, seen, timeout=120)
            assert np.allclose(answer, job.result.val_probabilities, atol=1e-5)
    finally:
        client.shutdown()


# ---- MobileNetV2 offline, and Ray --------------------------------------------------------------

def test_mobilenet_offline_and_not_cached_is_refused_at_once(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty Keras cache
    monkeypatch.setenv("CNN_CLASSROOM_OFFLINE", "1")
    monkeypatch.setattr(mobilenet_download, "_reachable", None)
    started = time.monotonic()
    assert not mobilenet_available() and not fetch_mobilenet()
    assert time.monotonic() - started < 1

    x, y = pictures(per_class=3, side=base_input_size("mobilenet_v2"))
    job = OwnImagesRequest(x, y, NAMES, base="mobilenet_v2", epochs=1)
    send = Recorder()
    assert run_job(job, str(tmp_path / "m.keras"), send, threading.Event()) == NO_MOBILENET
    assert send.of("error") == [NO_MOBILENET] and not send.of("result")
    assert "shipped base" in NO_MOBILENET and NO_MOBILENET.count(". ") == 0


def test_mobilenet_in_the_cache_needs_no_download(monkeypatch, tmp_path):
    from cnn_core.jobs.transfer_models import MOBILENET_WEIGHTS_FILE

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / MOBILENET_WEIGHTS_FILE).write_bytes(b"weights")
    assert mobilenet_available() and fetch_mobilenet()


def _fake_keras_fetch(calls: list, content):
    """Stands in for the Keras subprocess: writes `content(path)` where Keras would."""
    from cnn_core.jobs.transfer_models import MOBILENET_WEIGHTS_FILE

    def fetch(keras_home, timeout_s):
        calls.append(keras_home)
        time.sleep(0.2)  # long enough for a second learner to ask meanwhile
        target = keras_home / "models" / MOBILENET_WEIGHTS_FILE
        target.parent.mkdir(parents=True)
        content(target)
        return target

    return fetch


def _whole_weights(path):
    import h5py

    with h5py.File(path, "w") as weights:
        weights.create_dataset("kernel", data=np.ones(4, np.float32))


def test_one_fetch_serves_every_learner_and_lands_whole(monkeypatch, tmp_path):
    from cnn_core.jobs.transfer_models import MOBILENET_WEIGHTS_FILE

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(mobilenet_download, "_download_possible", lambda: True)
    calls: list = []
    monkeypatch.setattr(mobilenet_download, "_run_keras_fetch",
                        _fake_keras_fetch(calls, _whole_weights))
    answers = []
    learners = [threading.Thread(target=lambda: answers.append(fetch_mobilenet()))
                for _ in range(3)]
    for learner in learners:
        learner.start()
    for learner in learners:
        learner.join(10)
    assert answers == [True, True, True] and len(calls) == 1
    assert (tmp_path / "keras" / "models" / MOBILENET_WEIGHTS_FILE).is_file()
    # The staging folder beside the cache is gone.
    assert sorted(p.name for p in (tmp_path / "keras").iterdir()) == ["models"]


def test_a_cut_off_fetch_never_passes_for_the_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(mobilenet_download, "_download_possible", lambda: True)

    def cut_off(path):
        _whole_weights(path)
        path.write_bytes(path.read_bytes()[:300])

    calls: list = []
    monkeypatch.setattr(mobilenet_download, "_run_keras_fetch", _fake_keras_fetch(calls, cut_off))
    assert not fetch_mobilenet()
    assert not mobilenet_download.mobilenet_weights_cached()
    assert sorted(p.name for p in (tmp_path / "keras").iterdir()) == ["models"]
    assert not list((tmp_path / "keras" / "models").iterdir())


def test_a_ray_run_brings_the_model_file_back(tmp_path):
    result = OwnImagesResult(
        model_path="/node/tmp/m.keras", approach="scratch", base="shipped",
        class_names=NAMES, history={}, val_accuracy=1.0, val_loss=0.1,
        y_val=np.zeros(3, np.int64), val_probabilities=np.ones((3, 3), np.float32) / 3,
        val_indices=np.arange(3), n_train=9, n_validation=3, stopped=False, epochs_run=1.0,
        epochs=1, train_seconds=1.0, device="CPU", fine_tuned=False)
    here = tmp_path / "m.keras"
    delivered = deliverable_result(result, b"model bytes", str(here))
    assert delivered.model_path == str(here) and here.read_bytes() == b"model bytes"
    assert deliverable_result(result, None, str(here)) is None  # no model, no result
