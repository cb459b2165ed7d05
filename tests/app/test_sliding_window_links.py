"""AppTest of the Sliding window page's links: every setting round-trips through the address
bar, the lesson links show the teaching material's answers, hostile links fall back to the
defaults with one note, and a teacher's locked and hidden controls."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.config import CLASSIC_GRID, EDGE_GRID, SLIDING_WINDOW_OUTPUT_KEY
from cnn_core.maths.convolution import convolve2d
from cnn_core.maths.kernels import PRESET_KERNELS
from tests.app.conftest import REPO_ROOT, open_app_page
from ui.sliding_window_link import sliding_window_settings

PAGE = "app_pages/2_Sliding_window.py"

# The built-in lessons' links (the home page links to them): the settings are all written
# out, so a learner who changed the page earlier in the session still gets the lesson.
LESSON_5X5 = {"input": "Classic 5x5", "mode": "Preset", "kernel": "Vertical edge",
              "padding": "valid", "stride": "1", "step": "9"}
LESSON_EDGE = {"input": "Edge 6x6", "mode": "Preset", "kernel": "Vertical edge",
               "padding": "valid", "stride": "1", "step": "16"}

KEYS = [s.key for s in sliding_window_settings() if s.key]


def open_link(params: dict[str, str]) -> AppTest:
    return open_app_page(PAGE, params)


def animation(app) -> dict:
    chart = next(c for c in app.get("plotly_chart") if c.proto.id.endswith("sw_animation"))
    return json.loads(chart.proto.spec)


def output_shown(app) -> list[list[str]]:
    """The numbers written on the figure's output panel."""
    panel = next(t for t in animation(app)["data"] if str(t.get("name", "")).startswith("Output"))
    return panel["text"]


def step_line(app) -> str:
    return next(m.value for m in app.markdown if str(m.value).startswith("**Step "))


def shown(app) -> dict:
    """Every linked control's value on screen, and what the page computed from them."""
    widgets = {}
    for kind in ("selectbox", "slider", "number_input", "radio", "multiselect", "text_area"):
        for widget in app.get(kind):
            if widget.key in KEYS:
                widgets[widget.key] = widget.value
    output = app.session_state[SLIDING_WINDOW_OUTPUT_KEY]
    return {"widgets": widgets, "output": np.asarray(output["values"]).tolist(),
            "label": output["label"], "step": step_line(app),
            "channels": app.code[1].value if len(app.code) > 1 else None}


def params_of(app) -> dict[str, str]:
    return {name: str(value) for name, value in app.query_params.items()}


def assert_round_trip(app) -> dict[str, str]:
    assert not app.exception and not app.error
    params = params_of(app)
    again = open_link(params)
    assert not again.exception and not again.warning, params
    assert shown(again) == shown(app), params
    assert params_of(again) == params
    return params


# ---- the lesson links ----------------------------------------------------------------------

def test_lesson_link_5x5_grid_with_the_vertical_edge_kernel_gives_the_material_answer():
    app = open_link(LESSON_5X5)
    assert not app.exception and not app.error and not app.warning
    answer = [[-3, 4, -7], [-3, 0, -8], [-4, -9, -10]]
    np.testing.assert_array_equal(app.session_state[SLIDING_WINDOW_OUTPUT_KEY]["values"], answer)
    assert output_shown(app) == [[str(v) for v in row] for row in answer]
    assert step_line(app).startswith("**Step 9 of 9: output row 2, column 2**")
    assert app.code[0].value.endswith("= -10")
    # The material's answer is the page's own arithmetic, not a number typed in here.
    np.testing.assert_array_equal(
        convolve2d(np.array(CLASSIC_GRID, float), PRESET_KERNELS["Vertical edge"].matrix), answer)


def test_lesson_link_6x6_edge_image_gives_0_24_24_0_on_every_row():
    app = open_link(LESSON_EDGE)
    assert not app.exception and not app.error and not app.warning
    answer = [[0, 24, 24, 0]] * 4
    np.testing.assert_array_equal(app.session_state[SLIDING_WINDOW_OUTPUT_KEY]["values"], answer)
    assert output_shown(app) == [["0", "24", "24", "0"]] * 4
    assert step_line(app).startswith("**Step 16 of 16")
    assert any("where the 8s meet the 0s" in c.value for c in app.caption)
    np.testing.assert_array_equal(
        convolve2d(np.array(EDGE_GRID, float), PRESET_KERNELS["Vertical edge"].matrix), answer)


def test_a_lesson_link_wins_over_what_the_session_had_changed():
    app = open_link({"input": "Random", "kernel": "Sobel y", "stride": "2", "padding": "same"})
    assert app.selectbox(key="sw_grid_source").value == "Random"
    for name, value in LESSON_5X5.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception
    assert app.selectbox(key="sw_grid_source").value == "Classic 5x5"
    assert app.selectbox(key="sw_kernel_preset").value == "Vertical edge"
    assert app.radio(key="sw_stride").value == 1 and app.radio(key="sw_padding").value == "valid"
    assert output_shown(app)[0] == ["-3", "4", "-7"]


# ---- every setting round-trips -------------------------------------------------------------

def test_the_defaults_make_an_empty_link_and_reopen_the_same():
    app = open_link({})
    assert params_of(app) == {}
    assert_round_trip(app)


def test_preset_padding_stride_step_and_the_extra_views_round_trip():
    app = open_link({})
    app.selectbox(key="sw_grid_source").set_value("Edge 6x6").run()
    app.selectbox(key="sw_kernel_preset").set_value("Sobel x").run()
    app.radio(key="sw_padding").set_value("same").run()
    app.radio(key="sw_stride").set_value(2).run()
    app.slider(key="sw_step").set_value(5).run()
    app.button(key="sw_rgb_next").click().run()
    app.multiselect(key="sw_filters").set_value(["Laplacian", "Emboss"]).run()
    params = assert_round_trip(app)
    assert params == {"input": "Edge 6x6", "kernel": "Sobel x", "padding": "same",
                      "stride": "2", "step": "5", "rgb_step": "2", "filters": "Laplacian,Emboss"}


def test_a_custom_kernel_round_trips_exactly():
    app = open_link({})
    app.radio(key="sw_kernel_mode").set_value("Custom").run()
    app.text_area(key="sw_kernel_text").set_value("1/3 0 -1/3\n0.25 2 0").run()
    params = assert_round_trip(app)
    assert params["mode"] == "Custom"
    assert params["matrix"] == f"{1 / 3!r},0,{-1 / 3!r};0.25,2,0"


@pytest.mark.parametrize("source, changes", [
    ("Random", [("slider", "sw_grid_size", 11), ("number_input", "sw_grid_seed", 7)]),
    ("MNIST digit", [("selectbox", "sw_grid_digit", 3), ("slider", "sw_grid_side", 9)]),
    ("Photo crop", [("selectbox", "sw_grid_photo", "Coffee cup"), ("slider", "sw_grid_crop", 50),
                    ("slider", "sw_grid_across", 20), ("slider", "sw_grid_down", 70),
                    ("slider", "sw_grid_side", 10)]),
])
def test_each_input_source_and_its_values_round_trip(source, changes):
    app = open_link({})
    app.selectbox(key="sw_grid_source").set_value(source).run()
    for kind, key, value in changes:
        getattr(app, kind)(key=key).set_value(value).run()
    params = assert_round_trip(app)
    assert params["input"] == source and len(params) == 1 + len(changes)


def test_a_typed_grid_round_trips_with_its_size_and_decimals():
    app = open_link({})
    app.selectbox(key="sw_grid_source").set_value("Edit the numbers").run()
    app.number_input(key="sw_grid_rows").set_value(4).run()
    app.number_input(key="sw_grid_cols").set_value(6).run()
    app.session_state["sw_grid_editor_4x6"] = {"edited_rows": {1: {"5": "2.5"}, 3: {"0": "-7"}},
                                               "added_rows": [], "deleted_rows": []}
    app.run()
    params = assert_round_trip(app)
    assert params["input"] == "Edit the numbers"
    expected = np.zeros((4, 6))
    expected[:4, :5] = np.array(CLASSIC_GRID)[:4]
    expected[1, 5], expected[3, 0] = 2.5, -7
    assert params["grid"] == ";".join(",".join(f"{v:g}" for v in row) for row in expected)
    again = open_link(params)
    assert again.number_input(key="sw_grid_rows").value == 4
    assert again.number_input(key="sw_grid_cols").value == 6
    np.testing.assert_array_equal(again.session_state["sw_grid_typed"], expected)


def as_in_the_app() -> AppTest:
    """The page run as app.py runs it: every setting saved again before each run, which is what
    keeps a control's value while it is off screen (AppTest's page switch skips app.py)."""
    script = (f"import runpy\nfrom ui.links import keep_settings_across_pages\n"
              f"keep_settings_across_pages()\nrunpy.run_path({str(REPO_ROOT / PAGE)!r})\n")
    return AppTest.from_string(script, default_timeout=60).run()


def test_a_typed_grid_and_its_size_stay_while_another_input_is_shown():
    app = as_in_the_app()
    app.selectbox(key="sw_grid_source").set_value("Edit the numbers").run()
    app.number_input(key="sw_grid_cols").set_value(3).run()
    app.session_state["sw_grid_editor_5x3"] = {"edited_rows": {0: {"2": "-4"}},
                                               "added_rows": [], "deleted_rows": []}
    app.run()
    typed = params_of(app)["grid"]
    assert typed.startswith("3,2,-4;") and typed.count(";") == 4
    app.selectbox(key="sw_grid_source").set_value("Classic 5x5").run()
    assert "grid" not in params_of(app)
    app.selectbox(key="sw_grid_source").set_value("Edit the numbers").run()
    assert not app.exception
    assert app.number_input(key="sw_grid_cols").value == 3  # Streamlit alone would say 5
    assert params_of(app)["grid"] == typed  # a new table, started from the grid typed
    app.number_input(key="sw_grid_rows").set_value(2).run()
    assert params_of(app)["grid"] == ";".join(typed.split(";")[:2])


# ---- hostile and stale links ---------------------------------------------------------------

HOSTILE = [
    {"input": "Nope"}, {"grid_size": "NaN"}, {"seed": "1e309"}, {"step": "9" * 40},
    {"stride": "0"}, {"padding": "x" * 10_000}, {"kernel": "<script>alert(1)</script>"},
    {"matrix": ";".join([",".join(["1"] * 100)] * 100)},     # 100 x 100: too long to read
    {"matrix": ";".join([",".join(["1"] * 6)] * 6)},         # 6x6: over the 5x5 bound
    {"grid": ";".join([",".join(["1"] * 100)] * 100)},
    {"grid": ";".join([",".join(["0"] * 17)] * 17)},         # 17x17: over the 16x16 bound
    {"grid": "1,2;3"}, {"grid": "1,nan"}, {"grid": "1e300"}, {"digit": "-1"}, {"crop": "4"},
    {"filters": "Sobel x,Sobel x"}, {"filters": "Mean blur 8x8"}, {"rgb_step": "10"},
    {"photo": "../../etc/passwd"}, {"side": "2.5"},
]


@pytest.mark.parametrize("params", HOSTILE, ids=lambda p: next(iter(p)))
def test_a_hostile_link_gives_the_defaults_and_one_note(params):
    app = open_link(params)
    assert not app.exception and not app.error
    assert len(app.warning) == 1 and "could not be used" in app.warning[0].value
    assert len(app.warning[0].value) < 400  # one line, not the hostile value echoed back
    assert shown(app) == DEFAULTS
    assert params_of(app) == {}  # the address bar now holds the defaults


@pytest.mark.parametrize("name", ["matrix", "grid"])
def test_a_1000_by_1000_matrix_leaves_the_page_at_its_defaults(name):
    """Two million characters: Streamlit drops a query string over 512 Ki characters before
    the page runs, so there is nothing to read, and no work is started."""
    app = open_link({name: ";".join([",".join(["1"] * 1000)] * 1000)})
    assert not app.exception and not app.error
    assert shown(app) == DEFAULTS and params_of(app) == {}


def test_an_unknown_setting_is_named_and_ignored():
    app = open_link({"epochs": "50", "input": "Edge 6x6"})
    assert not app.exception
    assert len(app.warning) == 1 and "no setting called 'epochs'" in app.warning[0].value
    assert app.selectbox(key="sw_grid_source").value == "Edge 6x6"


DEFAULTS: dict = {}


@pytest.fixture(scope="module", autouse=True)
def _defaults():
    DEFAULTS.update(shown(open_link({})))


# ---- teacher options -----------------------------------------------------------------------

def test_locked_controls_are_disabled_at_the_linked_values_and_the_task_is_shown():
    app = open_link({**LESSON_5X5, "step": "4",
                     "lock": "input,kernel,padding,stride,step,filters",
                     "task": "Which output number is the largest? Why?"})
    assert not app.exception and not app.warning
    assert any("Which output number is the largest" in i.value for i in app.info)
    for widget in (app.selectbox(key="sw_grid_source"), app.radio(key="sw_kernel_mode"),
                   app.selectbox(key="sw_kernel_preset"), app.radio(key="sw_padding"),
                   app.radio(key="sw_stride"), app.slider(key="sw_step"),
                   app.button(key="sw_next"), app.button(key="sw_back"),
                   app.button(key="sw_play"), app.multiselect(key="sw_filters")):
        assert widget.disabled, widget.key
    assert app.slider(key="sw_step").value == 4 and step_line(app).startswith("**Step 4 of 9")
    assert not app.button(key="sw_rgb_next").disabled  # not locked: still free
    assert params_of(app)["lock"] == "input,kernel,padding,stride,step,filters"


def test_a_locked_custom_kernel_and_typed_grid_cannot_be_edited():
    app = open_link({"grid": "1,2,3;4,5,6;7,8,9", "matrix": "1,0;0,-1", "lock": "grid,matrix"})
    assert not app.exception and not app.warning
    assert app.text_area(key="sw_kernel_text").disabled
    assert app.radio(key="sw_kernel_mode").disabled
    assert app.number_input(key="sw_grid_rows").disabled
    np.testing.assert_array_equal(app.session_state[SLIDING_WINDOW_OUTPUT_KEY]["values"],
                                  [[-4, -4], [-4, -4]])


def test_hidden_controls_are_absent_and_the_page_still_uses_the_linked_values():
    app = open_link({"input": "Edge 6x6", "kernel": "Sobel x", "step": "2",
                     "hide": "input,kernel,step,padding"})
    assert not app.exception and not app.warning
    keys = {w.key for kind in ("selectbox", "radio", "slider", "button")
            for w in app.get(kind)}
    for absent in ("sw_grid_source", "sw_kernel_mode", "sw_kernel_preset", "sw_step",
                   "sw_next", "sw_back", "sw_play", "sw_padding"):
        assert absent not in keys, absent
    assert "sw_stride" in keys
    assert any("**Kernel:** Sobel x" in m.value for m in app.markdown)
    assert step_line(app).startswith("**Step 2 of 16")
    expected = convolve2d(np.array(EDGE_GRID, float), PRESET_KERNELS["Sobel x"].matrix)
    np.testing.assert_array_equal(app.session_state[SLIDING_WINDOW_OUTPUT_KEY]["values"],
                                  expected)


def test_a_hidden_typed_grid_is_used_without_its_table():
    app = open_link({"grid": "1,2;3,4", "matrix": "1,0;0,-1", "hide": "grid"})
    assert not app.exception and not app.warning  # (the 3x3 filters tab says 2x2 is too small)
    assert not any(w.key in ("sw_grid_rows", "sw_grid_cols") for w in app.number_input)
    assert app.selectbox(key="sw_grid_source").value == "Edit the numbers"
    np.testing.assert_array_equal(app.session_state[SLIDING_WINDOW_OUTPUT_KEY]["values"], [[-3]])
    assert params_of(app)["grid"] == "1,2;3,4"
