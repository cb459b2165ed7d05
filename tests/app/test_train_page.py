"""AppTest of the training page: settings, layer table, and a tiny job trained to completion."""

from __future__ import annotations

import time

import pytest

from cnn_core.data.datasets import locate_dataset

PAGE = "pages/4_Train_a_CNN.py"


def text_of(app) -> str:
    return "\n".join(str(m.value) for m in [*app.markdown, *app.caption])


def test_page_loads_with_mnist_and_the_layer_table(run_page):
    app = run_page(PAGE)
    assert not app.exception
    assert app.selectbox(key="data_name").value == "mnist"
    assert "**215,370 parameters**" in text_of(app)
    assert "1,572,992" in text_of(app)


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
        app.selectbox(key="data_name").set_value("cifar10").run()
        assert not app.exception
        assert len(app.error) == 1 and "CNN_CLASSROOM_DATA" in app.error[0].value
        assert "\n" not in app.error[0].value
    finally:
        shared_dataset.clear()
