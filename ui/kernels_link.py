"""What a link to the Image kernels page holds: photo, kernel, colour, borders, display, pixel."""

from __future__ import annotations

from cnn_core.config import SAMPLE_PHOTOS
from cnn_core.maths.kernels import PRESET_KERNELS
from cnn_core.views.links import Setting, choice, format_matrix, kernel_matrix, whole
from ui.filter_ui import BORDER_LABELS, COLOUR_MODES, DISPLAY_LABELS

PAGE = "kernels"
NOT_IN_LINK = "An uploaded photo is not in the link: whoever opens it uploads their own."


# The custom kernel's own controls, kept across pages with it (ui/kernel_ui.py's keys).
CUSTOM_KEYS = ("kernel_entry", "kernel_text", "kernel_normalise", "kernel_rows", "kernel_cols",
               "kernel_typed")


def _custom(matrix) -> dict:
    """A linked kernel opens as typed text, ready to edit, used as written."""
    return {"kernel_mode": "Custom", "kernel_entry": "As text",
            "kernel_text": _exact_text(matrix), "kernel_normalise": False}


def _exact_text(matrix) -> str:
    """Every digit kept (1/9 stays 0.111...), so the kernel is exactly the linked one."""
    return "\n".join(" ".join(row.split(",")) for row in format_matrix(matrix).split(";"))


def kernels_settings() -> list[Setting]:
    return [
        choice("photo", "Sample photo", list(SAMPLE_PHOTOS), next(iter(SAMPLE_PHOTOS)),
               key="photo_sample"),
        choice("kernel", "Preset kernel", list(PRESET_KERNELS), "Sobel x", key="kernel_preset"),
        choice("mode", "Preset or custom kernel", ["Preset", "Custom"], "Preset",
               key="kernel_mode"),
        kernel_matrix("matrix", "Custom kernel", assign=_custom, keeps=CUSTOM_KEYS),
        choice("colour", "Colour", COLOUR_MODES, COLOUR_MODES[0], key="filter_colour"),
        choice("border", "Borders", list(BORDER_LABELS), "same", key="filter_border"),
        choice("display", "Values outside 0-255", list(DISPLAY_LABELS), "clip",
               key="filter_display"),
        whole("row", "Inspected pixel: row", 0, 100_000, None, key="inspect_row"),
        whole("col", "Inspected pixel: column", 0, 100_000, None, key="inspect_col"),
    ]
