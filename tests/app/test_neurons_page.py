"""AppTest of the Neurons and layers page: the neuron's written sum, both calculators with the
material's numbers, links (hostile ones included), and a trained iris network's results."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.data.iris import PAIRS, decision_grid, grid_classes, load_iris_split
from cnn_core.jobs.iris import IrisGrid, IrisRequest, IrisResult
from cnn_core.maths.frames import format_number
from cnn_core.maths.neurons import neuron, softmax
from tests.app.conftest import REPO_ROOT, open_app_page
from ui.navigation import LEARNING_PATH
from ui.neurons_link import DEFAULT_BIAS, DEFAULT_INPUTS, DEFAULT_WEIGHTS, SCORES
from ui.neurons_ui import IRIS_JOB_KEY, IRIS_RESULT_KEY

PAGE = "app_pages/0_Neurons_and_layers.py"


def open_page(params: dict[str, str] | None = None) -> AppTest:
    return open_app_page(PAGE, params)


def metric(app, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def text_of(app) -> str:
    return "\n".join(str(m.value) for m in [*app.markdown, *app.caption, *app.latex])


def link_notes(app) -> list[str]:
    return [w.value for w in app.warning if "link" in w.value]


def assert_neuron_shown(app, inputs, weights, bias, activation) -> None:
    expected = neuron(inputs, weights, bias, activation)
    assert metric(app, "Weighted sum z") == format_number(expected.z)
    assert metric(app, "Output a") == format_number(expected.output)
    # The sum with the actual numbers, as on paper.
    written = expected.arithmetic.split(" = ")[0].replace("x", r" \times ")
    assert any(written in latex.value.replace("  ", " ") for latex in app.latex), written


def test_it_is_the_first_page_of_the_learning_path():
    assert LEARNING_PATH[0].path == PAGE and LEARNING_PATH[0].title == "Neurons and layers"


def test_page_loads_with_the_materials_numbers():
    app = open_page()
    assert not app.exception and not app.error
    assert app.title[0].value == "Neurons and layers"
    assert_neuron_shown(app, DEFAULT_INPUTS, DEFAULT_WEIGHTS, DEFAULT_BIAS, "sigmoid")
    # 1,000 examples in batches of 500: 2 iterations per epoch.
    assert metric(app, "Iterations per epoch") == "2"
    # A 64x64x3 image into 128 dense units; a 3x3 convolution with 32 filters.
    assert metric(app, "Dense: learned numbers") == "1,572,992"
    assert metric(app, "Convolution: learned numbers") == f"{3 * 3 * 3 * 32 + 32:,}"
    shares = softmax(list(SCORES.values()))
    assert f"cat {shares[0]:.1%}, dog {shares[1]:.1%}" in text_of(app)
    # Before training: the flowers, and no job.
    assert "Press Train" in text_of(app) and IRIS_JOB_KEY not in app.session_state


def test_sliders_change_the_written_sum_and_the_output():
    app = open_page()
    app.slider(key="neuron_x1").set_value(3.0).run()
    app.slider(key="neuron_w2").set_value(-2.5).run()
    app.slider(key="neuron_bias").set_value(-1.2).run()
    app.radio(key="neuron_activation").set_value("tanh").run()
    assert not app.exception
    inputs = (3.0, DEFAULT_INPUTS[1], DEFAULT_INPUTS[2])
    weights = (DEFAULT_WEIGHTS[0], -2.5, DEFAULT_WEIGHTS[2])
    assert_neuron_shown(app, inputs, weights, -1.2, "tanh")
    z = neuron(inputs, weights, -1.2, "tanh").z
    assert f"z = {format_number(z)}" in text_of(app)  # the activation curves' caption
    app.radio(key="neuron_activation").set_value("relu").run()
    assert_neuron_shown(app, inputs, weights, -1.2, "relu")
    assert metric(app, "Output a") == "0"  # a negative sum: ReLU gives 0


def test_softmax_scores_become_probabilities():
    app = open_page()
    app.slider(key="softmax_bird").set_value(4.0).run()
    shares = softmax([SCORES["cat"], SCORES["dog"], 4.0])
    assert f"bird {shares[2]:.1%}" in text_of(app)
    assert any(r"p_{\text{bird}}" in latex.value for latex in app.latex)


def test_a_partial_last_batch_is_explained():
    app = open_page()
    app.number_input(key="steps_batch").set_value(300).run()
    assert metric(app, "Iterations per epoch") == "4"
    assert metric(app, "Iterations in all") == "20"
    assert metric(app, "Last batch size") == "100"
    assert "1,000 = 3 x 300 + 100" in text_of(app)
    app.number_input(key="steps_batch").set_value(5_000).run()
    assert metric(app, "Iterations per epoch") == "1"
    assert "larger than the 1,000 examples" in text_of(app)


def test_the_two_material_examples_are_one_click_each():
    app = open_page()
    app.button(key="cost_preset_1").click().run()
    assert (app.number_input(key="cost_height").value, app.number_input(key="cost_units").value
            ) == (256, 1_000)
    assert "196,608,000 weights + 1,000 biases" in text_of(app)
    assert metric(app, "Dense: learned numbers") == "196,609,000"
    conv = metric(app, "Convolution: learned numbers")
    app.button(key="cost_preset_0").click().run()
    assert metric(app, "Dense: learned numbers") == "1,572,992"
    # Any image size: the convolution's count never moves.
    app.number_input(key="cost_height").set_value(1_000).run()
    app.number_input(key="cost_width").set_value(3_000).run()
    assert metric(app, "Dense: learned numbers") == f"{1_000 * 3_000 * 3 * 128 + 128:,}"
    assert metric(app, "Convolution: learned numbers") == conv
    assert not app.exception


def test_a_link_restores_every_kind_of_setting():
    params = {"x1": "-2.5", "w3": "1.5", "bias": "0.3", "activation": "relu",
              "score_dog": "3", "examples": "60000", "batch": "128", "epochs": "2",
              "height": "28", "width": "28", "channels": "1", "units": "100", "kernel": "5",
              "filters": "8", "across": "sepal_length", "up": "petal_length", "hidden": "4",
              "iris_epochs": "80"}
    app = open_page(params)
    assert not app.exception and not link_notes(app)
    assert_neuron_shown(app, (-2.5, *DEFAULT_INPUTS[1:]), (*DEFAULT_WEIGHTS[:2], 1.5), 0.3,
                        "relu")
    assert metric(app, "Iterations per epoch") == "469"  # 60,000 / 128, rounded up
    assert metric(app, "Dense: learned numbers") == f"{28 * 28 * 100 + 100:,}"
    assert metric(app, "Convolution: learned numbers") == f"{5 * 5 * 8 + 8:,}"
    assert app.selectbox(key="iris_across").value == "sepal_length"
    assert (app.slider(key="iris_hidden").value, app.number_input(key="iris_epochs").value
            ) == (4, 80)
    assert {k: str(v) for k, v in app.query_params.items()} == params
    assert IRIS_JOB_KEY not in app.session_state  # a link never trains


def test_a_hostile_link_gives_the_defaults_and_one_note():
    app = open_page({"x1": "nan", "w2": "1e999", "bias": "99", "activation": "softmax",
                     "batch": "-3", "examples": "1; DROP TABLE", "channels": "4",
                     "across": "<script>alert(1)</script>", "hidden": "100000",
                     "iris_epochs": "0", "units": "9" * 400, "evil": "1"})
    assert not app.exception and not app.error
    notes = link_notes(app)
    assert len(notes) == 1 and "left at their defaults" in notes[0]
    assert "no setting called 'evil'" in notes[0]
    assert_neuron_shown(app, DEFAULT_INPUTS, DEFAULT_WEIGHTS, DEFAULT_BIAS, "sigmoid")
    assert metric(app, "Iterations per epoch") == "2"
    assert metric(app, "Dense: learned numbers") == "1,572,992"
    assert app.selectbox(key="iris_across").value == "petal_length"
    assert app.slider(key="iris_hidden").value == 10
    assert IRIS_JOB_KEY not in app.session_state


def nearest_centre_result(split, epochs: int = 40, flip: int = 0) -> IrisResult:
    """An IrisResult computed without Keras: each point gets the species whose training
    average is nearest (in standardised units). flip: that many test flowers answered wrong,
    for a weak result."""
    centres = np.stack([split.x_train[split.y_train == k].mean(axis=0) for k in range(3)])

    def answer(points):
        distances = ((points[:, None, :] - centres[None]) ** 2).sum(axis=2)
        return distances.argmin(axis=1), np.full(len(points), 0.8, np.float32)

    grids = []
    for pair in PAIRS:
        mesh = decision_grid(split.x_train, pair, resolution=20)
        classes, confidence = answer(mesh.points)
        grids.append(IrisGrid(pair, mesh.xs, mesh.ys, grid_classes(mesh, classes),
                              grid_classes(mesh, confidence)))
    predicted = answer(split.x_test)[0]
    predicted[:flip] = (split.y_test[:flip] + 1) % 3
    history = {"loss": list(np.linspace(1.1, 0.1, epochs)),
               "accuracy": list(np.linspace(0.4, 0.97, epochs))}
    return IrisResult(float(np.mean(predicted == split.y_test)), 0.97, history, predicted,
                      tuple(grids), 10, epochs, 83, 0, test_loss=0.12)


@pytest.fixture(scope="module")
def split():
    request = IrisRequest()
    return load_iris_split(request.test_fraction, request.seed)


def test_a_finished_iris_network_shows_accuracy_regions_and_history(split):
    result = nearest_centre_result(split)
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
    app.session_state[IRIS_RESULT_KEY] = (IrisRequest(), result)
    app.run()
    assert not app.exception and not app.error
    assert metric(app, "Test accuracy") == f"{result.test_accuracy:.1%}"
    right = int(np.sum(result.test_predictions == split.y_test))
    assert f"{right} of {len(split.y_test)} test flowers right" in text_of(app)
    charts = {chart.proto.id for chart in app.get("plotly_chart")}
    assert len(charts) >= 8  # diagram, 3 activations, softmax, layer cost, regions, history
    assert "held at their averages" in text_of(app)
    # The reverse order of a computed pair, and the same measurement twice.
    app.selectbox(key="iris_across").set_value("sepal_width").run()
    app.selectbox(key="iris_up").set_value("sepal_length").run()
    assert not app.exception and "petal length at" in text_of(app)
    app.selectbox(key="iris_up").set_value("sepal_width").run()
    assert any("two different measurements" in w.value for w in app.warning)
    # Settings changed after training: the results say which settings they come from.
    app.slider(key="iris_hidden").set_value(20).run()
    assert "trained with 10 hidden units for 40 epochs" in text_of(app)


def test_a_weak_result_gets_an_honest_sentence(split):
    result = nearest_centre_result(split, epochs=2, flip=8)
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
    app.session_state[IRIS_RESULT_KEY] = (IrisRequest(epochs=2), result)
    app.run()
    assert result.test_accuracy < 0.9
    assert "That is weak for iris" in text_of(app)
    assert "Try more epochs or more hidden units" in text_of(app)


def test_train_queues_an_iris_request_with_the_chosen_settings(monkeypatch):
    queued = []
    monkeypatch.setattr("ui.neurons_ui.queue_job", lambda key, request: queued.append(
        (key, request)))
    app = open_page()
    app.slider(key="iris_hidden").set_value(6).run()
    app.number_input(key="iris_epochs").set_value(25).run()
    assert not queued  # changing settings trains nothing
    app.button(key="iris_train").click().run()
    assert queued == [(IRIS_JOB_KEY, IrisRequest(hidden_units=6, epochs=25))]
