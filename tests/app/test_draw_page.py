"""AppTest of the Draw and predict page with MNIST test images (AppTest cannot drive the
canvas or uploads; the browser tests do). The model worker starts TensorFlow, hence the
generous timeouts."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import config
from cnn_core.data.datasets import load_dataset
from cnn_core.data.digits import preprocess_steps
from cnn_core.jobs.inference import predict
from cnn_core.models.reports import ModelReport
from cnn_core.models.specs import pretrained_path
from tests.app.conftest import REPO_ROOT
from ui.draw_shared import SECTIONS

PAGE = "app_pages/6_Draw_and_predict.py"
TIMEOUT = 120


def metric(app, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def texts(app) -> str:
    return "\n".join(str(e.value) for e in [*app.markdown, *app.caption, *app.info])


def headings(app) -> list[str]:
    return [h.value for h in app.subheader]


def chart_keys(app) -> set[str]:
    return {e.proto.id.rsplit("-", 1)[-1] for e in app.get("plotly_chart")}


def figure(app, key: str) -> dict:
    """The plotly figure with this widget key, parsed (plotly writes non-ASCII text as is)."""
    chart = next(e.proto for e in app.get("plotly_chart") if e.proto.id.endswith(key))
    return json.loads(chart.spec)


def shipped_cnn_on(index: int) -> tuple[str, np.ndarray]:
    """(label, shipped CNN's probabilities) for one image of the MNIST test set the page uses:
    the full set with a data folder, the bundled subset without. The prediction runs in the
    page's own model process, so this process never imports Keras."""
    from ui.services import inference_client

    data = load_dataset("mnist", download=False)
    model_input = preprocess_steps(data.x_test[index]).result[None]
    probabilities = inference_client().call(predict, str(pretrained_path(config.PRETRAINED_CNN)),
                                          model_input)[0]
    return str(data.y_test[index]), probabilities


@pytest.fixture
def mnist_page(run_page):
    app = run_page(PAGE, timeout=TIMEOUT)
    app.radio(key="draw_source").set_value("mnist").run()
    assert not app.exception and not app.error
    return app


def with_report(report: ModelReport) -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=TIMEOUT)
    app.session_state["train_report"] = report
    return app.run()


def test_opens_on_the_canvas_and_answers_the_silly_question(run_page):
    app = run_page(PAGE, timeout=TIMEOUT)
    assert not app.exception and not app.error
    assert app.radio(key="draw_source").value == "draw"
    assert app.slider(key="draw_brush").value == config.BRUSH_DEFAULT
    assert "Draw a digit in the box" in texts(app)
    # Lesson 2 needs no digit: the cat still gets a digit, with its confidence.
    assert app.selectbox(key="silly_photo").value == "Cat (Chelsea)"
    assert metric(app, "It says") in config.MNIST_CLASSES
    gallery = [m.value for m in app.markdown if "sure" in m.value]
    assert len(gallery) == len(config.SAMPLE_PHOTOS) and gallery[0].startswith("**Cat (Chelsea)**")
    app.selectbox(key="silly_photo").set_value("Astronaut").run()
    assert not app.exception and not app.error
    assert "out-of-distribution" in texts(app)
    assert "silly_probabilities" in chart_keys(app)
    accuracy = json.loads(config.PRETRAINED_INFO.read_text())["mnist_cnn"]["test_accuracy"]
    assert f"{accuracy:.2%} right on the 10,000 MNIST test digits" in texts(app)


def test_an_mnist_test_image_prediction_steps_and_insides(mnist_page):
    app = mnist_page
    label, probabilities = shipped_cnn_on(0)
    assert metric(app, "True label") == label
    assert metric(app, "The network says") == str(np.argmax(probabilities))
    assert float(metric(app, "Confidence").rstrip("%")) == pytest.approx(
        100 * probabilities.max(), abs=0.06)
    assert {"draw_probabilities", "draw_grad_cam", "draw_grad_cam_untrained", "shift_curves",
            "shift_dataset_curves", "draw_maps_conv_1", "draw_maps_pool_2"} <= chart_keys(app)
    assert headings(app) == [f"{n}. {title}" for n, title in enumerate(SECTIONS, start=1)]
    text = texts(app)
    assert "**1. Greyscale** (28 x 28 px)" in text and "Already light ink on black" in text
    for line in ["**conv_1**: 16 feature maps of 28 x 28 pixels",
                 "**pool_1**: 16 feature maps of 14 x 14 pixels",
                 "**conv_2**: 32 feature maps of 14 x 14 pixels",
                 "**pool_2**: 32 feature maps of 7 x 7 pixels", "16 filters of 5 x 5 weights"]:
        assert line in text
    assert f"The right answer here is {label}: the test image's label." in text


def test_other_images_classes_and_classic_grad_cam(mnist_page):
    app = mnist_page
    app.number_input(key="draw_mnist_index").set_value(1).run()
    label, probabilities = shipped_cnn_on(1)
    said = int(np.argmax(probabilities))
    assert metric(app, "True label") == label and metric(app, "The network says") == str(said)
    assert figure(app, "draw_grad_cam")["layout"]["title"]["text"].endswith(f"“{said}”")
    assert app.selectbox(key="draw_cam_class").value == "predicted"
    assert app.selectbox(key="draw_cam_class").options[0] == f"the predicted class ({said})"
    predicted_peak = float(metric(app, "Strongest spot"))
    ruled_out = int(np.argmin(probabilities))  # Grad-CAM for the class it is surest is wrong
    other = config.MNIST_CLASSES[ruled_out]
    app.selectbox(key="draw_cam_class").set_value(other).run()
    assert not app.exception and not app.error
    title = figure(app, "draw_grad_cam")["layout"]["title"]["text"]
    assert title == f"Trained network: evidence for “{other}”"
    assert figure(app, "draw_grad_cam_untrained")["layout"]["title"]["text"] == \
        f"Untrained copy: evidence for “{other}”"
    assert metric(app, f"Probability of {other}") == f"{probabilities[ruled_out]:.1%}"
    assert float(metric(app, "Strongest spot")) < predicted_peak  # dim on the shared scale
    heat = figure(app, "draw_grad_cam")["data"][0]
    assert (heat["zmin"], heat["zmax"]) == (0, 1)
    words = " ".join(texts(app).split())
    assert "Sanity check" in words and "untrained network means nothing" in words
    app.toggle(key="draw_cam_classic").set_value(True).run()
    assert not app.exception and not app.error
    assert figure(app, "draw_grad_cam_untrained")["data"][0]["z"]
    app.button(key="draw_mnist_random").click().run()
    assert not app.exception and not app.error
    assert metric(app, "True label") in config.MNIST_CLASSES


def test_shift_sliders_move_the_digit_without_new_model_calls(mnist_page, monkeypatch):
    app = mnist_page
    calls = []
    from ui import services

    client = services.inference_client()
    original = client.call
    monkeypatch.setattr(client, "call", lambda *a, **k: calls.append(a[0]) or original(*a, **k))
    app.slider(key="shift_dx").set_value(6).run()
    app.slider(key="shift_dy").set_value(-3).run()
    assert not app.exception and not app.error
    assert "Moved +6 right, -3 down" in [c for image in app.image for c in image.captions]
    table = next(m.value for m in app.markdown if m.value.startswith("At this shift"))
    label = str(load_dataset("mnist", download=False).y_test[0])
    assert "(+6 right, -3 down)" in table and f"| Probability of {label} |" in table
    assert "| Shipped MNIST CNN |" in table and "| Dense network (centred digits only) |" in table
    assert calls == []  # every shift was computed in one batch when the digit arrived


def test_the_learners_mnist_model_is_offered_first(mnist_page):
    dense = ModelReport("Dense baseline on MNIST", "mnist", list(config.MNIST_CLASSES),
                        str(pretrained_path("mnist_dense")), np.array([1, 2]),
                        np.eye(10, dtype=np.float32)[[1, 2]], np.arange(2))
    app = with_report(dense)
    assert app.radio(key="draw_model").value == "yours"
    app.radio(key="draw_source").set_value("mnist").run()
    assert not app.exception and not app.error
    text = texts(app)
    assert "no convolution or pooling layers" in text and "no filters to show" in text
    assert "Grad-CAM needs a convolution layer" in text
    app.radio(key="draw_model").set_value("shipped").run()
    assert "**conv_1**" in texts(app)


def test_a_model_of_another_data_set_is_not_used(run_page):
    report = ModelReport("CNN on Fashion-MNIST", "fashion_mnist",
                         list(config.FASHION_MNIST_CLASSES), "/nowhere.keras", np.array([0]),
                         np.eye(10, dtype=np.float32)[[0]], np.arange(1))
    app = with_report(report)
    assert not app.exception
    assert "learned Fashion-MNIST, not handwritten digits" in texts(app)
    assert "fashion_mnist" not in texts(app)


def test_a_colour_photo_model_is_named_as_people_name_it(run_page):
    report = ModelReport("CNN on CIFAR-10", "cifar10", list(config.CIFAR10_CLASSES),
                         "/nowhere.keras", np.array([0]), np.eye(10, dtype=np.float32)[[0]],
                         np.arange(1))
    app = with_report(report)
    assert not app.exception
    assert "learned CIFAR-10, not handwritten digits" in texts(app)
    assert "cifar10" not in texts(app)


def test_sections_are_numbered_in_order_without_a_digit(run_page):
    app = run_page(PAGE, timeout=TIMEOUT)
    assert not app.exception
    shown = [s for s in SECTIONS if s in {"Your digit", "What the network says",
                                          "Lesson: ask a silly question"}]
    assert headings(app) == [f"{n}. {title}" for n, title in enumerate(shown, start=1)]


@pytest.mark.slow
def test_train_with_shifted_copies_adds_a_third_curve(mnist_page, monkeypatch):
    monkeypatch.setattr(config, "SHIFT_TRAIN_IMAGES", 2_000)
    monkeypatch.setattr(config, "SHIFT_TRAIN_EPOCHS", 1)
    app = mnist_page
    app.button(key="shift_train").click().run()
    assert not app.exception
    deadline = time.monotonic() + 180
    while "CNN trained with shifted copies" not in texts(app):
        assert time.monotonic() < deadline, "training with shifted copies did not finish"
        time.sleep(1)
        app.run()
        assert not app.exception and not app.error
    table = next(m.value for m in app.markdown if m.value.startswith("At this shift"))
    assert table.count("\n| ") == 4 and "| CNN trained with shifted copies |" in table
    names = {trace.get("name") for trace in figure(app, "shift_dataset_curves")["data"]}
    assert "CNN trained with shifted copies" in names


def test_upload_mode_without_a_file_says_what_to_do(run_page):
    app = run_page(PAGE, timeout=TIMEOUT)
    app.radio(key="draw_source").set_value("upload").run()
    assert not app.exception and not app.error
    assert any("Choose a photo of one handwritten digit" in i.value for i in app.info)
    assert not any("Draw a digit" in i.value for i in app.info)
