"""AppTest of the training page: settings, layer table, and a tiny job trained to completion."""

from __future__ import annotations

import re
import time

import pytest

from cnn_core import config
from cnn_core.data.datasets import locate_dataset
from cnn_core.models.expectations import expected_accuracy
from cnn_core.models.reports import epochs_summary

PAGE = "app_pages/4_Train_a_CNN.py"


TENSORBOARD_BUTTON = "Download the training history for TensorBoard (.zip)"


def download_labels(app) -> list[str]:
    return [button.proto.label for button in app.get("download_button")]


def text_of(app) -> str:
    return "\n".join(str(m.value) for m in [*app.markdown, *app.caption])


def started_with(app) -> list[str]:
    return [c.value for c in app.caption if c.value.startswith("Started with:")]


def test_page_loads_with_mnist_and_the_layer_table(run_page):
    app = run_page(PAGE)
    assert not app.exception
    assert app.selectbox(key="data_name").value == "mnist"
    assert "**215,370 parameters**" in text_of(app)
    assert "1,572,992" in text_of(app)
    # A flat row's length has its separator, as every other count on the page does.
    shapes = list(app.dataframe[0].value["output shape"])
    assert shapes[0] == "28 x 28 x 16" and "1,568" in shapes


@pytest.mark.parametrize("dataset,preset", [("fashion_mnist", "mnist_cnn"),
                                            ("cifar10", "cifar_dcnn")])
def test_other_data_sets_pick_their_model(run_page, dataset, preset, request):
    if dataset == "cifar10":  # the real one may be missing: a generated one is enough here
        request.getfixturevalue("use_data_folder")(request.getfixturevalue("generated_cifar10"))
    elif locate_dataset(dataset) is None:
        pytest.skip(f"{dataset} is not on this computer: apt-get install dataset-fashion-mnist "
                    "(scripts/run_tests.sh does when it can)")
    app = run_page(PAGE, timeout=120)
    app.selectbox(key="data_name").set_value(dataset).run()
    assert not app.exception and not app.error
    assert app.selectbox(key=f"model_preset_{dataset}").value == preset


def test_changing_settings_updates_the_parameter_count(run_page):
    app = run_page(PAGE)
    app.select_slider(key="model_filters_mnist_cnn").set_value(32).run()
    assert not app.exception
    # conv_1: 5*5*1*32+32, conv_2: 5*5*32*64+64, dense: 3136*128+128, out: 1290
    expected = 832 + 51_264 + 401_536 + 1_290
    assert f"**{expected:,} parameters**" in text_of(app)
    app.selectbox(key="model_preset_mnist").set_value("dense_baseline").run()
    assert f"**{784 * 16 + 16 + 170:,} parameters**" in text_of(app)


@pytest.mark.slow
def test_train_a_tiny_job_to_completion(run_page):
    app = run_page(PAGE)
    app.slider(key="model_subset").set_value(2_000).run()
    app.selectbox(key="model_preset_mnist").set_value("dense_baseline").run()
    app.select_slider(key="model_dense_dense_baseline").set_value(128).run()
    app.number_input(key="model_epochs").set_value(2).run()
    app.button(key="train_start").click().run()
    assert not app.exception
    # The job's own settings, beside its progress, whatever the widgets say later.
    settings = ("Started with: MNIST · Dense baseline (128 dense units) · 2,000 images, 10% of "
                "them held out to validate · 2 epochs, batches of 64 · Adam, learning rate "
                "0.001 · no augmentation.")
    assert started_with(app) == [settings]
    app.number_input(key="model_epochs").set_value(3).run()
    assert started_with(app) == [settings + " The settings above differ: Train uses them next "
                                 "time."]
    app.number_input(key="model_epochs").set_value(2).run()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        time.sleep(1)
        app.run()
        assert not app.exception
        if any(m.label == "Test accuracy" for m in app.metric):
            break
    else:
        pytest.fail("training did not finish in time")
    accuracy = next(m for m in app.metric if m.label == "Test accuracy").value
    assert float(accuracy.rstrip("%")) > 70  # chance is 10%
    assert "Dense baseline on MNIST (2,000 images, 2 epochs)" in text_of(app)
    # Validation (200 held-out training images, every epoch) and test (once) both appear in
    # the history, as different figures, and the page says why they differ.
    validation = next(m for m in app.metric if m.label == "Validation accuracy").value
    history = app.dataframe[-1].value
    assert list(history["after"][:2]) == ["epoch 1", "epoch 2"]
    assert history["validation accuracy"][1] == validation
    assert history["test accuracy"].iloc[-1] == accuracy
    assert validation != accuracy
    assert "200 images held out of the training set" in text_of(app)
    assert started_with(app) == [settings]  # under the results, once
    assert TENSORBOARD_BUTTON in download_labels(app)
    job = app.session_state["train_job"]
    assert job.result.history["val_accuracy"][-1] != job.result.test_accuracy
    # The finished model survives reruns and other widget changes.
    app.toggle(key="results_normalise").set_value(True).run()
    assert any(m.label == "Test accuracy" for m in app.metric)


def test_a_missing_data_set_says_what_to_do(run_page, monkeypatch, tmp_path):
    from ui.services import shared_dataset

    monkeypatch.setenv("CNN_CLASSROOM_DATA", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("CNN_CLASSROOM_CACHE", str(tmp_path / "cache"))
    shared_dataset.clear()  # the server-wide cache may hold CIFAR-10 from another test
    try:
        app = run_page(PAGE)
        assert "bundled subset" in text_of(app)  # MNIST still works offline
        # Counted once, from the images loaded.
        assert text_of(app).count(f"{config.BUNDLED_MNIST_TRAIN:,} training") == 1
        assert (f"bundled subset of MNIST (offline fallback): {config.BUNDLED_MNIST_TRAIN:,} "
                f"training and {config.BUNDLED_MNIST_TEST:,} test images of 28 x 28 pixels"
                ) in text_of(app)
        app.selectbox(key="data_name").set_value("cifar10").run()
        assert not app.exception
        assert len(app.error) == 1 and "CNN_CLASSROOM_DATA" in app.error[0].value
        assert "\n" not in app.error[0].value
    finally:
        shared_dataset.clear()


def wait_for_results(app, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(1)
        app.run()
        assert not app.exception
        if any(m.label == "Test accuracy" for m in app.metric):
            return
    pytest.fail("training did not finish in time")


@pytest.mark.slow
def test_a_stopped_run_counts_the_epochs_it_ran(run_page):
    app = run_page(PAGE)
    app.slider(key="model_subset").set_value(2_000).run()
    app.selectbox(key="model_preset_mnist").set_value("dense_baseline").run()
    app.number_input(key="model_epochs").set_value(50).run()
    app.button(key="train_start").click().run()
    job = app.session_state["train_job"]
    deadline = time.monotonic() + 120
    while job.snapshot().images_seen < 2_500 and time.monotonic() < deadline:
        time.sleep(0.2)
    app.run()
    app.button(key="train_stop").click().run()
    wait_for_results(app)
    result = job.result
    assert result.stopped and 1 <= result.epochs_run < 50
    title = next(m.value for m in app.markdown if m.value.startswith("**Dense baseline"))
    assert epochs_summary(result.epochs_run, 50, True) in title
    assert re.search(r"stopped (in|after) epoch [1-9]\d* of 50", title), title
    assert not re.search(r"[ (]0 epochs", title)  # the old title said "0 epochs"
    # Another data set: the old run is labelled as MNIST's instead of shown as if it were its.
    if locate_dataset("fashion_mnist") is None:
        return
    app.selectbox(key="data_name").set_value("fashion_mnist").run()
    assert not app.exception
    assert "Your last run trained on MNIST" in text_of(app)
    assert "trained on MNIST, not on Fashion-MNIST" in text_of(app)


def test_what_to_expect_is_said_before_training(run_page):
    app = run_page(PAGE)
    images = app.slider(key="model_subset").value
    expected = expected_accuracy("mnist", "mnist_cnn", {}, images, 2)
    assert expected is not None and expected.sentence() in text_of(app)
    app.number_input(key="model_epochs").set_value(9).run()
    assert "at least about" in text_of(app)


def test_the_classic_recipe_in_one_click(run_page, shared_data):
    app = run_page(PAGE)
    app.select_slider(key="model_filters_mnist_cnn").set_value(32).run()
    app.button(key="train_classic").click().run()
    assert not app.exception
    assert app.slider(key="model_subset").value == config.CLASSIC_IMAGES
    assert app.number_input(key="model_epochs").value == config.CLASSIC_EPOCHS
    assert app.selectbox(key="model_preset_mnist").value == config.CLASSIC_PRESET
    assert app.select_slider(key="model_filters_mnist_cnn").value == 16  # back to the default
    classic = config.MEASURED_TEST_ACCURACY[("mnist", "mnist_cnn", 128)][
        (config.CLASSIC_IMAGES, config.CLASSIC_EPOCHS)]
    assert f"{classic:.1%}" in text_of(app) and "classic recipe" in text_of(app)


def test_the_classic_recipe_without_the_full_mnist_says_how_to_get_it(run_page, monkeypatch,
                                                                      tmp_path):
    from ui.services import shared_dataset

    monkeypatch.setenv("CNN_CLASSROOM_DATA", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    shared_dataset.clear()
    try:
        app = run_page(PAGE)
        app.button(key="train_classic").click().run()
        assert not app.exception
        note = next(i.value for i in app.info if "classic recipe" in i.value)
        assert f"bundled subset of {config.BUNDLED_MNIST_TRAIN:,}" in note and "mnist.npz" in note
        assert app.slider(key="model_subset").value == config.BUNDLED_MNIST_TRAIN
    finally:
        shared_dataset.clear()


def test_the_dense_baseline_is_compared_truthfully_and_offers_128_units(run_page):
    app = run_page(PAGE)
    app.selectbox(key="model_preset_mnist").set_value("dense_baseline").run()
    small = 784 * 16 + 16 + 16 * 10 + 10
    assert f"With 16 units this network learns {small:,} parameters" in text_of(app)
    assert "Compare its accuracy and parameter count" not in text_of(app)
    app.button(key="model_dense_128").click().run()
    wide = 784 * 128 + 128 + 128 * 10 + 10
    assert f"**{wide:,} parameters**" in text_of(app)
    assert f"With 128 units this network learns {wide:,} parameters" in text_of(app)
    assert not [b for b in app.button if b.key == "model_dense_128"]



def test_the_cifar_recipe_starts_with_shifts_and_flips(run_page, use_data_folder,
                                                       generated_cifar10):
    use_data_folder(generated_cifar10)
    app = run_page(PAGE, timeout=120)
    # Digits are never flipped: a mirrored 2 is no digit, so MNIST offers no flips.
    assert not any("flip" in (box.key or "") for box in app.checkbox)
    assert not app.checkbox(key="model_shift_mnist_mnist_cnn").value
    app.selectbox(key="data_name").set_value("cifar10").run()
    assert not app.exception
    assert app.selectbox(key="model_preset_cifar10").value == config.CIFAR_RECIPE_PRESET
    assert app.checkbox(key="model_shift_cifar10_cifar_dcnn").value
    flips = app.checkbox(key="model_flip_cifar10_cifar_dcnn")
    assert flips.value and "no digit" in flips.help
    params = dict(app.query_params)  # the recipe is the default: no link carries it
    assert params["data"] == "cifar10" and "shift" not in params and "flip" not in params
    # Another model on the same photos starts without them; the recipe keeps its own.
    app.selectbox(key="model_preset_cifar10").set_value("mnist_cnn").run()
    assert not app.checkbox(key="model_shift_cifar10_mnist_cnn").value
    assert not app.checkbox(key="model_flip_cifar10_mnist_cnn").value
    app.checkbox(key="model_flip_cifar10_mnist_cnn").check().run()
    app.selectbox(key="model_preset_cifar10").set_value("cifar_dcnn").run()
    assert app.checkbox(key="model_flip_cifar10_cifar_dcnn").value
    app.checkbox(key="model_flip_cifar10_cifar_dcnn").uncheck().run()
    params = dict(app.query_params)
    assert params["flip"] == "0" and "shift" not in params
    assert not app.exception


def test_a_runs_history_downloads_for_tensorboard():
    """The worker's zipped event files come back with the result; the results offer them."""
    import numpy as np
    from streamlit.testing.v1 import AppTest

    from cnn_core.models.reports import ModelReport
    from cnn_core.models.specs import pretrained_path
    from tests.app.conftest import REPO_ROOT

    def report(events: bytes | None) -> ModelReport:
        return ModelReport("Dense baseline on MNIST", "mnist", list(config.MNIST_CLASSES),
                           str(pretrained_path("mnist_dense")), np.array([1, 2]),
                           np.eye(10, dtype=np.float32)[[1, 2]], np.arange(2),
                           {"loss": [0.5], "accuracy": [0.9]}, tensorboard_zip=events)

    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=120)
    app.session_state["train_report"] = report(b"PK zipped event files")
    app.run()
    assert not app.exception
    assert TENSORBOARD_BUTTON in download_labels(app)
    assert "Unzip it and run `tensorboard --logdir mnist_dense-tensorboard`" in text_of(app)
    # An uploaded model (or files that could not be written): no such button.
    app.session_state["train_report"] = report(None)
    app.run()
    assert TENSORBOARD_BUTTON not in download_labels(app)
    assert "Download the training history (CSV)" in download_labels(app)


def test_first_layer_filters_are_captioned_for_their_colours():
    from ui.results_ui import first_layer_caption

    grey = first_layer_caption((3, 3, 1, 16))
    colour = first_layer_caption((5, 5, 3, 32))
    assert grey.startswith("The 16 learned 3x3 kernels") and "edge detectors" in grey
    assert "black = most negative" in grey
    assert colour.startswith("The 32 learned 5x5 kernels") and "red, green and blue" in colour
    assert "edge detector" not in colour and "one scale" not in colour


class _WaitingJob:
    """A job that waits 3rd in line, as the page and its live panel read one."""

    running, result, error = True, None, None

    def __init__(self, request):
        self.request, self.stopped = request, False

    def queue_position(self) -> int:
        return 3

    def following(self) -> bool:
        return False

    def snapshot(self):
        from cnn_core.jobs.training import ProgressSnapshot

        return ProgressSnapshot(status="queued", message="Waiting: 3rd in line.")

    @property
    def done(self) -> bool:
        return not self.running

    def stop(self) -> None:  # as TrainingProcess ends a job that leaves the queue
        self.stopped, self.running = True, False
        self.error = "Training was stopped while it waited in the queue."


def test_train_is_drawn_disabled_in_the_very_run_that_queued_the_job(run_page, monkeypatch):
    queued = []

    def queue_job(key, request):
        queued.append(request)
        import streamlit as st

        st.session_state[key] = _WaitingJob(request)

    monkeypatch.setattr("ui.train_ui.queue_job", queue_job)
    app = run_page(PAGE)
    app.number_input(key="model_epochs").set_value(3).run()
    app.button(key="train_start").click().run()
    assert not app.exception
    assert len(queued) == 1 and queued[0].config.epochs == 3  # the settings of that run
    # A Train button that looked pressable while the job waits would do nothing.
    assert app.button(key="train_start").disabled
    assert app.button(key="train_stop").label == "Leave the queue"
    app.run()  # a later run starts nothing more
    assert len(queued) == 1
    app.button(key="train_stop").click().run()
    assert not app.exception and not app.button(key="train_start").disabled
