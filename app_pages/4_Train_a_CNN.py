"""Train a CNN: pick data and a model, train it live, then look at what it learned."""

from __future__ import annotations

import streamlit as st

from cnn_core.data.datasets import DATASETS
from ui.job_ui import live_job_panel, progress_panel
from ui.links import page_link
from ui.network_ui import network_ui
from ui.results_ui import results_ui, upload_model_ui
from ui.services import shared_dataset
from ui.train_link import NOT_IN_LINK, PAGE, page_settings
from ui.train_ui import (
    JOB_KEY,
    REPORT_KEY,
    REPORT_REQUEST_KEY,
    collect_finished_job,
    dataset_ui,
    expectation_ui,
    layer_table_ui,
    model_ui,
    press_train,
    start_training,
    started_with,
    train_pressed,
    train_request,
)

st.title("Train a CNN")
st.caption("Pick a data set and a model, press Train, and watch the network learn: the loss "
           "falls and the accuracy climbs after every batch of images. Training runs in its own "
           "process, so you can change settings, visit other pages or open another tab meanwhile.")
link = page_link(PAGE, page_settings(), NOT_IN_LINK)

data_col, model_col = st.columns([1, 1.4], gap="large")
with data_col:
    st.subheader("1. Data")
    data = dataset_ui(link)
if data is None:
    st.stop()
with model_col:
    st.subheader("2. Model")
    preset, hparams, config, n_train, validation = model_ui(data, link)
# Below both columns: the table's four columns do not fit the model column on a projector.
network = network_ui(data, preset, hparams, link)
if network is None:
    layer_table_ui(preset, hparams, data, link)
model, problem = (preset, "") if network is None else network

st.subheader("3. Train")
expectation_ui(data, model, hparams, config, n_train, link)
request = train_request(data, model, hparams, config, n_train, validation)
# The button's callback only notes the press; the job starts here, before the button is
# drawn, so that the button is drawn disabled at once (a learner whose job waits in the queue
# would otherwise see a Train button that does nothing). Callback arguments would be fixed
# when the button was drawn, and a setting typed just before clicking lost: the request
# comes from this very run.
if train_pressed() and not problem:
    start_training(request)
job = st.session_state.get(JOB_KEY)
running = job is not None and job.running
if problem:
    st.caption("Train waits for a network that works: see the red message above.")
st.button("Train", type="primary", key="train_start", disabled=running or bool(problem),
          icon=":material/play_arrow:", on_click=press_train,
          help="Your network does not work yet." if problem
          else "Starts a fresh model with the settings above.")
collect_finished_job()
job = st.session_state.get(JOB_KEY)
# A job keeps its own data set; after a switch above, say so rather than show its curves
# as if they belonged to the data set now chosen.
job_data = None if job is None else DATASETS[job.request.dataset].title
if job is not None and job.running:
    if job.request.dataset != data.name:
        st.caption(f"Still training on {job_data}, the data set chosen when Train was "
                   "pressed.")
    live_job_panel(JOB_KEY, stop_key="train_stop", caption=started_with(job.request, request))
elif job is not None and job.request.dataset != data.name:
    st.caption(f"Your last run trained on {job_data}; choose {job_data} above to see its "
               "progress curves again.")
elif job is not None:
    progress_panel(job)
    if job.error:
        st.caption(started_with(job.request, request))
        st.error(job.error)
else:
    st.info(f"Press Train to start. With {n_train:,} images, one epoch of the MNIST CNN takes "
            "a few seconds on a laptop CPU" + ("." if network is None else
                                               "; a network with more layers takes longer."))

report = st.session_state.get(REPORT_KEY)
st.subheader("4. Results")
if report is not None:
    st.markdown(f"**{report.title}**")
    if REPORT_REQUEST_KEY in st.session_state:
        st.caption(started_with(st.session_state[REPORT_REQUEST_KEY], request))
    if report.dataset != data.name:
        st.caption(f"These results are of the model trained on "
                   f"{DATASETS[report.dataset].title}, not on {data.info.title} chosen above.")
    if report.stopped:
        st.warning("Training was stopped early: these are the results of the partly trained "
                   "model.")
    results_ui(report, shared_dataset(report.dataset), key="results")
else:
    st.caption("Results appear here when a training run ends.")

with st.expander("Test a saved model"):
    uploaded = upload_model_ui(data, key="upload")
    if uploaded is not None:
        st.markdown(f"**{uploaded.title}**")
        results_ui(uploaded, data, key="uploaded")
