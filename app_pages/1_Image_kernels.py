"""Image kernels: upload a photo, try blur, sharpen and edge kernels, and see the arithmetic."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cnn_core.config import TEXT_DIR
from cnn_core.data.images import encode_png, to_greyscale
from cnn_core.maths.convolution import apply_kernel
from cnn_core.views.marks import mark_output
from ui.filter_ui import (
    clickable_original,
    filter_options_ui,
    inspected_pixel,
    inspector_ui,
)
from ui.kernel_ui import kernel_ui
from ui.kernels_link import NOT_IN_LINK, PAGE, kernels_settings
from ui.links import page_link
from ui.photo_ui import photo_ui

st.title("Image kernels")
st.caption("A kernel is a small grid of weights. Laid over each pixel in turn, it multiplies "
           "the pixels under it by its weights and adds the products up: that sum is the new "
           "pixel. Different weights blur, sharpen or find edges.")
link = page_link(PAGE, kernels_settings(), NOT_IN_LINK)

# The controls keep a fixed width, room for the longest preset name; beside them the two
# pictures sit side by side on a wide screen and one under the other on a projector.
CONTROLS_PX, PICTURE_PX = 260, 260
with st.container(horizontal=True, gap="medium", wrap=False):
    controls = st.container(width=CONTROLS_PX)
    shown = st.container()
with controls:
    photo = photo_ui(key="photo", link=link)
    kernel = kernel_ui(key="kernel", link=link)
    options = filter_options_ui(kernel.signed_output if kernel else False, key="filter",
                                link=link)

if photo is None:
    st.stop()

height, width = photo.full.shape[:2]
pictures = shown.container(horizontal=True, gap="small")
original = pictures.container(width=PICTURE_PX)
original.markdown(f"**Original** ({width} x {height} pixels)")


def keep_original_and_stop(message: str, problem: bool) -> None:
    """A kernel that cannot be used still leaves the photo on screen, with the reason."""
    original.image(photo.preview, width="stretch")
    beside = pictures.container(width=PICTURE_PX)
    if problem:
        beside.error(message)
    else:
        beside.info(message, icon=":material/edit:")
    st.stop()


if kernel is None:  # kernel_ui has already said what is wrong with it
    keep_original_and_stop("The result appears once the kernel is fixed.", problem=False)
source = photo.preview
try:
    result = apply_kernel(source, kernel.matrix, border=options.border, display=options.display,
                          greyscale=options.greyscale)
except ValueError as error:
    shrunk = (f" (the photo is shown downscaled to {source.shape[1]} x {source.shape[0]} "
              "pixels)") if photo.downscaled else ""
    keep_original_and_stop(f"{error}{shrunk}", problem=True)
if options.greyscale and source.ndim == 3:
    source = to_greyscale(source)

out_h, out_w = result.shape[:2]
row, col = inspected_pixel("inspect", (out_h, out_w))
with original:
    clickable_original(photo.preview, kernel.matrix.shape, options.border, key="inspect",
                       link=link)
    st.caption("Click the photo to inspect a pixel (the magenta mark).")
with pictures.container(width=PICTURE_PX):
    st.markdown(f"**Result: {kernel.name}** ({out_w} x {out_h} pixels shown)")
    # Encoded here with OpenCV's fastest PNG setting: three times quicker than Streamlit's
    # own encoder (most of the server's work for a kernel change, times a class), for files
    # about 10% larger. PNG still, since JPEG would blur the edges a kernel finds.
    st.image(encode_png(mark_output(result, row, col)), width="stretch", output_format="PNG")
    st.caption(f"The magenta mark: output pixel (row {row}, column {col}), worked out below.")
if photo.downscaled:
    shown.caption(f"The preview is downscaled to {source.shape[1]} x {source.shape[0]} pixels so "
                  "it stays fast; the download below is filtered at the full "
                  f"{width} x {height}.")
if options.border == "valid":
    kh, kw = kernel.matrix.shape
    shown.caption(f'"Valid" keeps only positions where the whole {kh}x{kw} kernel fits: '
                  f"{source.shape[1]} x {source.shape[0]} becomes {out_w} x {out_h} "
                  f"(width - {kw} + 1 by height - {kh} + 1).")


def _full_resolution_png() -> bytes:
    # Deferred: the 12 MP filter and PNG encoding only run when the learner clicks.
    full = apply_kernel(photo.full, kernel.matrix, border=options.border,
                        display=options.display, greyscale=options.greyscale)
    return encode_png(full)


shown.download_button("Download the result (PNG)", data=_full_resolution_png,
                      file_name=f"{Path(photo.name).stem}-{kernel.name.replace(' ', '_')}.png",
                      mime="image/png", key="download_result", on_click="ignore",
                      icon=":material/download:", help="Filtered at the photo's full size.")

st.subheader("Pixel inspector: how one output pixel is made")
inspector_ui(source, result, kernel.matrix, options, key="inspect", link=link)

with st.expander("Convolution or cross-correlation?"):
    st.markdown((TEXT_DIR / "cross_correlation.md").read_text(encoding="utf-8"))
