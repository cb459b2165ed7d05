"""AppTest of the network builder on the Train a CNN page: it starts from the preset, a layer
added, changed, moved or removed shows at once in the rows and the total, a stack that cannot
work names its layer and keeps Train off, and the network lives in the link and the session."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from cnn_core.data.datasets import DATASETS
from cnn_core.jobs.training import TrainConfig
from cnn_core.models.network_edits import hidden_of, with_output
from cnn_core.models.specs import model_spec
from tests.app.conftest import REPO_ROOT
from tests.app.test_train_links import _train_page_or_elsewhere, open_link
from ui.train_ui import request_summary, train_request

PAGE = "app_pages/4_Train_a_CNN.py"
TOGGLE = "model_edit_mnist"
CONV_1_FILTERS = "network_mnist_mnist_cnn_0_conv_filters"


def texts(app) -> list[str]:
    return [str(m.value) for m in [*app.markdown, *app.caption]]


def total(app) -> str:
    return next(t for t in texts(app) if t.endswith("parameters** to learn."))


def layer_names(app) -> list[str]:
    return [t.split("**")[1] for t in (str(m.value) for m in app.markdown)
            if t.startswith("**") and t.split("**")[1].split("_")[0] in (
                "conv", "pool", "flatten", "dense", "dropout", "batchnorm", "global", "output")]


def build(run_page) -> AppTest:
    app = run_page(PAGE)
    app.toggle(key=TOGGLE).set_value(True).run()
    assert not app.exception
    return app


def test_the_builder_starts_from_the_preset_and_follows_each_edit(run_page):
    app = build(run_page)
    assert layer_names(app) == ["conv_1", "pool_1", "conv_2", "pool_2", "flatten_1", "dense_1",
                                "dropout_1", "output"]
    assert total(app) == "**215,370 parameters** to learn."
    assert "fixed: one unit per class" in "\n".join(texts(app))
    # The preset's own controls step aside: the layers hold their numbers now.
    assert "model_filters_mnist_cnn" not in {s.key for s in app.select_slider}
    app.selectbox(key="network_add_kind").set_value("batchnorm").run()
    app.button(key="network_add").click().run()
    assert not app.exception
    assert layer_names(app)[-3:] == ["dropout_1", "batchnorm_1", "output"]
    assert total(app) == f"**{215_370 + 4 * 128:,} parameters** to learn."  # 4 per channel
    assert dict(app.query_params)["net"].endswith(",drop-0.4,bn")
    app.number_input(key=CONV_1_FILTERS).set_value(32).run()
    # conv_1 5*5*1*32+32 and conv_2 5*5*32*32+32 instead of 416 and 12,832.
    assert total(app) == f"**{215_370 + 512 + 832 - 416 + 25_632 - 12_832:,} parameters** to learn."
    assert dict(app.query_params)["net"].startswith("conv-32-5-same-relu,")
    code = app.code[0].value
    assert 'layers.Conv2D(32, kernel_size=5, padding="same", activation="relu", name="conv_1")' \
        in code and 'layers.BatchNormalization(name="batchnorm_1")' in code
    assert not app.button(key="train_start").disabled


def test_moving_a_layer_renames_by_position(run_page):
    app = build(run_page)
    app.button(key="network_down_0").click().run()
    assert layer_names(app)[:3] == ["pool_1", "conv_1", "conv_2"]
    assert app.button(key="network_up_0").disabled and app.button(key="network_down_6").disabled
    # The moved convolution keeps its own settings in its new place.
    assert app.number_input(key="network_mnist_mnist_cnn_1_conv_filters").value == 16
    assert total(app) == "**215,370 parameters** to learn."  # 14x14 maps, same weights


def test_a_stack_that_cannot_work_names_the_layer_and_train_waits(run_page):
    app = build(run_page)
    app.button(key="network_remove_4").click().run()  # flatten_1
    assert not app.exception
    assert [e.value for e in app.error] == [
        "dense_1: a dense layer needs a flat row of numbers, but 7 x 7 x 32 feature maps reach "
        "it; put a flatten or global_pool layer before it (Keras would apply it to every pixel "
        "on its own)."]
    assert app.button(key="train_start").disabled
    assert "Train waits for a network that works: see the red message above." in texts(app)
    assert ":red[does not work]" in texts(app)
    app.button(key="network_reset_mnist_mnist_cnn").click().run()
    assert not app.error and not app.button(key="train_start").disabled
    assert total(app) == "**215,370 parameters** to learn."


def test_a_link_opens_the_network_and_a_hostile_one_gets_a_note():
    app = open_link({"net": "conv-8-3-same-relu,gap"})
    assert not app.exception and not app.warning
    assert app.toggle(key=TOGGLE).value
    assert layer_names(app) == ["conv_1", "global_pool_1", "output"]
    assert total(app) == f"**{8 * 9 + 8 + 8 * 10 + 10:,} parameters** to learn."
    assert dict(app.query_params) == {"edit": "1", "net": "conv-8-3-same-relu,gap"}
    for net in ("conv-999-3,flatten", ",".join(["bn"] * 200), "x" * 100_000):
        hostile = open_link({"net": net, "epochs": "3"})
        assert not hostile.exception and not hostile.error
        assert "Your network's layers" in hostile.warning[0].value
        assert len(hostile.warning[0].value) < 600
        assert not hostile.toggle(key=TOGGLE).value
        assert hostile.number_input(key="model_epochs").value == 3


def test_the_network_outlives_a_visit_to_another_page():
    app = AppTest.from_function(_train_page_or_elsewhere, args=(str(REPO_ROOT / PAGE),),
                                default_timeout=60).run()
    app.toggle(key=TOGGLE).set_value(True).run()
    app.button(key="network_remove_6").click().run()  # dropout_1
    app.number_input(key=CONV_1_FILTERS).set_value(8).run()
    built = layer_names(app), total(app)
    for where in ("elsewhere", "a fragment elsewhere", "train"):
        app.session_state["visiting"] = where
        app.run()
    assert not app.exception
    assert app.toggle(key=TOGGLE).value
    assert (layer_names(app), total(app)) == built
    assert app.number_input(key=CONV_1_FILTERS).value == 8


def test_train_sends_the_layers_and_the_run_says_your_network():
    data = type("Data", (), {"name": "mnist", "y_train": range(6_000),
                             "info": DATASETS["mnist"]})()
    layers = with_output(hidden_of(model_spec("mnist_cnn", 10)), 10)
    hparams = {"filters": 16, "kernel_size": 5, "dense_units": 128, "dropout": 0.4,
               "optimizer": "adam", "learning_rate": 0.001}
    request = train_request(data, tuple(layers), hparams, TrainConfig(epochs=1), 2_000, 0.1)
    assert request.custom and request.preset == tuple(layers)
    assert request.hparams == {"optimizer": "adam", "learning_rate": 0.001}
    assert request_summary(request).startswith("Started with: MNIST · Your network (8 layers) ·")
