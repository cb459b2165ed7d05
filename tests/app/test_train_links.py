"""AppTest of the Train a CNN page's link: every setting round-trips through the address bar,
hostile links fall back to the defaults with a note and never train, teachers lock or hide
controls, and the settings outlive a visit to another page."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import config
from tests.app.conftest import REPO_ROOT

PAGE = "app_pages/4_Train_a_CNN.py"

# widget kind and key -> a value other than the default, for each model the page offers.
MNIST_CNN = {
    ("slider", "model_subset"): 4_000,  # fits the bundled 6,000 digits and full MNIST
    ("number_input", "model_epochs"): 3,
    ("select_slider", "model_batch"): 32,
    ("select_slider", "model_filters_mnist_cnn"): 32,
    ("select_slider", "model_kernel_mnist_cnn"): 3,
    ("select_slider", "model_dense_mnist_cnn"): 64,
    ("slider", "model_dropout_mnist_cnn"): 0.25,
    ("selectbox", "model_optimizer"): "sgd",
    ("select_slider", "model_lr_sgd"): 0.03,
    ("select_slider", "model_validation"): 0.2,
    ("checkbox", "model_mixed"): True,
    ("checkbox", "model_invert"): True,
    ("checkbox", "model_shift_mnist_mnist_cnn"): True,
    ("checkbox", "model_rotate"): True,
    ("checkbox", "model_zoom"): True,
}
DENSE = {
    ("selectbox", "model_preset_mnist"): "dense_baseline",
    ("select_slider", "model_dense_dense_baseline"): 256,
    ("selectbox", "model_optimizer"): "adadelta",
    ("select_slider", "model_lr_adadelta"): 0.3,
    ("number_input", "model_epochs"): 1,
    ("slider", "model_subset"): 3_000,
}
CIFAR = {
    ("selectbox", "data_name"): "cifar10",
    ("selectbox", "model_preset_cifar10"): "cifar_dcnn",
    ("select_slider", "model_filters_cifar_dcnn"): 8,
    ("slider", "model_dropout_cifar_dcnn"): 0.3,
    ("slider", "model_subset"): 123,
    # The recipe's augmentation is on by default: off is what a link must carry.
    ("checkbox", "model_shift_cifar10_cifar_dcnn"): False,
    ("checkbox", "model_flip_cifar10_cifar_dcnn"): False,
}


@pytest.fixture
def on_gpu(monkeypatch):
    """Mixed precision is only offered on a GPU; the page is told it has one."""
    import ui.train_ui

    monkeypatch.setattr(ui.train_ui, "device_label", lambda wait=0.0: "GPU: a test card")


def text_of(app) -> str:
    return "\n".join(str(m.value) for m in [*app.markdown, *app.caption])


def widget(app, kind: str, key: str):
    return getattr(app, kind)(key=key)


def open_link(params: dict[str, str], timeout: float = 60) -> AppTest:
    """The page as a new browser opens it from a link."""
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=timeout)
    for name, value in params.items():
        app.query_params[name] = value
    return app.run()


def set_widgets(app, values: dict) -> None:
    for (kind, key), value in values.items():
        widget(app, kind, key).set_value(value).run()
        assert not app.exception, key


@pytest.mark.parametrize("values", [MNIST_CNN, DENSE, CIFAR], ids=["mnist_cnn", "dense",
                                                                    "cifar"])
def test_every_setting_round_trips_through_the_link(run_page, on_gpu, values, request):
    if values is CIFAR:  # 400 generated photos: the subset slider goes from 40 to 400 by 1
        request.getfixturevalue("use_data_folder")(request.getfixturevalue("generated_cifar10"))
    app = run_page(PAGE, timeout=120)
    set_widgets(app, values)
    for (kind, key), value in values.items():
        assert widget(app, kind, key).value == value, key
    params = dict(app.query_params)
    assert "data_name" not in params and all(not k.startswith("model_") for k in params)
    reopened = open_link(params, timeout=120)
    assert not reopened.exception and not reopened.warning
    for (kind, key), value in values.items():
        assert widget(reopened, kind, key).value == value, key
    assert dict(reopened.query_params) == params
    # Same settings, same model and the same promise: the layer table and the expectation.
    assert [m.value for m in reopened.markdown] == [m.value for m in app.markdown]
    assert reopened.dataframe[0].value.equals(app.dataframe[0].value)
    assert "train_job" not in reopened.session_state


def test_default_settings_give_a_bare_address_and_readable_names(run_page):
    app = run_page(PAGE)
    assert dict(app.query_params) == {}
    app.select_slider(key="model_lr_adam").set_value(0.0003).run()
    app.slider(key="model_dropout_mnist_cnn").set_value(0.35).run()
    params = dict(app.query_params)
    # With fewer training images than the default subset (the bundled 6,000), the slider
    # starts at all of them, which the address bar then holds.
    all_images = app.slider(key="model_subset").max
    if all_images < 12_000:
        assert params.pop("subset") == str(int(all_images))
    assert params == {"dropout": "0.35", "lr": "0.0003"}
    # Written another way, the same numbers are read back.
    linked = open_link({"lr": "3e-4", "dropout": "0.350", "epochs": " 4 "})
    assert not linked.warning
    assert linked.select_slider(key="model_lr_adam").value == 0.0003
    assert linked.slider(key="model_dropout_mnist_cnn").value == 0.35
    assert linked.number_input(key="model_epochs").value == 4


def test_the_classic_recipe_shows_in_the_link(run_page, shared_data):
    app = run_page(PAGE)
    app.select_slider(key="model_filters_mnist_cnn").set_value(32).run()
    app.button(key="train_classic").click().run()
    assert dict(app.query_params) == {"subset": str(config.CLASSIC_IMAGES)}
    # The home page's lesson link spells the recipe out; it opens the same page.
    lesson = open_link({"data": "mnist", "model": config.CLASSIC_PRESET,
                        "subset": str(config.CLASSIC_IMAGES),
                        "epochs": str(config.CLASSIC_EPOCHS)})
    assert not lesson.exception and not lesson.warning
    assert lesson.slider(key="model_subset").value == config.CLASSIC_IMAGES
    assert lesson.number_input(key="model_epochs").value == config.CLASSIC_EPOCHS
    assert "classic recipe" in text_of(lesson)
    assert not [b for b in lesson.button if b.key == "train_classic"]
    assert dict(lesson.query_params) == {"subset": str(config.CLASSIC_IMAGES)}
    assert "train_job" not in lesson.session_state


def test_a_linked_subset_fits_the_data_set_on_this_computer(run_page, use_data_folder,
                                                            tmp_path):
    use_data_folder(tmp_path)  # the bundled 6,000-digit subset only
    app = open_link({"subset": "60000"})
    assert not app.exception and not app.warning
    assert app.slider(key="model_subset").value == config.BUNDLED_MNIST_TRAIN
    assert f"so {config.BUNDLED_MNIST_TRAIN:,} are used" in text_of(app)
    off_step = open_link({"subset": "4321"})
    assert off_step.slider(key="model_subset").value == 4_000
    # A link that leaves the subset out starts where the slider does, without a word.
    unnamed = open_link({"epochs": "3"})
    assert unnamed.slider(key="model_subset").value == config.BUNDLED_MNIST_TRAIN
    assert "do not fit" not in text_of(unnamed) and not unnamed.warning


HOSTILE = {
    "NaN and infinity": {"subset": "NaN", "lr": "nan", "dropout": "inf", "epochs": "1e400"},
    "huge numbers": {"subset": "9" * 400, "epochs": "100000", "batch": "-64",
                     "filters": "1e308"},
    "wrong types": {"data": "[1, 2]", "mixed": "maybe", "validation": "ten percent",
                    "optimizer": "{'a': 1}"},
    "unknown presets": {"data": "imagenet", "model": "resnet152", "kernel": "9"},
    "long values": {"model": "m" * 10_000, "subset": "1" * 10_000, "task": "t" * 10_000,
                    "lock": "x," * 5_000},
    "a 300x300 kernel": {"kernel": ";".join([",".join(["1"] * 300)] * 300)},
    # Over 524,288 characters Streamlit itself ignores the whole query: defaults, no note.
    "a 1000x1000 kernel": {"kernel": ";".join([",".join(["1"] * 1000)] * 1000)},
    "settings of another page": {"photo": "cat", "padding": "same", "train_start": "1"},
}


@pytest.mark.parametrize("params", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_links_fall_back_to_the_defaults_with_a_note(params):
    app = open_link(params)
    assert not app.exception
    read = sum(len(k) + len(v) for k, v in params.items()) < 500_000
    assert len(app.warning) == int(read)
    if read:
        assert "\n" not in app.warning[0].value and len(app.warning[0].value) < 600
    assert app.selectbox(key="data_name").value == "mnist"
    assert app.selectbox(key="model_preset_mnist").value == "mnist_cnn"
    assert app.slider(key="model_subset").value == min(12_000, app.slider(
        key="model_subset").max)
    assert app.number_input(key="model_epochs").value == 2
    assert app.select_slider(key="model_lr_adam").value == 0.001
    assert app.select_slider(key="model_filters_mnist_cnn").value == 16
    assert not app.checkbox(key="model_mixed").value
    assert "train_job" not in app.session_state  # a link never trains
    if read:  # nothing but a teacher's task (cut to 300 characters) is written back
        written = dict(app.query_params)
        assert set(written) <= {"task"} and len(written.get("task", "")) <= 300


def test_a_link_sets_the_keys_of_its_own_data_set_model_and_optimizer(use_data_folder,
                                                                      generated_cifar10):
    use_data_folder(generated_cifar10)
    app = open_link({"data": "cifar10", "model": "dense_baseline", "dense": "64",
                     "optimizer": "sgd", "lr": "0.1"}, timeout=120)
    assert not app.exception and not app.warning
    assert app.selectbox(key="model_preset_cifar10").value == "dense_baseline"
    assert app.select_slider(key="model_dense_dense_baseline").value == 64
    assert app.select_slider(key="model_lr_sgd").value == 0.1
    # A setting the chosen model does not have is named in the note, the rest still applies.
    stale = open_link({"model": "dense_baseline", "filters": "32"})
    assert len(stale.warning) == 1 and "'filters'" in stale.warning[0].value
    assert stale.selectbox(key="model_preset_mnist").value == "dense_baseline"


def test_a_new_link_in_the_same_session_replaces_the_whole_form(run_page):
    app = run_page(PAGE)
    app.select_slider(key="model_filters_mnist_cnn").set_value(64).run()
    app.number_input(key="model_epochs").set_value(7).run()
    app.query_params.clear()
    app.query_params["subset"] = "5000"
    app.run()
    assert app.slider(key="model_subset").value == 5_000
    assert app.number_input(key="model_epochs").value == 2  # not this session's 7
    assert app.select_slider(key="model_filters_mnist_cnn").value == 16
    # Later runs change the form as usual; the link is not applied again.
    app.number_input(key="model_epochs").set_value(4).run()
    assert app.number_input(key="model_epochs").value == 4
    assert dict(app.query_params) == {"subset": "5000", "epochs": "4"}


def test_locked_controls_are_disabled_and_hidden_ones_absent():
    app = open_link({"epochs": "3", "model": "dense_baseline", "lock": "epochs,model,dense",
                     "hide": "zoom,subset", "task": "Beat 90% with 3 epochs"})
    assert not app.exception
    assert app.number_input(key="model_epochs").disabled
    assert app.number_input(key="model_epochs").value == 3
    assert app.selectbox(key="model_preset_mnist").disabled
    assert app.select_slider(key="model_dense_dense_baseline").disabled
    assert not app.selectbox(key="data_name").disabled
    keys = {w.key for w in [*app.checkbox, *app.slider]}
    assert "model_zoom" not in keys and "model_subset" not in keys
    assert "Beat 90% with 3 epochs" in app.info[0].value
    # Buttons that would change a fixed setting are off too.
    assert next(b for b in app.button if b.key == "model_dense_128").disabled
    assert dict(app.query_params)["lock"] == "model,epochs,dense"


def _train_page_or_elsewhere(page_path: str) -> None:
    """app.py in small: keep the settings, then run the page chosen in session state. (AppTest's
    switch_page runs a page without app.py, so it cannot show what app.py keeps.)"""
    import runpy

    import streamlit as st

    from ui.links import keep_settings_across_pages

    if st.session_state.get("visiting") != "a fragment elsewhere":  # it runs without app.py
        keep_settings_across_pages()
    if st.session_state.get("visiting") in ("elsewhere", "a fragment elsewhere"):
        st.title("Another page")
    else:
        runpy.run_path(page_path, run_name="__main__")


def test_settings_survive_a_visit_to_another_page(on_gpu):
    app = AppTest.from_function(_train_page_or_elsewhere, args=(str(REPO_ROOT / PAGE),),
                                default_timeout=60).run()
    app.selectbox(key="model_preset_mnist").set_value("dense_baseline").run()
    app.select_slider(key="model_dense_dense_baseline").set_value(64).run()
    app.selectbox(key="model_preset_mnist").set_value("mnist_cnn").run()
    set_widgets(app, MNIST_CNN)
    app.session_state["visiting"] = "elsewhere"
    app.run()
    assert [t.value for t in app.title] == ["Another page"]
    # A fragment rerunning there (the Home page's device line, another page's live training
    # panel) runs without app.py, so nothing re-saves the settings in that run.
    app.session_state["visiting"] = "a fragment elsewhere"
    app.run()
    app.session_state["visiting"] = "train"
    app.run()
    assert not app.exception
    for (kind, key), value in MNIST_CNN.items():
        assert widget(app, kind, key).value == value, key
    # The model not on screen kept its own settings too.
    app.selectbox(key="model_preset_mnist").set_value("dense_baseline").run()
    assert app.select_slider(key="model_dense_dense_baseline").value == 64
