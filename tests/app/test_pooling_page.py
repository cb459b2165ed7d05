"""AppTest of the Pooling page: inputs, sizes, dropped cells, stepping and the shift lesson."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.config import MIN_POOL_MAP, SLIDING_WINDOW_OUTPUT_KEY
from cnn_core.maths.frames import pool_frames
from cnn_core.maths.windows import output_size, padding_amounts, uncovered
from tests.app.animation_spec import animation_spec, window_box
from tests.app.conftest import REPO_ROOT

PAGE = "app_pages/3_Pooling.py"


def size_line(app) -> str:
    return next(m.value for m in app.markdown if m.value.startswith("**Size:**"))


def map_shape(app) -> tuple[int, int]:
    """The input map's shape, read from the size line ("**Size:** 8x8 → ...")."""
    h, w = size_line(app).split()[1].split("x")
    return int(h), int(w)


def animation(app) -> dict:
    return animation_spec(app, "pool_animation")


def metrics(app) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def input_map(app) -> np.ndarray:
    """The numbers on the figure's input panel (padding left out)."""
    z = animation(app)["data"][0]["z"]
    if isinstance(z, dict):  # plotly sends large arrays as typed base64
        shape = [int(v) for v in str(z["shape"]).split(",")]
        z = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape)
    z = np.asarray(z, dtype=float)
    return z[~np.isnan(z).all(axis=1)][:, ~np.isnan(z).all(axis=0)]


@pytest.fixture
def app(run_page):
    return run_page(PAGE)


def with_shared_map(values: np.ndarray, label: str = "A test map") -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
    app.session_state[SLIDING_WINDOW_OUTPUT_KEY] = {"values": values, "label": label}
    app.run()
    app.radio(key="pool_source").set_value("Sliding-window output").run()
    return app


def test_opens_on_a_map_that_shows_pooling(app):
    assert not app.exception and not app.error and not app.info
    h, w = map_shape(app)
    assert min(h, w) >= 6
    out_h, out_w = output_size(h, 2, "valid", 2), output_size(w, 2, "valid", 2)
    assert size_line(app) == f"**Size:** {h}x{w} → {out_h}x{out_w} ({h * w} numbers → " \
        f"{out_h * out_w})"
    frame = pool_frames(input_map(app), 2, 2, "max")[0]
    assert app.code[0].value == frame.arithmetic
    assert metrics(app) == {"Numbers kept": f"{out_h * out_w} of {h * w}",
                            "Parameters to learn": "0"}
    assert any("no parameters to learn" in c.value for c in app.caption)
    assert not app.warning  # an even map loses nothing


def test_nothing_from_the_sliding_window_page_says_so_once(app):
    app.radio(key="pool_source").set_value("Sliding-window output").run()
    assert not app.exception and not app.error
    assert len(app.info) == 1 and "Nothing from the Sliding window page yet" in app.info[0].value
    assert not any("From the Sliding window page" in c.value for c in app.caption)


SIZE_CASES = [(2, 1, "valid"), (2, 2, "same"), (3, 3, "valid"), (3, 2, "same"), (3, 1, "same")]


def test_window_stride_and_padding_update_the_size_and_the_formula(app):
    h, _ = map_shape(app)
    for size, stride, padding in SIZE_CASES:
        app.radio(key="pool_size").set_value(size).run()
        app.radio(key="pool_stride").set_value(stride).run()
        app.radio(key="pool_padding").set_value(padding).run()
        case = f"{size}x{size}, stride {stride}, {padding}"
        assert not app.exception, case
        out = output_size(h, size, padding, stride)
        assert size_line(app).startswith(f"**Size:** {h}x{h} → {out}x{out} "), case
        assert f"Max pooled {out}x{out}" in json.dumps(animation(app)["layout"]["annotations"])
        before, after = padding_amounts(h, size, padding, stride)
        assert any(rf"\frac{{{h} + {before} + {after} - {size}}}{{{stride}}}" in latex.value
                   for latex in app.latex), case


def test_valid_pooling_names_the_cells_it_drops():
    app = with_shared_map(np.arange(25.0).reshape(5, 5))
    assert size_line(app) == "**Size:** 5x5 → 2x2 (25 numbers → 4)"
    dropped = uncovered(5, 2, "valid", 2)
    (warning,) = [w.value for w in app.warning]
    assert f"row {dropped[0]} and column {dropped[0]}" in warning
    assert f"{25 - 16} of the 25 numbers are dropped" in warning and '"same"' in warning
    app.radio(key="pool_padding").set_value("same").run()
    assert not app.warning
    app.radio(key="pool_stride").set_value(3).run()  # a stride larger than the window skips
    skipped = uncovered(5, 2, "same", 3)
    assert skipped and "jumps over cells" in app.warning[0].value
    assert f"rows {skipped[0]}" in app.warning[0].value or f"row {skipped[0]}" in \
        app.warning[0].value


def test_stepping_moves_the_window_and_average_mode_divides(app):
    x = input_map(app)
    frames = pool_frames(x, 2, 2, "max")
    assert window_box(animation(app)) == (-0.5, -0.5)
    app.button(key="pool_next").click().run()
    assert f"Step 2 of {len(frames)}: output row 0, column 1" in "\n".join(
        m.value for m in app.markdown)
    assert window_box(animation(app)) == (1.5, -0.5)
    assert app.code[0].value == frames[1].arithmetic
    app.radio(key="pool_mode").set_value("avg").run()
    assert app.code[0].value == pool_frames(x, 2, 2, "avg")[1].arithmetic
    assert "Average pooled" in json.dumps(animation(app)["layout"]["annotations"])


def test_play_then_next_goes_on_from_the_played_step(app):
    frames = pool_frames(input_map(app), 2, 2, "max")
    app.button(key="pool_play").click().run()
    app.run()
    app.run()  # two ticks
    app.button(key="pool_next").click().run()
    assert app.slider(key="pool_step").value == 4 and not app.session_state["pool_playing"]
    f = frames[3]
    top, left = f.input_position
    assert window_box(animation(app)) == (left - 0.5, top - 0.5)
    assert app.code[0].value == f.arithmetic


def test_uses_the_sliding_window_output_when_there_is_one():
    app = with_shared_map(np.arange(36.0).reshape(6, 6))
    assert not app.exception and not app.info
    assert any("From the Sliding window page: A test map, 6x6." in c.value for c in app.caption)
    assert size_line(app) == "**Size:** 6x6 → 3x3 (36 numbers → 9)"
    assert app.code[0].value == pool_frames(np.arange(36.0).reshape(6, 6))[0].arithmetic


def test_a_small_shared_map_is_called_small():
    side = MIN_POOL_MAP - 1
    app = with_shared_map(np.ones((side, side)))
    caption = next(c.value for c in app.caption if "From the Sliding window page" in c.value)
    assert "It is small" in caption


def test_photo_edge_map_is_28x28_and_pools_to_14x14(app):
    app.radio(key="pool_source").set_value("Edge map of a photo").run()
    assert not app.exception and not app.error
    assert size_line(app) == "**Size:** 28x28 → 14x14 (784 numbers → 196)"
    assert metrics(app)["Numbers kept"] == "196 of 784"
    spec = animation(app)
    assert spec["data"][0]["colorbar"]["title"]["text"] == "edge strength"
    assert not spec.get("frames")  # one still figure: the page steps it
    app.selectbox(key="pool_edge").set_value("Laplacian").run()
    app.selectbox(key="pool_photo").set_value("Coffee cup").run()
    assert not app.exception


def test_digit_map_size_and_kernel(app):
    app.slider(key="pool_digit_side").set_value(12).run()
    app.selectbox(key="pool_digit_edge").set_value("Sobel y").run()
    assert not app.exception and map_shape(app) == (12, 12)


def shift_caption(app) -> str:
    return next(c.value for c in app.caption if c.value.startswith("Moving the map"))


def test_a_single_bright_cell_inside_its_window_survives_the_shift():
    blob = np.zeros((6, 6))
    blob[2, 2] = 9
    app = with_shared_map(blob, "one blob")
    assert "changed 100% of the input numbers that are not zero and 0% of the pooled" in \
        shift_caption(app)
    app.radio(key="pool_shift_by").set_value(2).run()  # into the next window
    assert "and 100% of the pooled" in shift_caption(app)


def test_random_grid_input(app):
    app.radio(key="pool_source").set_value("Random grid").run()
    app.slider(key="pool_grid_size").set_value(9).run()
    assert not app.exception and size_line(app).startswith("**Size:** 9x9 → 4x4")
    assert any("column 8" in w.value for w in app.warning)


def test_shift_demo_and_the_study_over_many_inputs(app):
    for direction in ["right", "down", "left", "up"]:
        app.radio(key="pool_shift").set_value(direction).run()
        assert not app.exception, direction
        assert f"1 cell {direction}" in shift_caption(app)
        chart = next(c for c in app.get("plotly_chart")
                     if c.proto.id.endswith("pool_shift_figure"))
        assert f"Pooled after moving {direction}" in chart.proto.spec
    table = next(m.value for m in app.markdown if m.value.startswith("| Input (maps)"))
    assert "Random grids (200)" in table and "MNIST digits" in table
    assert "small, partial" in "\n".join(m.value for m in app.markdown)


def test_output_of_the_sliding_window_page_reaches_the_pooling_page():
    app = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60).run()
    app.switch_page("app_pages/2_Sliding_window.py").run()
    app.radio(key="sw_padding").set_value("same").run()
    # A page switch in the browser leaves the last page's settings out of the address bar;
    # AppTest keeps them, and the Pooling page would read "padding=same" as its own link.
    app.query_params.clear()
    app.switch_page("app_pages/3_Pooling.py").run()
    app.radio(key="pool_source").set_value("Sliding-window output").run()
    assert not app.exception and not app.info
    assert any("Classic 5x5 through Vertical edge (same, stride 1), 5x5" in c.value
               for c in app.caption)
    assert size_line(app) == "**Size:** 5x5 → 2x2 (25 numbers → 4)"


def test_no_sample_photos_is_explained(app, monkeypatch):
    from ui import grid_widgets

    monkeypatch.setattr(grid_widgets, "available_photos", dict)
    app.radio(key="pool_source").set_value("Edge map of a photo").run()
    assert not app.exception and not app.get("plotly_chart")
    assert any("No sample photos were found" in i.value for i in app.info)


# ---- tiny and thin maps ----------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (1, 7), (7, 1)])
def test_tiny_and_thin_maps_give_an_output_or_one_plain_error(shape):
    app = with_shared_map(np.arange(1.0, np.prod(shape) + 1).reshape(shape), "a thin map")
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
