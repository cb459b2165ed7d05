"""AppTest of the Neurons and layers page's links beyond the round trip (test_neurons_page.py):
a teacher's locked controls are shown disabled at the linked values, hidden ones are absent
while the page still uses their linked values, and the settings and the address bar outlive a
visit to another page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from cnn_core.jobs.iris import IrisRequest
from cnn_core.maths.frames import format_number
from cnn_core.maths.neurons import neuron
from tests.app.conftest import (
    elsewhere_and_back,
    open_app_page,
    open_through_app,
)
from ui.neurons_link import DEFAULT_INPUTS, DEFAULT_WEIGHTS, neurons_settings
from ui.neurons_ui import IRIS_JOB_KEY

PAGE = "app_pages/0_Neurons_and_layers.py"
KINDS = {  # widget key -> AppTest accessor
    "neuron_x1": "slider", "neuron_x2": "slider", "neuron_x3": "slider",
    "neuron_w1": "slider", "neuron_w2": "slider", "neuron_w3": "slider",
    "neuron_bias": "slider", "neuron_activation": "radio",
    "softmax_cat": "slider", "softmax_dog": "slider", "softmax_bird": "slider",
    "steps_examples": "number_input", "steps_batch": "number_input",
    "steps_epochs": "number_input", "cost_height": "number_input",
    "cost_width": "number_input", "cost_channels": "selectbox", "cost_units": "number_input",
    "cost_kernel": "number_input", "cost_filters": "number_input",
    "iris_across": "selectbox", "iris_up": "selectbox", "iris_hidden": "slider",
    "iris_epochs": "number_input",
}
KEY_OF = {s.name: s.key for s in neurons_settings()}
PRESET_BUTTONS = ("cost_preset_0", "cost_preset_1")
# Every setting away from its default: what a teacher's lesson link might hold.
LINKED = {"x1": "-2.5", "w3": "1.5", "bias": "0.3", "activation": "relu", "score_dog": "3",
          "examples": "60000", "batch": "128", "epochs": "2", "height": "28", "width": "28",
          "channels": "1", "units": "100", "kernel": "5", "filters": "8",
          "across": "sepal_length", "up": "petal_length", "hidden": "4", "iris_epochs": "80"}
LINKED_VALUES = {"neuron_x1": -2.5, "neuron_w3": 1.5, "neuron_bias": 0.3,
                 "neuron_activation": "relu", "softmax_dog": 3.0, "steps_examples": 60_000,
                 "steps_batch": 128, "steps_epochs": 2, "cost_height": 28, "cost_width": 28,
                 "cost_channels": 1, "cost_units": 100, "cost_kernel": 5, "cost_filters": 8,
                 "iris_across": "sepal_length", "iris_up": "petal_length", "iris_hidden": 4,
                 "iris_epochs": 80}


def open_page(params: dict[str, str] | None = None) -> AppTest:
    return open_app_page(PAGE, params)


def widget(app: AppTest, key: str):
    return getattr(app, KINDS[key])(key=key)


def present(app: AppTest, key: str) -> bool:
    return any(w.key == key for w in app.get(KINDS[key]))


def metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def params_of(app: AppTest) -> dict[str, str]:
    return {name: str(value) for name, value in app.query_params.items()}


def link_notes(app: AppTest) -> list[str]:
    return [w.value for w in app.warning if "link" in w.value]


def seen(app: AppTest) -> dict:
    """Every control on screen and what the page computed from them."""
    shown = {key: widget(app, key).value for key in KINDS if present(app, key)}
    shown.update({m.label: m.value for m in app.metric})
    shown["formulas"] = [str(latex.value) for latex in app.latex]
    return shown


def test_the_page_has_a_control_for_every_linked_setting():
    assert set(KEY_OF.values()) == set(KINDS)


# ---- Teacher options --------------------------------------------------------------------------

def test_locked_controls_are_disabled_at_the_linked_values():
    lock = ",".join(KEY_OF)
    app = open_page({**LINKED, "lock": lock, "task": "Make the neuron say 0"})
    assert not app.exception and not link_notes(app)
    for key in KINDS:
        assert widget(app, key).disabled, key
    for key, value in LINKED_VALUES.items():
        assert widget(app, key).value == value, key
    # The material's two examples would change the locked sizes: their buttons are off too.
    for key in PRESET_BUTTONS:
        assert app.button(key=key).disabled, key
    assert "Make the neuron say 0" in app.info[0].value
    # The linked values are the ones the page computes with.
    assert metric(app, "Iterations per epoch") == "469"  # 60,000 / 128, rounded up
    assert metric(app, "Dense: learned numbers") == f"{28 * 28 * 100 + 100:,}"
    # The learner's own address bar keeps the lock, so a reload keeps it too.
    assert params_of(app)["lock"] == lock
    assert IRIS_JOB_KEY not in app.session_state  # a link never trains


def test_only_the_locked_controls_are_disabled():
    app = open_page({"bias": "0.3", "batch": "128", "lock": "bias,batch"})
    assert not app.exception and not link_notes(app)
    assert app.slider(key="neuron_bias").disabled
    assert app.slider(key="neuron_bias").value == 0.3
    assert app.number_input(key="steps_batch").disabled
    assert app.number_input(key="steps_batch").value == 128
    for key in set(KINDS) - {"neuron_bias", "steps_batch"}:
        assert not widget(app, key).disabled, key
    # No size is fixed, so the examples' buttons stay free.
    for key in PRESET_BUTTONS:
        assert not app.button(key=key).disabled, key


def test_hidden_controls_are_absent_and_their_linked_values_still_used(monkeypatch):
    queued = []
    monkeypatch.setattr("ui.neurons_ui.queue_job", lambda key, request: queued.append(
        (key, request)))
    hide = "x1,w1,activation,batch,height,channels,across,hidden"
    app = open_page({"x1": "3", "w1": "-2", "activation": "tanh", "batch": "300",
                     "height": "28", "channels": "1", "across": "sepal_width", "hidden": "6",
                     "hide": hide})
    assert not app.exception and not link_notes(app)
    for name in hide.split(","):
        assert not present(app, KEY_OF[name]), name
    for key in ("neuron_x2", "neuron_w2", "neuron_bias", "steps_examples", "cost_width",
                "cost_units", "iris_up", "iris_epochs"):
        assert present(app, key) and not widget(app, key).disabled, key
    for key in PRESET_BUTTONS:  # they would change a hidden size behind the learner's back
        assert app.button(key=key).disabled, key
    # The page computes with the hidden controls' linked values.
    expected = neuron((3.0, *DEFAULT_INPUTS[1:]), (-2.0, *DEFAULT_WEIGHTS[1:]), 0.5, "tanh")
    assert metric(app, "Weighted sum z") == format_number(expected.z)
    assert metric(app, "Output a") == format_number(expected.output)
    assert metric(app, "Iterations per epoch") == "4"  # 1,000 in batches of 300
    assert metric(app, "Dense: learned numbers") == f"{28 * 64 * 1 * 128 + 128:,}"
    assert params_of(app)["hide"] == hide
    app.button(key="iris_train").click().run()
    assert queued == [(IRIS_JOB_KEY, IrisRequest(hidden_units=6, epochs=40))]


# ---- Leaving the page and coming back ---------------------------------------------------------

def open_app() -> AppTest:
    return open_through_app(PAGE, timeout=60)



def test_settings_and_the_address_bar_outlive_a_visit_to_another_page():
    app = open_app()
    assert params_of(app) == {}
    app.slider(key="neuron_x2").set_value(-1.5).run()
    app.radio(key="neuron_activation").set_value("relu").run()
    app.slider(key="softmax_bird").set_value(4.0).run()
    app.number_input(key="steps_batch").set_value(300).run()
    app.button(key="cost_preset_1").click().run()  # a button's values must stay too
    app.number_input(key="cost_kernel").set_value(5).run()
    app.selectbox(key="iris_up").set_value("sepal_width").run()
    app.number_input(key="iris_epochs").set_value(90).run()
    assert not app.exception
    before, address = seen(app), params_of(app)
    assert address == {"x2": "-1.5", "activation": "relu", "score_bird": "4", "batch": "300",
                       "height": "256", "width": "256", "units": "1000", "kernel": "5",
                       "up": "sepal_width", "iris_epochs": "90"}
    back = elsewhere_and_back(app, PAGE)
    assert not back.exception and not link_notes(back)
    assert seen(back) == before
    assert params_of(back) == address
