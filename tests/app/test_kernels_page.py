"""AppTest of the Image kernels page: presets, custom kernels, options and the inspector."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cnn_core.config import PREVIEW_MAX_SIDE
from cnn_core.data.images import fit_within
from cnn_core.maths.frames import filtered_shape
from cnn_core.maths.kernels import PRESET_KERNELS
from cnn_core.views.number_table import cell_colour
from tests.core.views.number_table_cells import TableCell, table_cells
from ui.filter_ui import GREY_SCALE, SIGNED_SCALE

PAGE = "app_pages/1_Image_kernels.py"


def markdown_text(app) -> str:
    return "\n".join(str(m.value) for m in app.markdown)


def test_page_loads_with_the_cat_and_sobel(run_page):
    app = run_page(PAGE)
    assert not app.exception
    assert app.selectbox(key="photo_sample").value == "Cat (Chelsea)"
    text = markdown_text(app)
    assert "Result: Sobel x" in text and "451 x 300" in text
    assert "The sum is" in text
    assert len(app.get("image")) == 1  # the result; the original is the clickable component


def test_switching_presets_changes_caption_and_result(run_page):
    app = run_page(PAGE)
    for name in ["Box blur 3x3", "Mean blur 8x8", "Sharpen", "Emboss"]:
        app.selectbox(key="kernel_preset").set_value(name).run()
        assert not app.exception
        assert f"Result: {name}" in markdown_text(app)
        assert PRESET_KERNELS[name].caption in [c.value for c in app.caption]


def test_inspector_sum_matches_products_and_moves_with_sliders(run_page):
    app = run_page(PAGE)
    app.selectbox(key="kernel_preset").set_value("Identity").run()
    app.slider(key="inspect_row").set_value(10).run()
    app.slider(key="inspect_col").set_value(20).run()
    assert "(row 10, column 20)" in markdown_text(app)
    code = app.code[0].value
    # Identity: the sum is the grey value of the pixel itself.
    total = float(code.rsplit("=", 1)[1])
    assert f"shown as pixel value **{int(total)}**" in markdown_text(app)


@pytest.mark.parametrize("text", ["1 2 x", "1 2\n3", "nan 1", "", "1/0",
                                  "\n".join([" ".join(["1"] * 16)] * 16)])
def test_bad_custom_text_kernel_shows_an_error_not_an_exception(run_page, text):
    app = run_page(PAGE)
    app.radio(key="kernel_mode").set_value("Custom").run()
    app.radio(key="kernel_entry").set_value("As text").run()
    app.text_area(key="kernel_text").set_value(text).run()
    assert not app.exception
    assert len(app.error) == 1


def test_an_invalid_custom_kernel_keeps_the_original_on_screen(run_page):
    app = run_page(PAGE)
    app.radio(key="kernel_mode").set_value("Custom").run()
    app.radio(key="kernel_entry").set_value("As text").run()
    app.text_area(key="kernel_text").set_value("1 2 x").run()
    assert not app.exception and len(app.error) == 1
    assert "**Original** (451 x 300 pixels)" in markdown_text(app)
    assert len(app.get("image")) == 1  # the photo, shown plainly until the kernel is fixed
    assert "Result:" not in markdown_text(app)
    assert any("once the kernel is fixed" in i.value for i in app.info)


def test_zero_sum_kernel_error_names_the_checkbox_by_its_label(run_page):
    app = run_page(PAGE)
    app.radio(key="kernel_mode").set_value("Custom").run()
    app.checkbox(key="kernel_normalise").check().run()  # the Sobel x grid adds up to 0
    assert not app.exception and len(app.error) == 1
    label = app.checkbox(key="kernel_normalise").label
    assert f"Untick '{label}'" in app.error[0].value
    assert "**Original** (451 x 300 pixels)" in markdown_text(app)
    app.checkbox(key="kernel_normalise").uncheck().run()
    assert not app.error and "Result: Custom" in markdown_text(app)


def test_the_result_is_marked_at_the_inspected_pixel(run_page):
    from cnn_core.views.marks import mark_output

    app = run_page(PAGE)
    app.slider(key="inspect_row").set_value(40).run()
    app.slider(key="inspect_col").set_value(70).run()
    captions = [c.value for c in app.caption]
    assert "The magenta mark: output pixel (row 40, column 70), worked out below." in captions
    result = np.full((100, 120), 128, np.uint8)
    marked = mark_output(result, 40, 70)
    magenta = np.all(marked == (255, 0, 255), axis=-1)
    rows, cols = np.nonzero(magenta)
    # A box around the pixel and ticks pointing at it, centred on it; the pixel itself is kept.
    assert magenta[39, 69] and magenta[41, 71] and not magenta[40, 70]
    assert rows.min() < 40 < rows.max() and cols.min() < 70 < cols.max()
    assert (rows.min() + rows.max()) / 2 == pytest.approx(40, abs=1)
    assert (cols.min() + cols.max()) / 2 == pytest.approx(70, abs=1)
    assert np.all(marked[~magenta] == 128)  # nothing else drawn on the result


def inspector_tables(app) -> dict[str, list[list[TableCell]]]:
    """The inspector's three number tables by their unit (in each cell's hover text)."""
    tables = {}
    for element in app.get("html"):
        cells = table_cells(element.proto.body)
        if cells:
            tables[cells[0][0].title.rsplit("(", 1)[1].rstrip(")")] = cells
    return tables


def test_inspector_colours_use_fixed_scales(run_page):
    """154 and 162 must look alike: pixels on 0-255, weights and products centred on 0."""
    app = run_page(PAGE)
    tables = inspector_tables(app)
    assert set(tables) == {"pixel value", "weight", "product"}
    largest_weight = float(np.abs(PRESET_KERNELS["Sobel x"].matrix).max())
    ranges = {"pixel value": (0.0, 255.0, GREY_SCALE),
              "weight": (-largest_weight, largest_weight, SIGNED_SCALE),
              "product": (-255 * largest_weight, 255 * largest_weight, SIGNED_SCALE)}
    for unit, cells in tables.items():
        low, high, scale = ranges[unit]
        for cell in (cell for row in cells for cell in row):
            assert cell.background == cell_colour(float(cell.text), low, high, scale)
    window = tables["pixel value"]
    assert [[float(c.text) for c in row] for row in tables["weight"]] == \
        PRESET_KERNELS["Sobel x"].matrix.tolist()
    assert len(window) == 3 and all(len(row) == 3 for row in window)


def test_a_blur_shows_its_weights_as_whole_numbers_times_a_fraction(run_page):
    app = run_page(PAGE)
    app.selectbox(key="kernel_preset").set_value("Mean blur 8x8").run()
    assert "**Weights (each x 1/64)**" in markdown_text(app)
    weights = inspector_tables(app)["weight"]
    assert len(weights) == 8 and {c.text for row in weights for c in row} == {"1"}


def test_custom_kernel_normalised_and_even_sizes(run_page):
    app = run_page(PAGE)
    app.radio(key="kernel_mode").set_value("Custom").run()
    app.radio(key="kernel_entry").set_value("As text").run()
    app.text_area(key="kernel_text").set_value("1 1\n1 1").run()
    app.checkbox(key="kernel_normalise").check().run()
    assert not app.exception and not app.error
    assert "Result: Custom" in markdown_text(app)
    app.text_area(key="kernel_text").set_value("1 0 -1\n1 0 -1").run()
    assert app.error and "add up to 0" in app.error[0].value


def test_custom_grid_resizes(run_page):
    app = run_page(PAGE)
    app.radio(key="kernel_mode").set_value("Custom").run()
    app.number_input(key="kernel_rows").set_value(15).run()
    app.number_input(key="kernel_cols").set_value(2).run()
    assert not app.exception and not app.error
    assert "Result: Custom" in markdown_text(app)


def test_valid_border_shrinks_and_says_so(run_page):
    app = run_page(PAGE)
    app.selectbox(key="kernel_preset").set_value("Mean blur 8x8").run()
    app.selectbox(key="filter_border").set_value("valid").run()
    assert not app.exception
    assert "444 x 293" in markdown_text(app)
    assert any("becomes 444 x 293" in c.value for c in app.caption)


@pytest.mark.parametrize("display", ["clip", "abs", "rescale"])
@pytest.mark.parametrize("colour", ["Greyscale", "Each colour channel"])
def test_display_and_colour_options(run_page, display, colour):
    app = run_page(PAGE)
    app.radio(key="filter_display").set_value(display).run()
    app.radio(key="filter_colour").set_value(colour).run()
    assert not app.exception
    if colour == "Each colour channel":
        app.radio(key="inspect_channel").set_value("Blue").run()
        assert "**Pixels (blue)**" in markdown_text(app)


def test_every_sample_photo(run_page):
    app = run_page(PAGE)
    for label in app.selectbox(key="photo_sample").options:
        app.selectbox(key="photo_sample").set_value(label).run()
        assert not app.exception


def test_upload_mode_without_a_file_explains_what_to_do(run_page):
    app = run_page(PAGE)
    app.radio(key="photo_source").set_value("Upload your own").run()
    assert not app.exception
    assert any("Choose a photo" in i.value for i in app.info)


# ---- odd image sizes, uploaded as PNG files ---------------------------------------------------

def png(height: int, width: int, seed: int = 0) -> bytes:
    image = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def upload(app, height: int, width: int):
    app.radio(key="photo_source").set_value("Upload your own").run()
    app.file_uploader(key="photo_upload").set_value(
        (f"{width}x{height}.png", png(height, width), "image/png")).run()
    return app


def preview_shape(height: int, width: int) -> tuple[int, int]:
    return fit_within(np.zeros((height, width), np.uint8), PREVIEW_MAX_SIDE)[0].shape[:2]


TINY_AND_THIN = [(1, 1), (2, 2), (1, 40), (40, 1), (10, 10_000), (3, 3)]


@pytest.mark.parametrize("height, width", TINY_AND_THIN)
def test_tiny_and_thin_uploads_filter_and_inspect_without_a_traceback(run_page, height, width):
    app = upload(run_page(PAGE), height, width)
    assert not app.exception and not app.error
    assert f"({width} x {height} pixels)" in markdown_text(app)
    out_h, out_w = preview_shape(height, width)
    # A slider only where there is more than one output row (or column) to choose from.
    assert {s.key for s in app.slider} == (
        ({"inspect_row"} if out_h > 1 else set()) | ({"inspect_col"} if out_w > 1 else set()))
    assert "The sum is" in markdown_text(app)
    app.selectbox(key="kernel_preset").set_value("Mean blur 8x8").run()
    app.selectbox(key="filter_border").set_value("reflect").run()
    assert not app.exception and not app.error
    assert "The sum is" in markdown_text(app)


@pytest.mark.parametrize("height, width", TINY_AND_THIN)
@pytest.mark.parametrize("preset", ["Sobel x", "Mean blur 8x8"])
def test_valid_borders_say_plainly_when_the_kernel_does_not_fit(run_page, height, width, preset):
    app = upload(run_page(PAGE), height, width)
    app.selectbox(key="kernel_preset").set_value(preset).run()
    app.selectbox(key="filter_border").set_value("valid").run()
    assert not app.exception
    kernel_shape = PRESET_KERNELS[preset].matrix.shape
    out_h, out_w = filtered_shape(preview_shape(height, width), kernel_shape, "valid")
    if out_h == 0 or out_w == 0:
        assert len(app.error) == 1 and "larger than" in app.error[0].value
        assert "The sum is" not in markdown_text(app)
    else:
        assert not app.error and f"({out_w} x {out_h} pixels shown)" in markdown_text(app)


def test_a_one_row_result_keeps_the_column_slider_and_moves_the_inspector(run_page):
    app = upload(run_page(PAGE), 1, 40)
    app.selectbox(key="kernel_preset").set_value("Identity").run()
    app.slider(key="inspect_col").set_value(7).run()
    assert not app.exception
    assert "(row 0, column 7)" in markdown_text(app)
    assert "Output row (y): 0 (the result has only one)" in markdown_text(app)


def test_going_back_to_a_photo_after_a_tiny_upload_restores_the_sliders(run_page):
    app = upload(run_page(PAGE), 1, 1)
    app.radio(key="photo_source").set_value("Sample photo").run()
    assert not app.exception
    assert {s.key for s in app.slider} == {"inspect_row", "inspect_col"}


def test_a_custom_blur_starts_as_whole_numbers_divided_by_their_sum(run_page):
    app = run_page(PAGE)
    app.selectbox(key="kernel_preset").set_value("Mean blur 8x8").run()
    app.radio(key="kernel_mode").set_value("Custom").run()
    assert not app.exception and not app.error
    assert app.checkbox(key="kernel_normalise").value  # 64 ones, divided by 64
    assert "**Weights (each x 1/64)**" in markdown_text(app)  # the same kernel as the preset
    app.checkbox(key="kernel_normalise").uncheck().run()
    assert "**Weights**" in markdown_text(app)  # now 64 ones: 64 times too bright
