"""AppTest of the Pooling page's links: every setting round-trips through the address bar,
hostile links fall back to the defaults with one note, and a teacher's locked and hidden
controls."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_app_page
from ui.pooling_link import pooling_settings

PAGE = "app_pages/3_Pooling.py"
KEYS = [s.key for s in pooling_settings() if s.key]


def open_link(params: dict[str, str]) -> AppTest:
    return open_app_page(PAGE, params)


def params_of(app) -> dict[str, str]:
    return {name: str(value) for name, value in app.query_params.items()}


def link_notes(app) -> list[str]:
    """The note about a link (the page's own warnings, such as dropped cells, left out)."""
    return [w.value for w in app.warning if "link" in w.value]


def text_starting(app, start: str) -> str:
    return next(m.value for m in app.markdown if str(m.value).startswith(start))


def shown(app) -> dict:
    """Every linked control's value on screen, and what the page computed from them: the
    size line, the step and its sum, and the shift lesson's caption."""
    widgets = {}
    for kind in ("selectbox", "slider", "number_input", "radio"):
        for widget in app.get(kind):
            if widget.key in KEYS:
                widgets[widget.key] = widget.value
    return {"widgets": widgets, "size": text_starting(app, "**Size:**"),
            "step": text_starting(app, "**Step "), "sum": app.code[0].value,
            "shift": next(c.value for c in app.caption if c.value.startswith("Moving the map"))}


def assert_round_trip(app) -> dict[str, str]:
    assert not app.exception and not app.error
    params = params_of(app)
    again = open_link(params)
    assert not again.exception and not link_notes(again), params
    assert shown(again) == shown(app), params
    assert params_of(again) == params
    return params


DEFAULTS: dict = {}


@pytest.fixture(scope="module", autouse=True)
def _defaults():
    DEFAULTS.update(shown(open_link({})))


def test_the_defaults_make_an_empty_link_and_reopen_the_same():
    app = open_link({})
    assert params_of(app) == {}
    assert_round_trip(app)


def test_mode_window_stride_padding_step_and_shift_round_trip():
    app = open_link({})
    app.radio(key="pool_mode").set_value("avg").run()
    app.radio(key="pool_size").set_value(3).run()
    app.radio(key="pool_stride").set_value(1).run()
    app.radio(key="pool_padding").set_value("same").run()
    app.slider(key="pool_step").set_value(5).run()
    app.radio(key="pool_shift").set_value("down").run()
    app.radio(key="pool_shift_by").set_value(2).run()
    params = assert_round_trip(app)
    assert params == {"mode": "avg", "window": "3", "padding": "same", "stride": "1",
                      "step": "5", "shift": "down", "shift_by": "2"}
    assert text_starting(open_link(params), "**Step ").startswith("**Step 5 of ")


@pytest.mark.parametrize("source, changes", [
    ("Edge map of a digit", [("selectbox", "pool_digit", 4),
                             ("selectbox", "pool_digit_edge", "Laplacian"),
                             ("slider", "pool_digit_side", 12)]),
    ("Random grid", [("slider", "pool_grid_size", 9), ("number_input", "pool_grid_seed", 3)]),
    ("Edge map of a photo", [("selectbox", "pool_photo", "Astronaut"),
                             ("selectbox", "pool_edge", "Sobel y")]),
])
def test_each_input_and_its_values_round_trip(source, changes):
    app = open_link({})
    app.radio(key="pool_source").set_value(source).run()
    for kind, key, value in changes:
        getattr(app, kind)(key=key).set_value(value).run()
    params = assert_round_trip(app)
    expected = len(changes) + (source != "Edge map of a digit")  # the default input is left out
    assert len(params) == expected, params


def test_the_sliding_window_output_as_input_says_where_to_make_one():
    """The map from the other page is not in the link: a new browser is told to make one."""
    app = open_link({"input": "Sliding-window output"})
    assert not app.exception and not app.warning
    assert app.radio(key="pool_source").value == "Sliding-window output"
    assert any("Nothing from the Sliding window page yet" in i.value for i in app.info)


HOSTILE = [
    {"input": "Nope"}, {"mode": "min"}, {"window": "1000"}, {"stride": "-1"},
    {"padding": "x" * 10_000}, {"step": "NaN"}, {"step": "1e400"}, {"digit": "20"},
    {"digit_edge": "Mean blur 8x8"}, {"side": "5"}, {"grid_size": "1000"}, {"seed": "-3"},
    {"photo": "<img src=x>"}, {"shift": "sideways"}, {"shift_by": "1000000"},
]


@pytest.mark.parametrize("params", HOSTILE, ids=lambda p: next(iter(p)))
def test_a_hostile_link_gives_the_defaults_and_one_note(params):
    app = open_link(params)
    assert not app.exception and not app.error
    (note,) = link_notes(app)
    assert "could not be used" in note and len(note) < 400
    assert shown(app) == DEFAULTS
    assert params_of(app) == {}


def test_locked_controls_are_disabled_at_the_linked_values():
    app = open_link({"mode": "avg", "step": "3", "shift": "left",
                     "lock": "input,digit,mode,window,stride,padding,step,shift",
                     "task": "Find the window whose average is largest."})
    assert not app.exception and not app.warning
    assert any("Find the window whose average is largest" in i.value for i in app.info)
    for widget in (app.radio(key="pool_source"), app.selectbox(key="pool_digit"),
                   app.radio(key="pool_mode"), app.radio(key="pool_size"),
                   app.radio(key="pool_stride"), app.radio(key="pool_padding"),
                   app.slider(key="pool_step"), app.button(key="pool_next"),
                   app.button(key="pool_play"), app.radio(key="pool_shift")):
        assert widget.disabled, widget.key
    assert app.radio(key="pool_mode").value == "avg" and app.slider(key="pool_step").value == 3
    assert not app.radio(key="pool_shift_by").disabled
    assert not app.selectbox(key="pool_digit_edge").disabled


def test_hidden_controls_are_absent_and_the_page_still_uses_the_linked_values():
    app = open_link({"input": "Random grid", "grid_size": "9", "window": "3", "step": "2",
                     "hide": "input,grid_size,seed,window,step"})
    assert not app.exception and not link_notes(app)
    keys = {w.key for kind in ("radio", "slider", "number_input", "button")
            for w in app.get(kind)}
    for absent in ("pool_source", "pool_grid_size", "pool_grid_seed", "pool_size",
                   "pool_step", "pool_next", "pool_play"):
        assert absent not in keys, absent
    assert "pool_mode" in keys
    assert text_starting(app, "**Size:**").startswith("**Size:** 9x9 → 4x4")
    assert text_starting(app, "**Step ").startswith("**Step 2 of 16")
