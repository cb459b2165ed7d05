"""Filter options and the pixel inspector for the image-kernels page."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates

from cnn_core.maths.frames import (
    filtered_shape,
    format_arithmetic,
    inspect_pixel,
    pixel_under_click,
    shorten_arithmetic,
    window_origin,
)
from cnn_core.maths.kernels import common_fraction
from cnn_core.views.marks import mark_window
from cnn_core.views.number_table import number_table_html
from ui.links import NO_LINK, PageLink

# Short enough for the select box in the narrow controls column; BORDER_HELP says the rest.
BORDER_LABELS = {
    "same": "Zero padding (same size)",
    "reflect": "Reflect the edge",
    "valid": "Valid (the image shrinks)",
}
BORDER_HELP = {
    "same": "Pixels beyond the edge count as 0, as in a Keras layer with padding='same': the "
            "result keeps its size, with a dark frame.",
    "reflect": "Pixels beyond the edge are mirrored from inside: same size, no dark frame.",
    "valid": "Only where the whole kernel fits on the photo: the result is smaller.",
}
COLOUR_MODES = ["Greyscale", "Each colour channel"]
DISPLAY_LABELS = {
    "clip": "Clip to 0-255",
    "abs": "Absolute value",
    "rescale": "Rescale min-max to 0-255",
}
CHANNELS = {"Red": 0, "Green": 1, "Blue": 2}
# Up to 5x5 every product is written out; bigger kernels show the first 12 and how many more.
MAX_WRITTEN_TERMS = 25
FIRST_WRITTEN_TERMS = 12
# Inspector grids: wide enough for a 4-character number per cell; three 3x3 grids fit in a row
# of a 1024-pixel-wide projector beside the page list.
GRID_CELL_PX = 30
GRID_MIN_PX = 180
GREY_SCALE = [[0.0, "rgb(0, 0, 0)"], [1.0, "rgb(255, 255, 255)"]]
SIGNED_SCALE = "RdBu"  # red below 0, white at 0, blue above


def _symmetric(largest: float) -> tuple[float, float]:
    """A colour range centred on 0, so 0 is always white and the sign reads as a colour."""
    return -(largest or 1.0), largest or 1.0


@dataclass(frozen=True)
class FilterOptions:
    greyscale: bool
    border: str
    display: str


def filter_options_ui(signed_output: bool, key: str = "filter",
                      link: PageLink = NO_LINK) -> FilterOptions:
    colour = link.control("colour", st.radio, "Colour", COLOUR_MODES, horizontal=True,
                          key=f"{key}_colour",
                          help="Per channel filters red, green and blue separately, as the "
                               "first layer of a CNN sees a colour photo.")
    border = link.control("border", st.selectbox, "Borders", list(BORDER_LABELS),
                          format_func=BORDER_LABELS.get, key=f"{key}_border")
    st.caption(BORDER_HELP[border])
    display = link.control("display", st.radio, "Show values outside 0-255 by",
                           list(DISPLAY_LABELS), format_func=DISPLAY_LABELS.get,
                           key=f"{key}_display")
    st.caption(
        "A kernel's sum can be negative or above 255, but a pixel cannot. Edge kernels add "
        "positive and negative weights, so half of every edge comes out negative: clipping "
        "turns it black, the absolute value shows both sides, and rescaling shows the whole range."
    )
    if signed_output and display == "clip":
        st.info("This kernel gives negative numbers at half of the edges; try "
                "'Absolute value' to see them.")
    return FilterOptions(colour == "Greyscale", border, display)


def inspected_pixel(key: str, out_shape: tuple[int, int]) -> tuple[int, int]:
    """The inspected output pixel from the session, kept inside the result (middle at first)."""
    for name, limit in zip(("row", "col"), out_shape, strict=True):
        state = f"{key}_{name}"
        st.session_state[state] = min(max(int(st.session_state.get(state, limit // 2)), 0),
                                      limit - 1)
    return st.session_state[f"{key}_row"], st.session_state[f"{key}_col"]


def clickable_original(preview: np.ndarray, kernel_shape: tuple[int, int], border: str,
                       key: str = "inspect", link: PageLink = NO_LINK) -> None:
    """Show the original preview; a click moves the inspected pixel to where it landed
    (unless a teacher's link locks the pixel).

    Call only when the filter has an output (a "valid" kernel fits in the preview).
    """
    out_shape = filtered_shape(preview.shape, kernel_shape, border)
    row, col = inspected_pixel(key, out_shape)
    top, left = window_origin(row, col, preview.shape, kernel_shape, border)
    click = streamlit_image_coordinates(mark_window(preview, top, left, kernel_shape),
                                        key=f"{key}_click", width="stretch",
                                        image_format="JPEG", jpeg_quality=90,
                                        cursor="crosshair")
    pixel_locked = link.locked("row") or link.locked("col")
    if click and not pixel_locked and \
            click.get("unix_time") != st.session_state.get(f"{key}_last_click"):
        st.session_state[f"{key}_last_click"] = click.get("unix_time")
        row, col = pixel_under_click(click["x"], click["y"], click.get("width"), preview.shape,
                                     kernel_shape, border)
        st.session_state[f"{key}_row"], st.session_state[f"{key}_col"] = row, col
        st.rerun()


def inspector_ui(source: np.ndarray, result: np.ndarray, kernel: np.ndarray,
                 options: FilterOptions, key: str = "inspect", link: PageLink = NO_LINK) -> None:
    """Sliders for the pixel, then window, kernel, products and sum, side by side."""
    channel_name = "Grey"
    if source.ndim == 3:
        channel_name = st.radio("Channel", list(CHANNELS), horizontal=True, key=f"{key}_channel")
        channel = source[:, :, CHANNELS[channel_name]]
    else:
        channel = source
    out_h, out_w = result.shape[:2]
    row, col = inspected_pixel(key, (out_h, out_w))
    cols = st.columns(2)
    for name, limit, column in (("row", out_h, cols[0]), ("col", out_w, cols[1])):
        label = "Output row (y)" if name == "row" else "Output column (x)"
        if limit > 1:
            link.control(name, column.slider, label, 0, limit - 1, key=f"{key}_{name}")
        else:  # a slider needs two values to choose from
            column.markdown(f"{label}: 0 (the result has only one)")
    inspection = inspect_pixel(channel, kernel, row, col, options.border)
    shown = result[row, col] if result.ndim == 2 else result[row, col, CHANNELS[channel_name]]
    # A 1/64 blur is shown as 64 ones "x 1/64": 0.0156 does not fit in a cell on a projector.
    scale, multiples = common_fraction(inspection.kernel)
    weights_title = "Weights" + (f" (each x 1/{scale.denominator})" if scale != 1 else "")
    largest_weight = float(np.max(np.abs(inspection.kernel))) or 1.0
    figures: list[tuple[str, np.ndarray, str, tuple[float, float]]] = [
        (f"Pixels ({channel_name.lower()})", inspection.window, "pixel value", (0.0, 255.0)),
        (weights_title, multiples, "weight", _symmetric(float(np.max(np.abs(multiples))))),
        ("Pixel x weight", inspection.products, "product", _symmetric(255 * largest_weight)),
    ]
    grid_px = max(GRID_MIN_PX, GRID_CELL_PX * inspection.kernel.shape[1] + 60)
    # Side by side where they fit, one under another on a narrow screen.
    with st.container(horizontal=True, gap="small"):
        for title, values, unit, (low, high) in figures:
            scale_colours = GREY_SCALE if unit == "pixel value" else SIGNED_SCALE
            with st.container(width=grid_px):
                st.markdown(f"**{title}**")
                st.html(number_table_html(values, low, high, scale_colours, unit=unit,
                                          cell_px=GRID_CELL_PX))
    st.caption("The colours use fixed scales, so two similar numbers get similar colours: pixels "
               "from 0 (black) to 255 (white), weights and products red below 0 and blue above "
               "0, as strong as this kernel can make them.")
    st.markdown(f"**Sum of the products** for output pixel (row {row}, column {col}):")
    written = format_arithmetic(inspection.window, inspection.kernel, inspection.value,
                                order="row")  # pixel x weight, row by row
    st.code(shorten_arithmetic(written, keep=MAX_WRITTEN_TERMS, head=FIRST_WRITTEN_TERMS, tail=0,
                               say_how_many=True), language=None, wrap_lines=True)
    st.markdown(
        f"The sum is **{inspection.value:.4g}**; shown as pixel value **{int(shown)}** "
        f"after '{DISPLAY_LABELS[options.display].lower()}'."
    )
