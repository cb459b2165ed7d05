"""Plotly figures and pictures made from arrays; they never call Streamlit."""
