"""Filter options and the pixel inspector for the image-kernels page."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates

from cnn_core.maths.frames import format_arithmetic, format_number, format_term
from cnn_core.maths.inspector import inspect_pixel
from cnn_core.views.figures import number_grid_figure

BORDER_LABELS = {
    "same": "Zero padding (same size, like a Keras layer)",
    "reflect": "Reflect the edge (same size, no dark frame)",
    "valid": "Valid (only where the kernel fits: the image shrinks)",
}
DISPLAY_LABELS = {
    "clip": "Clip to 0-255",
    "abs": "Absolute value",
    "rescale": "Rescale min-max to 0-255",
}
CHANNELS = {"Red": 0, "Green": 1, "Blue": 2}
# Up to 5x5 every product is written out; bigger kernels show the first few.
MAX_WRITTEN_TERMS = 25


@dataclass(frozen=True)
class FilterOptions:
    greyscale: bool
    border: str
    display: str


def filter_options_ui(signed_output: bool, key: str = "filter") -> FilterOptions:
    colour = st.radio("Colour", ["Greyscale", "Each colour channel"], horizontal=True,
                      key=f"{key}_colour",
                      help="Per channel filters red, green and blue separately, as the first "
                           "layer of a CNN sees a colour photo.")
    border = st.selectbox("Borders", list(BORDER_LABELS), format_func=BORDER_LABELS.get,
                          key=f"{key}_border")
    display = st.radio("Show values outside 0-255 by", list(DISPLAY_LABELS),
                       format_func=DISPLAY_LABELS.get, key=f"{key}_display")
    st.caption(
        "A kernel's sum can be negative or above 255, but a pixel cannot. Edge kernels add "
        "positive and negative weights, so half of every edge comes out negative: clipping "
        "turns it black, the absolute value shows both sides, and rescaling shows the whole range."
    )
    if signed_output and display == "clip":
        st.info("This kernel gives negative numbers at half of the edges; try "
                "'Absolute value' to see them.")
    return FilterOptions(colour == "Greyscale", border, display)


def _valid_offset(kernel_shape: tuple[int, int], border: str) -> tuple[int, int]:
    """Output (0, 0) of a "valid" filter sits this far into the original image."""
    if border != "valid":
        return 0, 0
    return (kernel_shape[0] - 1) // 2, (kernel_shape[1] - 1) // 2


def _mark(image: np.ndarray, row: int, col: int, size: tuple[int, int],
          border: str) -> np.ndarray:
    """A copy of the preview with the inspected window outlined."""
    marked = np.array(image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB))
    kh, kw = size
    dy, dx = _valid_offset(size, border)
    top, left = row + dy - (kh - 1) // 2, col + dx - (kw - 1) // 2
    thickness = max(1, round(max(marked.shape[:2]) / 300))
    cv2.rectangle(marked, (left - 1, top - 1), (left + kw, top + kh), (255, 0, 255), thickness)
    # Ticks pointing at the window, so a 3x3 box is easy to find on a large photo.
    centre_x, centre_y = left + kw // 2, top + kh // 2
    reach, gap = max(12, max(marked.shape[:2]) // 25), max(kh, kw) // 2 + 3
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        start = (centre_x + dx * gap, centre_y + dy * gap)
        end = (centre_x + dx * (gap + reach), centre_y + dy * (gap + reach))
        cv2.line(marked, start, end, (255, 0, 255), thickness)
    return marked


def clickable_original(preview: np.ndarray, kernel_shape: tuple[int, int], border: str,
                       key: str = "inspect") -> None:
    """Show the original preview; a click moves the inspected pixel to where it landed."""
    row = st.session_state.get(f"{key}_row", preview.shape[0] // 2)
    col = st.session_state.get(f"{key}_col", preview.shape[1] // 2)
    click = streamlit_image_coordinates(_mark(preview, row, col, kernel_shape, border),
                                        key=f"{key}_click", width="stretch",
                                        image_format="JPEG", jpeg_quality=90,
                                        cursor="crosshair")
    if click and click.get("unix_time") != st.session_state.get(f"{key}_last_click"):
        st.session_state[f"{key}_last_click"] = click.get("unix_time")
        scale = preview.shape[1] / max(click.get("width") or preview.shape[1], 1)
        dy, dx = _valid_offset(kernel_shape, border)
        y = int(min(click["y"] * scale, preview.shape[0] - 1))
        x = int(min(click["x"] * scale, preview.shape[1] - 1))
        st.session_state[f"{key}_row"] = max(y - dy, 0)
        st.session_state[f"{key}_col"] = max(x - dx, 0)
        st.rerun()


def _sum_line(window: np.ndarray, kernel: np.ndarray, total: float) -> str:
    """pixel x weight for every cell, row by row, as on the sliding-window page."""
    if kernel.size <= MAX_WRITTEN_TERMS:
        return format_arithmetic(window, kernel, total, order="row")
    head = " + ".join(f"{format_term(a)}x{format_term(b)}"
                      for a, b in zip(window.ravel()[:12], kernel.ravel()[:12], strict=True))
    return f"{head} + ... ({kernel.size - 12} more products) = {format_number(total)}"


def inspector_ui(source: np.ndarray, result: np.ndarray, kernel: np.ndarray,
                 options: FilterOptions, key: str = "inspect") -> None:
    """Sliders for the pixel, then window, kernel, products and sum, side by side."""
    channel_name = "Grey"
    if source.ndim == 3:
        channel_name = st.radio("Channel", list(CHANNELS), horizontal=True, key=f"{key}_channel")
        channel = source[:, :, CHANNELS[channel_name]]
    else:
        channel = source
    out_h, out_w = result.shape[:2]
    cols = st.columns(2)
    for name, limit, col in (("row", out_h, cols[0]), ("col", out_w, cols[1])):
        state = f"{key}_{name}"
        st.session_state[state] = min(st.session_state.get(state, limit // 2), limit - 1)
        col.slider("Output row (y)" if name == "row" else "Output column (x)", 0, limit - 1,
                   key=state)
    row, col = st.session_state[f"{key}_row"], st.session_state[f"{key}_col"]
    inspection = inspect_pixel(channel, kernel, row, col, options.border)
    shown = result[row, col] if result.ndim == 2 else result[row, col, CHANNELS[channel_name]]
    grids = st.columns(3)
    figures: list[tuple[str, np.ndarray, str]] = [
        (f"Pixels under the kernel ({channel_name.lower()})", inspection.window, "pixel value"),
        ("Kernel weights", inspection.kernel, "weight"),
        ("Pixel x weight", inspection.products, "product"),
    ]
    for column, (title, values, unit) in zip(grids, figures, strict=True):
        fig: go.Figure = number_grid_figure(values, title=title, colorbar_title=unit)
        column.plotly_chart(fig, key=f"{key}_{unit}", config={"displayModeBar": False})
    st.markdown(f"**Sum of the products** for output pixel (row {row}, column {col}):")
    st.code(_sum_line(inspection.window, inspection.kernel, inspection.total), language=None,
            wrap_lines=True)
    st.markdown(
        f"The sum is **{inspection.total:.4g}**; shown as pixel value **{int(shown)}** "
        f"after '{DISPLAY_LABELS[options.display].lower()}'."
    )
