"""Streamlit-only helpers shared by pages: cached loaders, widget groups, fragments."""
