"""AppTest of the Pooling page: inputs, sizes, stepping, the photo map and the shift demo."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.config import SLIDING_WINDOW_OUTPUT_KEY
from cnn_core.maths.windows import output_size
from tests.app.animation_spec import animation_spec, window_box
from tests.app.conftest import REPO_ROOT

PAGE = "pages/3_Pooling.py"


def size_line(app) -> str:
    return next(m.value for m in app.markdown if m.value.startswith("**Size:**"))


def animation(app) -> dict:
    return animation_spec(app, "pool_animation")


def metrics(app) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


@pytest.fixture
def app(run_page):
    return run_page(PAGE)


def test_loads_with_a_default_map_and_says_where_it_came_from(app):
    assert not app.exception and not app.error
    assert any("Nothing from the Sliding window page yet" in i.value for i in app.info)
    assert size_line(app) == "**Size:** 5x5 → 2x2 (25 numbers → 4)"
    assert app.code[0].value == "max(-11, 0, -14, -3) = 0"
    assert metrics(app) == {"Numbers kept": "4 of 25", "Parameters to learn": "0"}
    assert any("no parameters to learn" in c.value for c in app.caption)


SIZE_CASES = [  # window, stride, padding, size line
    (2, 1, "valid", "5x5 → 4x4"), (2, 2, "same", "5x5 → 3x3"), (3, 3, "valid", "5x5 → 1x1"),
    (3, 2, "same", "5x5 → 3x3"), (3, 1, "same", "5x5 → 5x5"),
]


def test_window_stride_and_padding_update_the_size(app):
    for size, stride, padding, expected in SIZE_CASES:
        app.radio(key="pool_size").set_value(size).run()
        app.radio(key="pool_stride").set_value(stride).run()
        app.radio(key="pool_padding").set_value(padding).run()
        case = f"{size}x{size}, stride {stride}, {padding}"
        assert not app.exception, case
        assert size_line(app).startswith(f"**Size:** {expected} "), case
        out = expected.rsplit(" ", 1)[1]
        assert f"Max pooled {out}" in json.dumps(animation(app)["layout"]["annotations"]), case


def test_stepping_moves_the_window_and_average_mode_divides(app):
    assert window_box(animation(app)) == (-0.5, -0.5)
    app.button(key="pool_next").click().run()
    assert "Step 2 of 4: output row 0, column 1" in "\n".join(m.value for m in app.markdown)
    assert window_box(animation(app)) == (1.5, -0.5)
    assert app.code[0].value == "max(7, -6, 4, -7) = 7"
    app.radio(key="pool_mode").set_value("avg").run()
    assert app.code[0].value == "(7 + (-6) + 4 + (-7)) / 4 = -0.5"
    assert "Average pooled 2x2" in json.dumps(animation(app)["layout"]["annotations"])


def test_uses_the_sliding_window_output_when_there_is_one(run_page):
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
    app.session_state[SLIDING_WINDOW_OUTPUT_KEY] = {
        "values": np.arange(36.0).reshape(6, 6), "label": "A test map"}
    app.run()
    assert not app.exception and not app.info
    assert any("From the Sliding window page: A test map." in c.value for c in app.caption)
    assert size_line(app) == "**Size:** 6x6 → 3x3 (36 numbers → 9)"
    assert app.code[0].value == "max(0, 1, 6, 7) = 7"


def test_photo_edge_map_is_28x28_and_pools_to_14x14(app):
    app.radio(key="pool_source").set_value("Edge map of a photo").run()
    assert not app.exception and not app.error
    assert size_line(app) == "**Size:** 28x28 → 14x14 (784 numbers → 196)"
    assert metrics(app)["Numbers kept"] == "196 of 784"
    spec = animation(app)
    assert spec["data"][0]["colorbar"]["title"]["text"] == "edge strength"
    assert len(spec["frames"]) == 196
    app.selectbox(key="pool_edge").set_value("Laplacian").run()
    app.selectbox(key="pool_photo").set_value("Coffee cup").run()
    assert not app.exception


def test_a_single_bright_cell_shows_the_shift_hidden():
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
    blob = np.zeros((6, 6))
    blob[2, 2] = 9
    app.session_state[SLIDING_WINDOW_OUTPUT_KEY] = {"values": blob, "label": "one blob"}
    app.run()
    caption = next(c.value for c in app.caption if c.value.startswith("The shift changed"))
    assert "6% of the input numbers and 0% of the pooled ones" in caption
    assert "hid most of the shift" in caption


def test_random_grid_input(app):
    app.radio(key="pool_source").set_value("Random grid").run()
    app.slider(key="pool_grid_size").set_value(9).run()
    assert not app.exception and size_line(app).startswith("**Size:** 9x9 → 4x4")


def test_shift_demo_compares_the_pooled_outputs(app):
    for direction in ["right", "down", "left", "up"]:
        app.radio(key="pool_shift").set_value(direction).run()
        assert not app.exception, direction
        caption = next(c.value for c in app.caption if c.value.startswith("The shift changed"))
        assert "of the input numbers and" in caption and "Here pooling" in caption
        chart = next(c for c in app.get("plotly_chart")
                     if c.proto.id.endswith("pool_shift_figure"))
        assert f"Pooled after a shift {direction}" in chart.proto.spec


def test_output_of_the_sliding_window_page_reaches_the_pooling_page():
    app = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60).run()
    app.switch_page("pages/2_Sliding_window.py").run()
    app.radio(key="sw_padding").set_value("same").run()
    app.switch_page("pages/3_Pooling.py").run()
    assert not app.exception
    assert any("Classic 5x5 through Vertical edge (same, stride 1)" in c.value
               for c in app.caption)
    assert size_line(app) == "**Size:** 5x5 → 2x2 (25 numbers → 4)"
    assert app.code[0].value == "max(-11, 0, -14, -3) = 0"


def test_no_sample_photos_is_explained(app, monkeypatch):
    from ui import grid_widgets

    monkeypatch.setattr(grid_widgets, "available_photos", dict)
    app.radio(key="pool_source").set_value("Edge map of a photo").run()
    assert not app.exception and not app.get("plotly_chart")
    assert any("No sample photos were found" in i.value for i in app.info)


# ---- tiny and thin maps ----------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (1, 7), (7, 1)])
def test_tiny_and_thin_maps_give_an_output_or_one_plain_error(shape):
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
    values = np.arange(1.0, np.prod(shape) + 1).reshape(shape)
    app.session_state[SLIDING_WINDOW_OUTPUT_KEY] = {"values": values, "label": "a thin map"}
    app.run()
    for size in (2, 3):
        for padding in ("valid", "same"):
            app.radio(key="pool_size").set_value(size).run()
            app.radio(key="pool_padding").set_value(padding).run()
            case = f"{shape}, {size}x{size}, {padding}"
            assert not app.exception, case
            stride = app.radio(key="pool_stride").value
            out_h = output_size(shape[0], size, padding, stride)
            out_w = output_size(shape[1], size, padding, stride)
            if out_h == 0 or out_w == 0:
                assert len(app.error) == 1 and "larger than" in app.error[0].value, case
            else:
                assert not app.error, case
                assert size_line(app).startswith(
                    f"**Size:** {shape[0]}x{shape[1]} → {out_h}x{out_w} "), case
