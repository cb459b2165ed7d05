"""A learner who trains all lesson long does not fill the server's disk: a page deletes a
model once nothing can show it any more, and never the one it shows."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from cnn_core.jobs.tensorboard_events import events_folder
from cnn_core.jobs.training import TrainConfig
from cnn_core.jobs.worker import BinaryTask, TrainRequest, TrainResult


class DoneJob:
    """What the pages read of a TrainingProcess that has ended with a result."""

    def __init__(self, request: TrainRequest, result: TrainResult):
        self.request, self.result, self.error = request, result, None
        self.done, self.running = True, False


def model_on_disk(folder: Path, name: str) -> Path:
    """A model file with its TensorBoard event files beside it, as a worker leaves them."""
    path = folder / f"{name}.keras"
    path.write_bytes(b"a model")
    events = events_folder(path)
    events.mkdir()
    (events / "events.out.tfevents").write_bytes(b"events")
    return path


def done_job(path: Path, request: TrainRequest, classes: int = 10) -> DoneJob:
    n = 20
    probabilities = np.full((n, classes), 1 / classes, np.float32)
    result = TrainResult(str(path), {"loss": [0.5], "accuracy": [0.8]}, 0.5, 0.8,
                         np.arange(n) % classes, probabilities, np.arange(n), 200, False, "CPU",
                         100.0, 2.0, epochs_run=1.0, epochs=1)
    return DoneJob(request, result)


def gone(path: Path) -> bool:
    return not path.exists() and not events_folder(path).exists()


def _train_page_files_results() -> None:
    from ui.train_ui import collect_finished_job

    collect_finished_job()


def test_train_a_cnn_deletes_a_run_s_model_once_the_next_run_s_report_replaces_it(tmp_path):
    from ui.train_ui import JOB_KEY, REPORT_KEY

    request = TrainRequest("mnist", "dense_baseline", {}, TrainConfig(epochs=1), n_train=2_000)
    first, second = model_on_disk(tmp_path, "first"), model_on_disk(tmp_path, "second")
    app = AppTest.from_function(_train_page_files_results, default_timeout=60)
    app.session_state[JOB_KEY] = done_job(first, request)
    app.run()
    assert not app.exception
    assert app.session_state[REPORT_KEY].model_path == str(first) and first.is_file()
    app.session_state[JOB_KEY] = done_job(second, request)
    app.run()
    assert app.session_state[REPORT_KEY].model_path == str(second)
    assert gone(first)  # its report was replaced: no page can show it now
    app.run()
    assert second.is_file() and events_folder(second).is_dir()  # the one shown stays


def _precision_recall_page_files_results() -> None:
    from ui.imbalance_train_ui import collect_finished_job

    collect_finished_job()


def test_precision_and_recall_keeps_a_run_s_scores_and_deletes_its_model(tmp_path):
    from ui.imbalance_train_ui import JOB_KEY, RESULTS_KEY

    request = TrainRequest("mnist", "mnist_cnn", {"filters": 8, "dense_units": 32},
                           TrainConfig(epochs=1), n_train=2_000,
                           binary=BinaryTask(8, 0.05, "none"))
    path = model_on_disk(tmp_path, "eights")
    app = AppTest.from_function(_precision_recall_page_files_results, default_timeout=60)
    app.session_state[JOB_KEY] = done_job(path, request, classes=2)
    app.run()
    assert not app.exception
    (runs,) = app.session_state[RESULTS_KEY].values()
    assert runs["none"].scores.shape == (20,)  # what the page shows, kept
    assert gone(path)


def _shift_lesson_adopts_its_model() -> None:
    from ui.digit_lessons_ui import adopt_shift_job

    adopt_shift_job("draw")


def test_the_shift_lesson_deletes_the_model_a_new_training_replaces(tmp_path):
    from ui.digit_lessons_ui import SHIFT_JOB_KEY, SHIFTED_MODEL_KEY

    request = TrainRequest("mnist", "mnist_cnn", {}, TrainConfig(epochs=1, shift=0.1))
    first, second = model_on_disk(tmp_path, "shifted1"), model_on_disk(tmp_path, "shifted2")
    app = AppTest.from_function(_shift_lesson_adopts_its_model, default_timeout=60)
    app.session_state[SHIFT_JOB_KEY] = done_job(first, request)
    app.run()
    assert app.session_state[SHIFTED_MODEL_KEY].path == str(first) and first.is_file()
    app.session_state[SHIFT_JOB_KEY] = done_job(second, request)
    app.run()
    assert not app.exception
    assert app.session_state[SHIFTED_MODEL_KEY].path == str(second) and second.is_file()
    assert gone(first)


def test_every_run_keeps_the_session_s_folder_from_the_time_to_live_sweep(tmp_path):
    """A learner still there after hours without training keeps the models on their pages."""
    from cnn_core.jobs.storage import SessionFiles, sweep_stale
    from tests.app.conftest import open_app_page

    files = SessionFiles(tmp_path)
    hours_ago = time.time() - 10 * 3600
    os.utime(files.path, (hours_ago, hours_ago))
    app = open_app_page("app.py", state={"_session_files": files})
    assert not app.exception
    assert sweep_stale(tmp_path, 8 * 3600) == [] and files.path.is_dir()
