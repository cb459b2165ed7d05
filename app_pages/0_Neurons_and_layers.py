"""Neurons and layers: one neuron, activation functions, batches and iterations, why dense
layers cannot scale to images, and a small dense network trained live on iris flowers."""

from __future__ import annotations

import streamlit as st

from ui.grid_widgets import text_section
from ui.links import page_link
from ui.neurons_link import NOT_IN_LINK, PAGE, neurons_settings
from ui.neurons_ui import (
    TEXT,
    activations_ui,
    iris_ui,
    layer_cost_ui,
    neuron_ui,
    softmax_ui,
    steps_ui,
)

st.title("Neurons and layers")
st.markdown(text_section(TEXT, "Intro"))
link = page_link(PAGE, neurons_settings(), NOT_IN_LINK)

st.header("1. One neuron", divider="gray")
result = neuron_ui(link)

st.header("2. Activation functions", divider="gray")
activations_ui(result)
softmax_ui(link)

st.header("3. Epochs, batches and iterations", divider="gray")
steps_ui(link)

st.header("4. Why dense layers cannot look at big pictures", divider="gray")
layer_cost_ui(link)

st.header("5. Train a network: iris flowers", divider="gray")
iris_ui(link)
