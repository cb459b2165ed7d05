"""Choosing a photo: a bundled sample or an upload, decoded once and kept with a preview copy."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from cnn_core.config import PREVIEW_MAX_SIDE, SAMPLE_PHOTOS, SAMPLES_DIR, UPLOAD_TYPES
from cnn_core.data.images import ImageError, fit_within, load_image
from ui.links import NO_LINK, PageLink


@dataclass(frozen=True)
class Photo:
    """A decoded photo: full resolution for downloads, a display-sized copy for everything else."""

    name: str
    full: np.ndarray = field(repr=False)
    preview: np.ndarray = field(repr=False)

    @property
    def downscaled(self) -> bool:
        return self.preview.shape[:2] != self.full.shape[:2]


def _make_photo(name: str, full: np.ndarray) -> Photo:
    preview, _ = fit_within(full, PREVIEW_MAX_SIDE)
    for array in (full, preview):
        array.setflags(write=False)  # shared between reruns (and sessions, for samples)
    return Photo(name, full, preview)


@st.cache_resource(show_spinner=False)
def _sample_photo(filename: str) -> Photo:
    return _make_photo(filename, load_image(SAMPLES_DIR / filename))


def available_samples() -> dict[str, str]:
    return {label: f for label, f in SAMPLE_PHOTOS.items() if (SAMPLES_DIR / f).is_file()}


def _uploaded_photo(upload) -> Photo:
    """Decode an upload once: later reruns (kernel changes) reuse the decoded arrays."""
    cached = st.session_state.get("_photo_upload")
    if cached is not None and cached[0] == upload.file_id:
        return cached[1]
    photo = _make_photo(upload.name, load_image(upload))
    st.session_state["_photo_upload"] = (upload.file_id, photo)
    return photo


def photo_ui(key: str = "photo", link: PageLink = NO_LINK) -> Photo | None:
    """Widgets to pick a photo. Returns it, or None after showing why there is none."""
    samples = available_samples()
    choices = (["Sample photo"] if samples else []) + ["Upload your own"]
    if link.hidden("photo"):  # the teacher's sample, with no way to switch to an upload
        source = choices[0]
    else:
        source = st.radio("Photo", choices, horizontal=True, key=f"{key}_source",
                          disabled=link.locked("photo"))
    if source == "Sample photo":
        label = link.control("photo", st.selectbox, "Sample", list(samples), key=f"{key}_sample")
        return _sample_photo(samples[label])
    if not samples:
        st.info("No sample photos were found in assets/samples, so please upload one.")
    upload = st.file_uploader("Upload a photo (JPG, PNG, WebP, BMP, TIFF or GIF)",
                              type=UPLOAD_TYPES, key=f"{key}_upload")
    if upload is None:
        st.info("Choose a photo from your computer to filter it.")
        return None
    try:
        return _uploaded_photo(upload)
    except ImageError as error:
        st.error(str(error))
        return None
