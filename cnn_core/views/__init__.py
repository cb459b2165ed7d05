"""Plotly figures and pictures made from arrays, and a page's settings as a link; they never call
Streamlit."""
