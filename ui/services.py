"""Cached, read-only resources shared by every session: data sets and the model process.

Only things no learner can change live here (st.cache_resource is shared by all
sessions); a learner's own jobs and models live in st.session_state.
"""

from __future__ import annotations

import streamlit as st

from cnn_core.data.datasets import Dataset, load_dataset
from cnn_core.jobs.inference import InferenceClient


@st.cache_resource(show_spinner="Loading the data set (only the first time)...", max_entries=3)
def shared_dataset(name: str) -> Dataset:
    """A data set loaded once per server; its arrays are made read-only for safety."""
    data = load_dataset(name)
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        array.setflags(write=False)
    return data


@st.cache_resource(show_spinner=False)
def inference_client() -> InferenceClient:
    """One model process for predictions and inspection; it imports Keras so the server never
    does."""
    return InferenceClient()

