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
from ui.precision_recall_link import FIX_KEY, FIXES, precision_recall_link

st.title("Accuracy vs precision and recall")
st.markdown(text("Intro"))
link = precision_recall_link()
collect_finished_job()

st.subheader("1. Build a lopsided task")
st.markdown(text("Task"))
setup = task_ui(key="pr_task", link=link)

if setup is not None:
    st.subheader("2. Baselines first")
    baselines_ui(setup)

    st.subheader("3. Train a real model")
    st.markdown(text("Train"))
    settings = train_settings_ui(setup, key="pr_train", task_key="pr_task", link=link)
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
        threshold = threshold_ui(link=link)
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
        target_recall_ui(setup, run, key="pr_target", link=link)

    st.subheader("6. Fixes for a rare class")
    st.markdown(text("Fixes"))
    link.control("fix", st.radio, "Fix", FIXES, horizontal=True, key=FIX_KEY,
                 format_func=REBALANCE.get)
    train_button_ui(setup, FIX_KEY, settings, "Retrain with this fix", key="pr_fix_start")
    if runs:
        comparison_ui(setup, runs)

st.subheader("7. Calculator")
st.markdown(text("Calculator"))
calculator_ui(key="pr_calc", link=link)
