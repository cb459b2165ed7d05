"""AppTest of the Your own images page's links: its settings go into the address bar and
reopen identically in a new session with no note; a teacher's locked controls are shown
disabled at the linked values and hidden ones are absent while the page still trains with
their linked values; the settings and the address bar outlive a visit to another page.
(Hostile links: test_own_images_page.py.)"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import (
    elsewhere_and_back,
    open_app_page,
    open_through_app,
)
from ui.own_images_link import own_images_settings
from ui.own_images_train_ui import JOBS_KEY

PAGE = "app_pages/5_Your_own_images.py"
KINDS = {  # widget key -> AppTest accessor
    "own_source": "radio", "own_example": "selectbox", "own_per_class": "slider",
    "own_base": "radio", "own_epochs": "slider", "own_fine_tune": "toggle",
    "own_fine_tune_epochs": "slider",
}
KEY_OF = {s.name: s.key for s in own_images_settings()}


@pytest.fixture(autouse=True)
def _no_mobilenet_here(monkeypatch):
    """Choosing MobileNetV2 asks whether its weights are here or can be fetched (the internet):
    the test says they are neither, so the choice is kept and nothing is fetched."""
    monkeypatch.setattr("ui.own_images_train_ui.mobilenet_weights_cached", lambda: False)
    monkeypatch.setattr("ui.own_images_train_ui._mobilenet_available", lambda: False)


def open_page(query: dict[str, str] | None = None) -> AppTest:
    return open_app_page(PAGE, query, timeout=90)


def widget(app: AppTest, key: str):
    return getattr(app, KINDS[key])(key=key)


def present(app: AppTest, key: str) -> bool:
    return any(w.key == key for w in app.get(KINDS[key]))


def params_of(app: AppTest) -> dict[str, str]:
    return {name: str(value) for name, value in app.query_params.items()}


def link_notes(app: AppTest) -> list[str]:
    return [w.value for w in app.warning if "link" in w.value]


def seen(app: AppTest) -> dict:
    """Every linked control on screen, the classes' overview and the base's sentence."""
    shown = {key: widget(app, key).value for key in KINDS if present(app, key)}
    shown["text"] = [str(m.value) for m in [*app.markdown, *app.caption]]
    shown["problems"] = [e.value for e in app.error]
    return shown


def text_of(app: AppTest) -> str:
    return "\n".join(str(m.value) for m in [*app.markdown, *app.caption])


def test_the_page_has_a_control_for_every_linked_setting():
    assert set(KEY_OF.values()) == set(KINDS)


# ---- Round trip -------------------------------------------------------------------------------

CHANGES = {
    "example and size": [("own_example", "bird_vs_not_bird"), ("own_per_class", 60)],
    "training": [("own_epochs", 9), ("own_fine_tune", True), ("own_fine_tune_epochs", 4)],
    "base": [("own_base", "mobilenet_v2")],
    "everything": [("own_example", "bird_vs_not_bird"), ("own_per_class", 30),
                   ("own_base", "mobilenet_v2"), ("own_epochs", 1), ("own_fine_tune", True),
                   ("own_fine_tune_epochs", 20)],
    "own pictures": [("own_source", "own"), ("own_epochs", 12)],
}


@pytest.mark.parametrize("changes", CHANGES.values(), ids=CHANGES.keys())
def test_settings_in_the_address_bar_reopen_identically_in_a_new_session(changes):
    app = open_page()
    for key, value in changes:
        widget(app, key).set_value(value).run()
    assert not app.exception
    before, params = seen(app), params_of(app)
    for key, value in changes:
        assert before[key] == value, key
    assert len(params) == len({key for key, _ in changes})  # the defaults stay out of it
    again = open_page(params)
    assert not again.exception and not link_notes(again), params
    assert seen(again) == before
    assert params_of(again) == params
    assert JOBS_KEY not in again.session_state or not again.session_state[JOBS_KEY]


def test_the_defaults_make_an_empty_address_bar():
    app = open_page()
    assert not app.exception and params_of(app) == {}


# ---- Teacher options --------------------------------------------------------------------------

def test_locked_controls_are_disabled_at_the_linked_values():
    lock = ",".join(KEY_OF)
    app = open_page({"example": "bird_vs_not_bird", "per_class": "50", "base": "mobilenet_v2",
                     "epochs": "7", "fine_tune": "1", "fine_tune_epochs": "3", "lock": lock,
                     "task": "Which network wins with 50 birds?"})
    assert not app.exception and not link_notes(app)
    for key in KINDS:
        assert widget(app, key).disabled, key
    assert app.radio(key="own_source").value == "example"
    assert app.selectbox(key="own_example").value == "bird_vs_not_bird"
    assert app.slider(key="own_per_class").value == 50
    assert app.radio(key="own_base").value == "mobilenet_v2"
    assert app.slider(key="own_epochs").value == 7
    assert app.toggle(key="own_fine_tune").value is True
    assert app.slider(key="own_fine_tune_epochs").value == 3
    assert "bird 50, not bird 50" in text_of(app)
    assert "Which network wins with 50 birds?" in app.info[0].value.replace("\\", "")
    assert not app.button(key="own_train").disabled  # training is still the learner's to start
    # The learner's own address bar keeps the lock, so a reload keeps it too.
    assert params_of(app)["lock"] == lock


def test_only_the_locked_controls_are_disabled():
    app = open_page({"per_class": "40", "epochs": "5", "lock": "per_class,epochs"})
    assert not app.exception and not link_notes(app)
    assert app.slider(key="own_per_class").disabled
    assert app.slider(key="own_per_class").value == 40
    assert app.slider(key="own_epochs").disabled and app.slider(key="own_epochs").value == 5
    for key in ("own_source", "own_example", "own_base", "own_fine_tune"):
        assert not widget(app, key).disabled, key


def test_hidden_controls_are_absent_and_training_uses_their_linked_values(monkeypatch):
    queued = []

    def fake_queue(approach, request, after=None):
        queued.append((approach, request))
        return True

    monkeypatch.setattr("ui.own_images_train_ui._queue", fake_queue)
    hide = "source,example,per_class,epochs,fine_tune,fine_tune_epochs"
    app = open_page({"example": "bird_vs_not_bird", "per_class": "30", "epochs": "5",
                     "fine_tune": "1", "fine_tune_epochs": "2", "hide": hide})
    assert not app.exception and not link_notes(app)
    for name in hide.split(","):
        assert not present(app, KEY_OF[name]), name
    assert present(app, "own_base") and not app.radio(key="own_base").disabled
    assert "bird 30, not bird 30" in text_of(app)
    assert params_of(app)["hide"] == hide
    assert not queued  # a link never trains
    app.button(key="own_train").click().run()
    assert not app.exception
    scratch = queued[0][1]
    assert scratch.approach == "scratch" and scratch.epochs == 5 + 2
    assert scratch.x.shape[0] == 60 and scratch.class_names == ("bird", "not bird")
    transfer = queued[1][1]
    assert (transfer.epochs, transfer.fine_tune, transfer.fine_tune_epochs) == (5, True, 2)


# ---- Leaving the page and coming back ---------------------------------------------------------

def open_app() -> AppTest:
    return open_through_app(PAGE, timeout=90)



def test_settings_and_the_address_bar_outlive_a_visit_to_another_page():
    app = open_app()
    assert params_of(app) == {}
    for key, value in CHANGES["everything"]:
        widget(app, key).set_value(value).run()
    assert not app.exception
    before, address = seen(app), params_of(app)
    assert address == {"example": "bird_vs_not_bird", "per_class": "30",
                       "base": "mobilenet_v2", "epochs": "1", "fine_tune": "1",
                       "fine_tune_epochs": "20"}
    back = elsewhere_and_back(app, PAGE)
    assert not back.exception and not link_notes(back)
    assert seen(back) == before
    assert params_of(back) == address
