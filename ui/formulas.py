"""Formulas on screen."""

from __future__ import annotations

import streamlit as st


def formula(latex: str) -> None:
    """st.latex with a thin space at each end: KaTeX draws brackets and floor signs a pixel
    or two beyond the box it measures, which a projector-width page would cut off."""
    st.latex(rf"\,{latex}\,")
