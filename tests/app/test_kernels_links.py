"""AppTest of the Image kernels page's links: every setting goes into the address bar and
comes back in a new session with the same picture and arithmetic; hostile links give the
defaults and one note; teachers' links lock, hide and set a task; settings outlive a visit
to another page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import (
    elsewhere_and_back,
    open_app_page,
    open_through_app,
)

PAGE = "app_pages/1_Image_kernels.py"
WIDGETS = {  # key -> AppTest accessor
    "photo_source": "radio", "photo_sample": "selectbox", "kernel_mode": "radio",
    "kernel_preset": "selectbox", "filter_colour": "radio", "filter_border": "selectbox",
    "filter_display": "radio", "inspect_row": "slider", "inspect_col": "slider",
}
DEFAULTS = {"photo_source": "Sample photo", "photo_sample": "Cat (Chelsea)",
            "kernel_mode": "Preset", "kernel_preset": "Sobel x", "filter_colour": "Greyscale",
            "filter_border": "same", "filter_display": "clip", "inspect_row": 150,
            "inspect_col": 225}
NINTHS = "1/9 1/9 1/9\n1/9 1/9 1/9\n1/9 1/9 1/9"


def open_page(query: dict[str, str] | None = None) -> AppTest:
    return open_app_page(PAGE, query)


def markdown_text(app) -> str:
    return "\n".join(str(m.value) for m in app.markdown)


def widget(app, key):
    return getattr(app, WIDGETS[key])(key=key)


def present(app, key) -> bool:
    return any(w.key == key for w in getattr(app, WIDGETS[key]))


def seen(app) -> dict:
    """What a learner sees: every control, the result's title and the inspector's sum."""
    shown = {key: widget(app, key).value for key in WIDGETS if present(app, key)}
    text = markdown_text(app)
    shown["result"] = next(line for line in text.splitlines() if line.startswith("**Result"))
    shown["sum"] = next(line for line in text.splitlines() if line.startswith("The sum is"))
    shown["arithmetic"] = app.code[0].value
    shown["matrix"] = [str(m.value) for m in app.latex]
    return shown


def reopen(app) -> AppTest:
    """The address bar of `app`, opened in a new session."""
    query = dict(app.query_params)
    assert all(isinstance(v, str) for v in query.values())
    return open_page(query)


def set_custom_text(app, text: str) -> AppTest:
    app.radio(key="kernel_mode").set_value("Custom").run()
    app.radio(key="kernel_entry").set_value("As text").run()
    return app.text_area(key="kernel_text").set_value(text).run()


# ---- Every setting round-trips ----------------------------------------------------------------

CHANGES = {
    "preset": [("kernel_preset", "Emboss")],
    "sample photo": [("photo_sample", "Coffee cup")],
    "colour": [("filter_colour", "Each colour channel")],
    "border reflect": [("filter_border", "reflect")],
    "border valid": [("kernel_preset", "Mean blur 8x8"), ("filter_border", "valid")],
    "display": [("kernel_preset", "Laplacian"), ("filter_display", "abs")],
    "rescale": [("filter_display", "rescale")],
    "inspected pixel": [("inspect_row", 10), ("inspect_col", 20)],
    "everything": [("photo_sample", "Astronaut"), ("kernel_preset", "Sharpen"),
                   ("filter_colour", "Each colour channel"), ("filter_border", "reflect"),
                   ("filter_display", "rescale"), ("inspect_row", 3), ("inspect_col", 299)],
}


@pytest.mark.parametrize("changes", CHANGES.values(), ids=CHANGES.keys())
def test_every_setting_round_trips_through_the_address_bar(changes):
    app = open_page()
    for key, value in changes:
        widget(app, key).set_value(value).run()
    assert not app.exception
    before = seen(app)
    for key, value in changes:
        assert before[key] == value
    again = reopen(app)
    assert not again.exception and not again.warning
    assert seen(again) == before


def test_a_custom_kernel_of_ninths_round_trips_to_the_last_digit():
    app = set_custom_text(open_page(), NINTHS)
    app.selectbox(key="filter_border").set_value("reflect").run()  # after the kernel's rerun
    app.slider(key="inspect_row").set_value(42).run()
    assert not app.exception and not app.error
    query = dict(app.query_params)
    assert query["mode"] == "Custom" and query["border"] == "reflect" and query["row"] == "42"
    assert query["matrix"] == ";".join([",".join(["0.1111111111111111"] * 3)] * 3)
    again = reopen(app)
    assert not again.exception and not again.warning
    assert seen(again) == seen(app)
    assert again.radio(key="kernel_entry").value == "As text"
    assert not again.checkbox(key="kernel_normalise").value   # used exactly as linked
    typed = np.array([[float(x) for x in row.split()]
                      for row in again.text_area(key="kernel_text").value.splitlines()])
    assert np.array_equal(typed, np.full((3, 3), 1 / 9))


def test_a_normalised_custom_kernel_round_trips_as_the_kernel_used():
    app = set_custom_text(open_page(), "1 2 1\n2 4 2\n1 2 1")
    app.checkbox(key="kernel_normalise").check().run()
    assert not app.exception and not app.error
    assert app.query_params["matrix"] == "0.0625,0.125,0.0625;0.125,0.25,0.125;0.0625,0.125,0.0625"
    again = reopen(app)
    assert seen(again) == seen(app)


def test_a_custom_grid_kernel_round_trips():
    app = open_page()
    app.radio(key="kernel_mode").set_value("Custom").run()
    app.session_state["kernel_grid_3x3"] = {
        "edited_rows": {0: {"1": 5}, 2: {"3": -7}}, "added_rows": [], "deleted_rows": []}
    app.run()
    assert not app.exception and not app.error
    assert app.query_params["matrix"] == "5,0,1;-2,0,2;-1,0,-7"
    assert seen(reopen(app)) == seen(app)


def test_defaults_make_an_empty_address_bar():
    app = open_page()
    app.selectbox(key="kernel_preset").set_value("Emboss").run()
    app.selectbox(key="kernel_preset").set_value("Sobel x").run()
    assert set(app.query_params) <= {"row", "col"}  # the inspected pixel is always written


# ---- Hostile links ----------------------------------------------------------------------------

NINE_9S = "9" * 10_000
HOSTILE = {
    "unknown preset": ({"kernel": "Sobel z"}, "Preset kernel", ["kernel_preset"]),
    "NaN border": ({"border": "nan"}, "Borders", ["filter_border"]),
    "huge row": ({"row": "1e999"}, "Inspected pixel: row", ["inspect_row"]),
    "row of 10,000 digits": ({"row": NINE_9S}, "Inspected pixel: row", ["inspect_row"]),
    "negative column": ({"col": "-3"}, "Inspected pixel: column", ["inspect_col"]),
    "10,000-character preset": ({"kernel": "x" * 10_000}, "Preset kernel", ["kernel_preset"]),
    "photo path": ({"photo": "../../etc/passwd"}, "Sample photo", ["photo_sample"]),
    "script colour": ({"colour": "<script>alert(1)</script>"}, "Colour", ["filter_colour"]),
    "display list": ({"display": "['abs']"}, "Values outside 0-255", ["filter_display"]),
    "NaN kernel": ({"matrix": "nan,1;1,1"}, "Custom kernel", ["kernel_mode"]),
    "100 x 100 kernel": ({"matrix": ";".join([",".join(["1"] * 100)] * 100)}, "Custom kernel",
                         ["kernel_mode"]),
    "10,000-character kernel": ({"matrix": NINE_9S}, "Custom kernel", ["kernel_mode"]),
    "unknown name": ({"kernal": "Emboss"}, "'kernal'", list(DEFAULTS)),
    "mode wrong case": ({"mode": "custom"}, "Preset or custom kernel", ["kernel_mode"]),
}


@pytest.mark.parametrize(("query", "named", "at_default"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_link_gives_the_defaults_and_one_note(query, named, at_default):
    app = open_page(query)
    assert not app.exception and not app.error
    assert len(app.warning) == 1 and named in app.warning[0].value
    assert app.warning[0].value.count(". ") == 0   # one sentence
    for key in at_default:
        assert widget(app, key).value == DEFAULTS[key]
    assert "The sum is" in markdown_text(app)
    # The address bar now holds what the page shows, not the hostile text.
    assert all(len(v) < 100 for v in app.query_params.values())
    assert set(app.query_params) <= {"row", "col"}


def test_the_note_outlives_the_rerun_a_custom_kernel_makes_then_goes_once_used():
    app = open_page({"mode": "Custom", "matrix": "1,x;1,1", "border": "bogus"})
    assert not app.exception
    assert len(app.warning) == 1
    assert "Custom kernel" in app.warning[0].value and "Borders" in app.warning[0].value
    assert app.radio(key="kernel_mode").value == "Custom"
    app.run()   # a rerun without a change keeps the note
    assert len(app.warning) == 1
    app.selectbox(key="filter_border").set_value("reflect").run()
    assert not app.warning


def test_a_1000_by_1000_kernel_link_opens_the_defaults_and_leaves_the_address_bar_clean():
    # Streamlit drops a query string this long before the page sees it.
    app = open_page({"matrix": ";".join([",".join(["1"] * 1000)] * 1000)})
    assert not app.exception
    assert {key: widget(app, key).value for key in DEFAULTS} == DEFAULTS
    assert dict(app.query_params) == {}


def test_an_inspected_pixel_beyond_the_photo_is_kept_inside_it():
    app = open_page({"row": "100000", "col": "100000"})
    assert not app.exception and not app.warning
    assert app.slider(key="inspect_row").value == 299 and app.slider(key="inspect_col").value == 450


def test_a_link_opened_in_the_same_session_puts_the_rest_back_to_the_defaults():
    """A lesson link mid-session shows what everyone else sees, not the learner's leftovers."""
    app = open_page()
    app.selectbox(key="filter_border").set_value("reflect").run()
    app.radio(key="filter_display").set_value("abs").run()
    app.query_params.clear()
    app.query_params.update({"kernel": "Emboss", "task": "Find the light"})
    app.run()
    assert not app.exception
    assert app.selectbox(key="kernel_preset").value == "Emboss"
    assert app.selectbox(key="filter_border").value == "same"
    assert app.radio(key="filter_display").value == "clip"


# ---- Teacher options --------------------------------------------------------------------------

def test_locked_controls_are_disabled_at_the_linked_values():
    app = open_page({"kernel": "Emboss", "border": "reflect", "photo": "Coffee cup", "row": "7",
                     "lock": "photo,kernel,colour,border,display,row,col"})
    assert not app.exception and not app.warning
    for key in WIDGETS:
        assert widget(app, key).disabled, key
    assert app.selectbox(key="kernel_preset").value == "Emboss"
    assert app.selectbox(key="filter_border").value == "reflect"
    assert app.selectbox(key="photo_sample").value == "Coffee cup"
    assert app.slider(key="inspect_row").value == 7
    assert "Result: Emboss" in markdown_text(app)
    # The learner's own address bar keeps the lock, so a reload keeps it too.
    assert app.query_params["lock"] == "photo,kernel,colour,border,display,row,col"


def test_a_locked_custom_kernel_is_shown_not_edited():
    app = open_page({"matrix": "0,1,0;1,-4,1;0,1,0", "lock": "matrix"})
    assert not app.exception and not app.warning
    assert app.radio(key="kernel_mode").disabled and app.radio(key="kernel_mode").value == "Custom"
    assert not any(t.key == "kernel_text" for t in app.text_area)
    assert "Result: Custom" in markdown_text(app)


def test_hidden_controls_are_absent_and_their_linked_values_still_used():
    app = open_page({"kernel": "Mean blur 8x8", "border": "valid", "display": "abs",
                     "photo": "Coffee cup", "hide": "photo,kernel,border,display"})
    assert not app.exception and not app.warning
    for key in ("photo_source", "photo_sample", "kernel_mode", "kernel_preset",
                "filter_border", "filter_display"):
        assert not present(app, key), key
    assert present(app, "filter_colour")
    assert "Result: Mean blur 8x8" in markdown_text(app)
    assert "(593 x 393 pixels shown)" in markdown_text(app)   # coffee, valid 8x8: 600-7 x 400-7
    assert "after 'absolute value'" in markdown_text(app)


TRICKY_TASK = ("Make the [vertical edges](http://evil.example) disappear **now** "
               "![x](http://evil.example/x.png) www.evil.example me@evil.example :smile: "
               ":red[red] :material/home: $x^2$ <b>bold</b> # heading")


def test_the_task_is_shown_at_the_top_as_plain_text():
    app = open_page({"task": TRICKY_TASK})
    assert not app.exception and not app.warning
    task = app.info[0].value
    assert task.startswith("**Your task:** ")
    body = task.removeprefix("**Your task:** ")
    # Every Markdown character is escaped, and bare addresses or :codes: are broken apart.
    for syntax in ("[", "]", "(", ")", "*", "!", "$", "<", "#"):
        assert all(body[i - 1] == "\\" for i, c in enumerate(body) if c == syntax), syntax
    for i, c in enumerate(body):
        if c in ".:@":   # http://, www.x, a@b.c, :smile: and :material/icon: broken apart
            assert body[i - 1] == "\u2060" or body[i - 2:i] == "\u2060\\", body[:i + 1]
    for linkable in ("http://", "www.", "me@"):
        assert linkable not in body
    shown = body.replace("\\", "").replace("\u2060", "")
    assert shown == TRICKY_TASK


def test_the_task_comes_right_under_the_title_above_every_control():
    app = open_page({"task": "Blur the cat"})
    order = [e.type for e in app.main][1:5]
    assert order == ["title", "caption", "info", "flex_container"]
    assert app.info[0].value == "**Your task:** Blur the cat"


# ---- The share panel --------------------------------------------------------------------------

def share_link(app) -> str:
    return app.sidebar.code[0].value


def test_the_share_panel_shows_a_link_with_the_settings():
    app = open_page()
    app.selectbox(key="kernel_preset").set_value("Emboss").run()
    app.selectbox(key="filter_border").set_value("reflect").run()
    query = parse_qs(urlsplit(share_link(app)).query)
    assert query["kernel"] == ["Emboss"] and query["border"] == ["reflect"]
    assert {k: v[0] for k, v in query.items()} == dict(app.query_params)


def test_the_share_panel_adds_teacher_options_to_its_link_only():
    app = open_page()
    app.selectbox(key="kernel_preset").set_value("Vertical edge").run()
    app.multiselect(key="_share_kernels_lock").set_value(["kernel", "border"]).run()
    app.multiselect(key="_share_kernels_hide").set_value(["display"]).run()
    app.text_input(key="_share_kernels_task").set_value("Make the  vertical edges disappear").run()
    query = parse_qs(urlsplit(share_link(app)).query)
    assert query["lock"] == ["kernel,border"] and query["hide"] == ["display"]
    assert query["task"] == ["Make the vertical edges disappear"]
    # The teacher's own page is not locked by what they are preparing.
    assert "lock" not in app.query_params
    assert not app.selectbox(key="kernel_preset").disabled
    learner = open_page({k: v[0] for k, v in query.items()})
    assert learner.selectbox(key="kernel_preset").disabled
    assert learner.selectbox(key="kernel_preset").value == "Vertical edge"
    assert not present(learner, "filter_display")
    assert "Make the vertical edges disappear" in learner.info[0].value.replace("\\", "")


def test_a_link_never_holds_an_uploaded_photo():
    app = open_page()
    app.radio(key="photo_source").set_value("Upload your own").run()
    image = np.random.default_rng(1).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    data = cv2.imencode(".png", image)[1].tobytes()
    app.file_uploader(key="photo_upload").set_value(("secret-class-photo.png", data,
                                                     "image/png")).run()
    app.selectbox(key="kernel_preset").set_value("Emboss").run()
    assert not app.exception and "(50 x 40 pixels)" in markdown_text(app)
    link = share_link(app)
    assert "secret" not in link and "upload" not in link.lower() and len(link) < 200
    assert "secret" not in str(dict(app.query_params))
    captions = " ".join(c.value for c in app.sidebar.caption)
    assert "uploaded photo is not in the link" in captions
    again = reopen(app)
    assert again.radio(key="photo_source").value == "Sample photo"
    assert again.selectbox(key="kernel_preset").value == "Emboss"


# ---- Leaving the page and coming back ---------------------------------------------------------

def open_app() -> AppTest:
    return open_through_app(PAGE, timeout=60)


def home_and_back(app: AppTest) -> AppTest:
    return elsewhere_and_back(app, PAGE)


def test_settings_outlive_a_visit_to_home():
    app = open_app()
    app.selectbox(key="kernel_preset").set_value("Emboss").run()
    app.selectbox(key="filter_border").set_value("reflect").run()
    app.radio(key="filter_display").set_value("rescale").run()
    app.slider(key="inspect_col").set_value(12).run()
    before = seen(app)
    back = home_and_back(app)
    assert not back.exception
    assert seen(back) == before


def test_a_typed_custom_kernel_outlives_a_visit_to_home():
    app = set_custom_text(open_app(), NINTHS)
    before = seen(app)
    back = home_and_back(app)
    assert not back.exception and not back.error
    assert back.radio(key="kernel_entry").value == "As text"
    assert back.text_area(key="kernel_text").value == NINTHS
    assert seen(back) == before


def test_a_custom_grid_kernel_outlives_a_visit_to_home_and_a_resize():
    app = open_app()
    app.radio(key="kernel_mode").set_value("Custom").run()
    app.session_state["kernel_grid_3x3"] = {
        "edited_rows": {1: {"2": 9}}, "added_rows": [], "deleted_rows": []}
    app.run()
    assert app.query_params["matrix"] == "-1,0,1;-2,9,2;-1,0,1"
    back = home_and_back(app)
    assert not back.exception and not back.error
    assert back.radio(key="kernel_entry").value == "In a grid"
    assert back.query_params["matrix"] == "-1,0,1;-2,9,2;-1,0,1"
    assert "Result: Custom" in markdown_text(back)
    back.number_input(key="kernel_cols").set_value(4).run()   # a new column of zeros
    assert back.query_params["matrix"] == "-1,0,1,0;-2,9,2,0;-1,0,1,0"
    back.radio(key="kernel_mode").set_value("Preset").run()
    back.radio(key="kernel_mode").set_value("Custom").run()   # starts from the preset again
    rows = [row.split(",") for row in back.query_params["matrix"].split(";")]
    # ... in the grid size last chosen, the preset's weights and zeros beyond them
    assert [row[:3] for row in rows] == [["-1", "0", "1"], ["-2", "0", "2"], ["-1", "0", "1"]]
    assert all(value == "0" for row in rows for value in row[3:])


def test_a_teachers_share_choices_survive_a_visit_to_another_page():
    """A teacher preparing a lesson link may look at another page before copying it."""
    app = open_through_app(PAGE)
    app.selectbox(key="kernel_preset").set_value("Vertical edge").run()
    app.multiselect(key="_share_kernels_lock").set_value(["kernel", "border"]).run()
    app.multiselect(key="_share_kernels_hide").set_value(["display"]).run()
    app.text_input(key="_share_kernels_task").set_value("Make the vertical edges disappear").run()
    app = elsewhere_and_back(app, PAGE)
    assert not app.exception
    assert app.multiselect(key="_share_kernels_lock").value == ["kernel", "border"]
    assert app.multiselect(key="_share_kernels_hide").value == ["display"]
    assert app.text_input(key="_share_kernels_task").value == "Make the vertical edges disappear"
    query = parse_qs(urlsplit(share_link(app)).query)
    assert query["lock"] == ["kernel,border"] and query["hide"] == ["display"]
    assert query["kernel"] == ["Vertical edge"]


def test_a_link_opened_later_fills_the_share_panel_with_its_own_teacher_options():
    app = open_through_app(PAGE)
    app.multiselect(key="_share_kernels_hide").set_value(["display"]).run()
    app.query_params.clear()
    app.query_params.update({"kernel": "Emboss", "lock": "kernel", "task": "Find the light"})
    app.run()
    assert not app.exception
    assert app.multiselect(key="_share_kernels_lock").value == ["kernel"]
    assert app.multiselect(key="_share_kernels_hide").value == []
    assert app.text_input(key="_share_kernels_task").value == "Find the light"
