"""Accuracy vs precision and recall: why 95% accurate can be useless when one class is rare."""

from __future__ import annotations

import streamlit as st

from cnn_core.data.imbalance import REBALANCE
from ui.imbalance_threshold_ui import confusion_ui, curves_ui, target_recall_ui, threshold_ui
from ui.imbalance_train_ui import (
    collect_finished_job,
    comparison_ui,
    pick_run_ui,
    runs_for,
    train_button_ui,
    train_settings_ui,
)
from ui.imbalance_ui import baselines_ui, calculator_ui, formulas_ui, task_ui, text

st.title("Accuracy vs precision and recall")
st.markdown(text("Intro"))
collect_finished_job()

st.subheader("1. Build a lopsided task")
st.markdown(text("Task"))
setup = task_ui(key="pr_task")

if setup is not None:
    st.subheader("2. Baselines first")
    baselines_ui(setup)

    st.subheader("3. Train a real model")
    st.markdown(text("Train"))
    settings = train_settings_ui(setup, key="pr_train", task_key="pr_task")
    train_button_ui(setup, "none", settings, "Train the CNN", key="pr_train_start")

    runs = runs_for(setup)
    if not runs:
        st.info(f"Train the CNN above (or with a fix in step 6) to see its confusion matrix, "
                f"threshold and curves for {setup.task.title} at {setup.share}% positives.",
                icon=":material/school:")
    else:
        st.subheader("4. The confusion matrix, made concrete")
        st.markdown(text("Matrix"))
        run = pick_run_ui(runs)
        threshold = threshold_ui()
        counts = confusion_ui(setup, run, threshold)
        st.markdown("#### The metrics, with their formulas")
        st.markdown(text("Metrics"))
        formulas_ui(counts, setup.task)

        st.subheader("5. Move the threshold")
        st.markdown(text("Threshold"))
        st.markdown(text("Curves"))
        curves_ui(setup, run, counts, threshold)
        st.markdown("#### Pick the threshold for the recall you need")
        st.markdown(text("Target"))
        target_recall_ui(setup, run, key="pr_target")

    st.subheader("6. Fixes for a rare class")
    st.markdown(text("Fixes"))
    st.radio("Fix", ["class_weight", "oversample"], horizontal=True, key="pr_fix",
             format_func=REBALANCE.get)
    train_button_ui(setup, "pr_fix", settings, "Retrain with this fix", key="pr_fix_start")
    if runs:
        comparison_ui(setup, runs)

st.subheader("7. Calculator")
st.markdown(text("Calculator"))
calculator_ui(key="pr_calc")
