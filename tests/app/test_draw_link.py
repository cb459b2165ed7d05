"""AppTest of the Draw and predict page's link: its settings round-trip through the address bar
(the same digit gives the same answer), a model that is not here falls back with a note, hostile
links give the defaults and one note, and teacher options lock or hide controls. The model
worker starts TensorFlow, hence the generous timeouts."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from cnn_core import config
from cnn_core.models.reports import ModelReport
from cnn_core.models.specs import pretrained_path
from tests.app.conftest import open_app_page
from ui.draw_link import draw_settings

PAGE = "app_pages/6_Draw_and_predict.py"
TIMEOUT = 180
WIDGET_KINDS = ("radio", "slider", "number_input", "selectbox", "toggle")


def open_page(params: dict[str, str] | None = None, state: dict | None = None) -> AppTest:
    """The page in a new browser with `params` in the address bar; `state`: what this session
    already had (a model trained on the Train page)."""
    return open_app_page(PAGE, params, state, timeout=TIMEOUT)


def widgets(app: AppTest) -> dict:
    return {w.key: w for kind in WIDGET_KINDS for w in getattr(app, kind)}


def shown(app: AppTest) -> dict:
    """Every setting's control as the page shows it, by link name (None: not drawn)."""
    drawn = widgets(app)
    return {s.name: drawn[s.key].value if s.key in drawn else None for s in draw_settings()}


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def link_notes(app: AppTest) -> str:
    """The page's warnings: all of them are about what a link could not set."""
    return texts(app.warning)


def answer(app: AppTest) -> list:
    """What the page says about the digit: metrics, the shift table, Grad-CAM's titles."""
    charts = sorted(e.proto.spec for e in app.get("plotly_chart")
                    if e.proto.id.endswith("grad_cam"))
    table = [m.value for m in app.markdown if m.value.startswith("At this shift")]
    return [[(m.label, m.value) for m in app.metric], table, charts]


def your_model() -> ModelReport:
    """A digit model "trained in this session" (the shipped dense net's file stands in)."""
    return ModelReport("Dense baseline on MNIST", "mnist", list(config.MNIST_CLASSES),
                       str(pretrained_path("mnist_dense")), np.array([1, 2]),
                       np.eye(10, dtype=np.float32)[[1, 2]], np.arange(2))


def test_every_setting_round_trips_and_gives_the_same_answer():
    app = open_page(state={"train_report": your_model()})
    assert app.radio(key="draw_model").value == "yours"  # the learner's own model comes first
    app.radio(key="draw_model").set_value("shipped")
    app.radio(key="draw_source").set_value("mnist").run()
    app.number_input(key="draw_mnist_index").set_value(7).run()
    app.selectbox(key="draw_cam_class").set_value("3")
    app.toggle(key="draw_cam_classic").set_value(True)
    app.toggle(key="draw_maps_shared").set_value(True)
    app.slider(key="shift_dx").set_value(4)
    app.slider(key="shift_dy").set_value(-2)
    app.selectbox(key="silly_photo").set_value("Astronaut")
    app.run()
    assert not app.exception and not app.error
    before = shown(app)
    assert before == {"source": "mnist", "index": 7, "model": "shipped", "dx": 4, "dy": -2,
                      "shared": True, "cam": "3", "classic": True, "photo": "Astronaut"}
    params = dict(app.query_params)
    assert params == {"source": "mnist", "index": "7", "model": "shipped", "dx": "4",
                      "dy": "-2", "shared": "1", "cam": "3", "classic": "1",
                      "photo": "Astronaut"}

    # A new browser has no model of its own: the radio is not drawn, the shipped CNN is used.
    again = open_page(params)
    assert not again.exception and not again.error and not link_notes(again)
    assert shown(again) == before | {"model": None}
    assert again.session_state["draw_model"] == "shipped"
    assert answer(again) == answer(app)
    assert dict(again.query_params) == params
    assert "draw_shift_job" not in again.session_state  # a link never trains
    # The same link where the learner has trained a model still shows the shipped one.
    trained = open_page(params, state={"train_report": your_model()})
    assert shown(trained) == before and answer(trained) == answer(app)


def test_a_link_to_a_model_that_is_not_here_falls_back_with_a_note():
    app = open_page({"model": "yours", "source": "mnist"})
    assert not app.exception and not app.error
    note = link_notes(app)
    assert "Your own model from Train a CNN is not available here" in note
    assert "**Shipped MNIST CNN**" in note and "\n" not in note
    assert "Shipped MNIST CNN" in texts(app.caption)  # the model actually used
    app.run()
    assert "model" not in app.query_params and not link_notes(app)  # said once, then gone


HOSTILE = {"source": "webcam", "index": "1e9", "model": "../../etc/passwd", "dx": "NaN",
           "dy": "-99", "shared": "maybe", "cam": "11", "classic": "2",
           "photo": "x" * 10_000}


def test_hostile_values_give_the_defaults_and_one_note():
    defaults = shown(open_page())
    app = open_page(HOSTILE | {"index": "-1", "nonsense": "1", "lock": "<script>",
                               "task": "`rm -rf /` **bold** [x](http://e.vil)"})
    assert not app.exception and not app.error
    assert shown(app) == defaults
    (note,) = [w.value for w in app.warning]
    assert note.startswith("Some settings in the link could not be used")
    assert "This page has no setting called 'nonsense'" in note
    assert dict(app.query_params) == {"task": "`rm -rf /` **bold** [x](http://e.vil)"}
    task = next(i.value for i in app.info if i.value.startswith("**Your task:**"))
    assert "[x](http" not in task  # shown as typed, never as a link


def test_each_hostile_value_alone_is_refused():
    for name, value in HOSTILE.items():
        app = open_page({name: value})
        assert not app.exception, name
        assert "could not be used" in link_notes(app), name
        assert name not in app.query_params, name


def test_a_test_image_this_data_lacks_falls_back_with_a_sentence(tmp_path, use_data_folder):
    use_data_folder(tmp_path)  # only the bundled subset: fewer than 10,000 test digits
    app = open_page({"source": "mnist", "index": "9999"})
    assert not app.exception and not app.error
    assert "Test image 9,999 is not among the 1,000 test images here" in link_notes(app)
    assert app.number_input(key="draw_mnist_index").value == 0
    assert app.metric[2].label == "True label"


def test_locked_controls_are_disabled_and_hidden_ones_absent():
    app = open_page({"source": "mnist", "index": "12", "cam": "5", "model": "shipped",
                     "lock": "index,cam,dx", "hide": "source,classic,photo",
                     "task": "Why does the network say what it says?"},
                    state={"train_report": your_model()})
    assert not app.exception and not app.error
    assert "Why does the network say what it says?" in texts(app.info)
    for key in ("draw_mnist_index", "draw_cam_class", "shift_dx"):
        assert widgets(app)[key].disabled, key
    assert app.button(key="draw_mnist_random").disabled  # would change the locked number
    assert app.number_input(key="draw_mnist_index").value == 12
    assert not {"draw_source", "draw_cam_classic", "silly_photo"} & set(widgets(app))
    assert app.radio(key="draw_model").value == "shipped"
    assert not app.radio(key="draw_model").disabled  # not locked: still the learner's choice
    hidden = open_page({"source": "mnist", "hide": "index,model"},
                       state={"train_report": your_model()})
    assert not hidden.exception
    assert not {"draw_mnist_index", "draw_model"} & set(widgets(hidden))
    assert not [b for b in hidden.button if b.key == "draw_mnist_random"]
    assert hidden.metric[2].label == "True label"  # test image 0, by the learner's model
