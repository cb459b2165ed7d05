"""AppTest of the Sliding window page: inputs, sizes, stepping, errors and the extra views."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnn_core.config import CLASSIC_GRID, SLIDING_WINDOW_OUTPUT_KEY
from cnn_core.maths.frames import conv_frames
from cnn_core.maths.kernels import PRESET_KERNELS
from cnn_core.maths.windows import output_size, padding_amounts
from tests.app.animation_spec import animation_spec, window_box

PAGE = "app_pages/2_Sliding_window.py"
SEED_SUM = "3x1 + 1x1 + 2x1 + 2x0 + 9x0 + 3x0 + 3x(-1) + 1x(-1) + 5x(-1) = -3"


def markdown_text(app) -> str:
    return "\n".join(str(m.value) for m in app.markdown)


def shapes(app) -> str:
    return next(m.value for m in app.markdown if m.value.startswith("**Shapes:**"))


def animation(app) -> dict:
    return animation_spec(app, "sw_animation")


@pytest.fixture
def app(run_page):
    return run_page(PAGE)


def test_loads_with_the_classic_grid_and_its_first_sum(app):
    assert not app.exception and not app.error
    assert shapes(app) == "**Shapes:** input 5x5 → padded 5x5 → output 3x3"
    assert app.code[0].value == SEED_SUM
    assert "Step 1 of 9: output row 0, column 0" in markdown_text(app)
    assert any(r"\frac{5 + 0 + 0 - 3}{1} \right\rfloor + 1 = 3" in latex.value
               for latex in app.latex)
    assert window_box(animation(app)) == (-0.5, -0.5)
    np.testing.assert_array_equal(app.session_state[SLIDING_WINDOW_OUTPUT_KEY]["values"],
                                  [[-3, 4, -7], [-3, 0, -8], [-4, -9, -10]])


SIZE_CASES = [  # padding, stride, shapes line ending
    ("same", 1, "padded 7x7 → output 5x5"), ("valid", 2, "padded 5x5 → output 2x2"),
    ("same", 2, "padded 7x7 → output 3x3"), ("valid", 3, "padded 5x5 → output 1x1"),
    ("same", 3, "padded 6x6 → output 2x2"),
]


def test_padding_and_stride_update_the_output_size(app):
    # One app for every case: each page load costs about a second.
    for padding, stride, expected in SIZE_CASES:
        app.radio(key="sw_padding").set_value(padding).run()
        app.radio(key="sw_stride").set_value(stride).run()
        case = f"{padding}, stride {stride}"
        assert not app.exception, case
        assert shapes(app).endswith(expected), case
        # The padding before and after are written separately, as TensorFlow adds them.
        before, after = padding_amounts(5, 3, padding, stride)
        formula = rf"\frac{{5 + {before} + {after} - 3}}{{{stride}}}"
        assert any(formula in latex.value for latex in app.latex), case
        out = expected.rsplit(" ", 1)[1]
        assert f"Output {out}" in json.dumps(animation(app)["layout"]["annotations"]), case


def test_stepping_moves_the_highlight_and_the_sum(app):
    assert window_box(animation(app)) == (-0.5, -0.5)
    app.button(key="sw_next").click().run()
    assert "Step 2 of 9: output row 0, column 1" in markdown_text(app)
    assert app.code[0].value.endswith("= 4")
    assert window_box(animation(app)) == (0.5, -0.5)
    assert app.slider(key="sw_step").value == 2
    app.slider(key="sw_step").set_value(9).run()
    assert app.code[0].value.endswith("= -10") and window_box(animation(app)) == (1.5, 1.5)
    app.button(key="sw_back").click().run()
    assert "output row 2, column 1" in markdown_text(app)
    app.button(key="sw_back").click().run()
    app.button(key="sw_back").click().run()
    assert "Step 6 of 9: output row 1, column 2" in markdown_text(app)
    assert app.code[0].value.endswith("= -8")


def test_the_step_is_kept_in_range_when_the_output_shrinks(app):
    app.slider(key="sw_step").set_value(9).run()
    app.radio(key="sw_stride").set_value(3).run()  # one output cell: no slider at all
    assert not app.exception
    assert "Step 1 of 1" in markdown_text(app) and app.code[0].value == SEED_SUM
    app.radio(key="sw_stride").set_value(1).run()
    assert not app.exception and "Step 1 of 9" in markdown_text(app)


def test_every_input_source_works(app):
    for source in ["Edge 6x6", "Random", "MNIST digit", "Photo crop", "Edit the numbers"]:
        app.selectbox(key="sw_grid_source").set_value(source).run()
        assert not app.exception and not app.error, source
        assert len(app.code) >= 1, source
        if source == "Edge 6x6":
            assert shapes(app).endswith("output 4x4")
            assert any("where the 8s meet the 0s" in c.value for c in app.caption)
        if source in ("MNIST digit", "Photo crop"):
            assert shapes(app).startswith("**Shapes:** input 12x12"), source
            unit = animation(app)["data"][0]["colorbar"]["title"]["text"]
            assert unit == "pixel value (0-255)", source


def test_random_grid_size_and_photo_shrink_settings(app):
    app.selectbox(key="sw_grid_source").set_value("Random").run()
    app.slider(key="sw_grid_size").set_value(16).run()
    app.radio(key="sw_padding").set_value("same").run()
    assert shapes(app) == "**Shapes:** input 16x16 → padded 18x18 → output 16x16"
    app.selectbox(key="sw_grid_source").set_value("Photo crop").run()
    app.slider(key="sw_grid_side").set_value(6).run()
    assert not app.exception and shapes(app).startswith("**Shapes:** input 6x6")


@pytest.mark.parametrize("edit, message", [
    ({0: {"1": "abc"}}, "Row 1, column 2: 'abc' is not a number"),
    ({2: {"0": ""}}, "Row 3, column 1: is empty"),
])
def test_bad_numbers_in_the_editable_grid_show_one_error(app, edit, message):
    app.selectbox(key="sw_grid_source").set_value("Edit the numbers").run()
    app.session_state["sw_grid_editor_5x5"] = {"edited_rows": edit, "added_rows": [],
                                               "deleted_rows": []}
    app.run()
    assert not app.exception
    assert len(app.error) == 1 and message in app.error[0].value


def test_a_good_edit_changes_the_output(app):
    app.selectbox(key="sw_grid_source").set_value("Edit the numbers").run()
    app.session_state["sw_grid_editor_5x5"] = {"edited_rows": {0: {"0": "13"}},
                                               "added_rows": [], "deleted_rows": []}
    app.run()
    assert not app.exception and not app.error
    assert app.code[0].value.startswith("13x1 + ") and app.code[0].value.endswith("= 7")


@pytest.mark.parametrize("text, message", [
    ("1 2\n3", "same number"), ("1 x", "not a number"), ("\n".join(["1 1 1 1 1 1"] * 6), "5x5"),
])
def test_bad_custom_kernels_show_an_error(app, text, message):
    app.radio(key="sw_kernel_mode").set_value("Custom").run()
    app.text_area(key="sw_kernel_text").set_value(text).run()
    assert not app.exception
    assert len(app.error) == 1 and message in app.error[0].value


def test_custom_kernel_and_a_kernel_too_big_for_valid(app):
    app.radio(key="sw_kernel_mode").set_value("Custom").run()
    app.text_area(key="sw_kernel_text").set_value("0 1\n-1 0").run()
    assert not app.exception and shapes(app).endswith("output 4x4")
    app.radio(key="sw_kernel_mode").set_value("Preset").run()
    app.selectbox(key="sw_kernel_preset").set_value("Mean blur 8x8").run()
    assert not app.exception
    assert len(app.error) == 1 and "larger than the 5x5 input" in app.error[0].value


def test_three_channel_view_sums_the_channels(app):
    code = app.code[1].value.splitlines()
    assert [line.split(":")[0] for line in code] == ["red", "green", "blue", "total"]
    sums = [int(line.rsplit("= ", 1)[1]) for line in code[:3]]
    assert code[3].endswith(f"= {sum(sums)}")
    app.button(key="sw_rgb_next").click().run()
    assert app.code[1].value != "\n".join(code)


def test_several_filters_give_a_stack_and_the_parameter_count(app):
    assert any("3 \\cdot 3 \\cdot 1 \\cdot 3 + 3 = 30" in latex.value for latex in app.latex)
    assert any("Output shape 3 x 3 x 3" in c.value for c in app.caption)
    app.multiselect(key="sw_filters").set_value(["Sobel x"]).run()
    assert any("= 10" in latex.value for latex in app.latex)
    app.multiselect(key="sw_filters").set_value([]).run()
    assert not app.exception and any("at least one filter" in i.value for i in app.info)


def test_missing_digits_and_photos_are_explained_in_one_sentence(app, monkeypatch):
    from ui import grid_widgets

    monkeypatch.setattr(grid_widgets, "mnist_digits", lambda: None)
    monkeypatch.setattr(grid_widgets, "available_photos", dict)
    app.selectbox(key="sw_grid_source").set_value("MNIST digit").run()
    assert not app.exception
    assert len(app.error) == 1 and "No MNIST digits are available" in app.error[0].value
    app.selectbox(key="sw_grid_source").set_value("Photo crop").run()
    assert not app.exception
    assert any("No sample photos were found" in i.value for i in app.info)


# ---- tiny and thin grids ---------------------------------------------------------------------

@pytest.mark.parametrize("rows, cols", [(1, 1), (2, 2), (1, 7), (7, 1)])
def test_tiny_and_thin_grids_give_an_output_or_one_plain_error(app, rows, cols):
    app.selectbox(key="sw_grid_source").set_value("Edit the numbers").run()
    app.number_input(key="sw_grid_rows").set_value(rows).run()
    app.number_input(key="sw_grid_cols").set_value(cols).run()
    kernel = PRESET_KERNELS[app.selectbox(key="sw_kernel_preset").value].matrix
    for padding in ("valid", "same"):
        for stride in (1, 3):
            app.radio(key="sw_padding").set_value(padding).run()
            app.radio(key="sw_stride").set_value(stride).run()
            case = f"{rows}x{cols}, {padding}, stride {stride}"
            assert not app.exception, case
            out_h = output_size(rows, kernel.shape[0], padding, stride)
            out_w = output_size(cols, kernel.shape[1], padding, stride)
            if out_h == 0 or out_w == 0:
                assert len(app.error) == 1 and "larger than" in app.error[0].value, case
            else:
                assert not app.error, case
                assert shapes(app).endswith(f"output {out_h}x{out_w}"), case
                assert f"Step 1 of {out_h * out_w}" in markdown_text(app), case


@pytest.mark.parametrize("across, down", [(0, 0), (100, 100), (0, 100)])
def test_the_smallest_photo_crop_in_a_corner_works(app, across, down):
    app.selectbox(key="sw_grid_source").set_value("Photo crop").run()
    app.slider(key="sw_grid_crop").set_value(5).run()
    app.slider(key="sw_grid_across").set_value(across).run()
    app.slider(key="sw_grid_down").set_value(down).run()
    app.slider(key="sw_grid_side").set_value(16).run()
    assert not app.exception and not app.error
    assert shapes(app).startswith("**Shapes:** input ")


# ---- the player: Play, Back / Next, the slider, the figure and the sum always agree ----------

def assert_one_step_shown(app, step: int) -> None:
    """The slider, the step line, the figure's window and the sum all show `step` (1-based)."""
    frame = conv_frames(np.array(CLASSIC_GRID), PRESET_KERNELS["Vertical edge"].matrix)[step - 1]
    top, left = frame.input_position
    if app.session_state["sw_playing"]:  # a progress bar stands in for the slider
        assert not app.get("slider") or all(w.key != "sw_step" for w in app.slider)
        assert app.get("progress")[0].proto.text == f"Playing: step {step} of 9"
    else:
        assert app.slider(key="sw_step").value == step
    assert f"Step {step} of 9: output row {frame.row}, column {frame.col}" in markdown_text(app)
    assert window_box(animation(app)) == (left - 0.5, top - 0.5)
    assert app.code[0].value == frame.arithmetic


def test_play_moves_on_from_the_current_step_and_next_goes_on_from_there(app):
    app.slider(key="sw_step").set_value(4).run()
    app.button(key="sw_play").click().run()
    assert app.session_state["sw_playing"] and app.button(key="sw_play").label == "❚❚ Pause"
    assert_one_step_shown(app, 4)  # Play starts from where the learner is
    app.run()  # one tick of the player (a fragment rerun in the browser)
    assert_one_step_shown(app, 5)
    app.run()
    assert_one_step_shown(app, 6)
    app.button(key="sw_next").click().run()  # Next pauses and goes on from the played step
    assert not app.session_state["sw_playing"] and app.button(key="sw_play").label == "▶ Play"
    assert_one_step_shown(app, 7)
    app.run()
    assert_one_step_shown(app, 7)  # paused: no more ticks move it
    app.button(key="sw_back").click().run()
    assert_one_step_shown(app, 6)


def test_play_stops_at_the_last_step_and_starts_again_from_the_first(app):
    app.slider(key="sw_step").set_value(8).run()
    app.button(key="sw_play").click().run()
    app.run()
    assert_one_step_shown(app, 9)
    assert not app.session_state["sw_playing"]
    app.run()
    assert_one_step_shown(app, 9)
    app.button(key="sw_play").click().run()
    assert_one_step_shown(app, 1)
    assert app.session_state["sw_playing"]
    app.button(key="sw_play").click().run()  # Pause
    assert not app.session_state["sw_playing"]


def test_a_long_sum_is_shortened_with_the_whole_sum_on_demand(app):
    app.selectbox(key="sw_grid_source").set_value("MNIST digit").run()
    app.radio(key="sw_kernel_mode").set_value("Custom").run()
    app.text_area(key="sw_kernel_text").set_value("\n".join(["1 0 -1 0 1"] * 5)).run()
    assert not app.exception and not app.error
    whole = next(e for e in app.expander if e.label.startswith("The whole sum"))
    short, full = app.code[0].value, whole.code[0].value
    assert "..." in short and short.endswith(full.rsplit(" = ", 1)[1])
    assert full.count(" + ") == 24 and "(25 terms)" in whole.label
