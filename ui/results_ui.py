"""Results of a trained or uploaded model: accuracy, confusion matrix, mistakes, insides."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core.data.datasets import Dataset
from cnn_core.jobs.inference import (
    InferenceBusy,
    InferenceError,
    describe_model,
    feature_maps,
    first_layer_filters,
)
from cnn_core.jobs.inference import predict as predict_remote
from cnn_core.jobs.storage import delete_model_files
from cnn_core.jobs.tensorboard_events import events_folder
from cnn_core.models.reports import ModelReport
from cnn_core.views.figures import confusion_matrix_figure, per_class_figure
from cnn_core.views.pictures import channel_tiles, filter_tiles, to_rgb_uint8, upscale
from ui.services import inference_client, session_files
from ui.train_ui import text

UPLOAD_KEY = "uploaded_report"
UPLOAD_ERROR_KEY = "uploaded_model_error"
log = logging.getLogger(__name__)


def results_ui(report: ModelReport, data: Dataset, key: str = "results") -> None:
    """Everything about one model's test results; `data` is the data set it was tested on."""
    cols = st.columns(3)
    cols[0].metric("Test accuracy", f"{report.test_accuracy:.2%}",
                   help=f"On {len(report.y_true):,} test images, measured once after training.")
    validation = report.validation_accuracy
    if validation is not None:
        cols[1].metric("Validation accuracy", f"{validation:.2%}",
                       help=f"On {report.n_validation:,} images held out of the training set, "
                            "after the last finished epoch.")
    else:
        cols[1].metric("Test images", f"{len(report.y_true):,}")
    cols[2].metric("Test loss", f"{report.test_loss:.4f}", help="Mean cross-entropy on the "
                   "test images: lower means more confident correct answers.")
    if report.images_per_second:
        st.caption(f"Trained for {report.train_seconds:,.1f} s at "
                   f"{report.images_per_second:,.0f} images a second on "
                   f"{report.device or 'this machine'}.")
    if report.history:
        _history_ui(report)
    st.markdown("#### Confusion matrix")
    normalised = st.toggle("Show each row as percentages", key=f"{key}_normalise",
                           help="Row-normalised: each cell is the share of that true class.")
    st.plotly_chart(confusion_matrix_figure(report.confusion, report.class_names, normalised),
                    key=f"{key}_confusion", config={"displayModeBar": False})
    st.caption("Each row is a true class and each column a prediction: the diagonal holds the "
               "correct answers, everything else is a mix-up worth looking at.")
    precision, recall = report.per_class()
    st.markdown("#### Precision and recall per class")
    st.plotly_chart(per_class_figure(report.class_names, precision, recall),
                    key=f"{key}_per_class", config={"displayModeBar": False})
    st.caption("Precision: of the images predicted as a class, the share that really were. "
               "Recall: of the images of a class, the share the model found.")
    _mistakes_ui(report, data, key)
    _insides_ui(report, data, key)
    _downloads_ui(report, key)


def _history_ui(report: ModelReport) -> None:
    """Validation after every epoch, test once at the end: both, and why they differ."""
    validation = report.validation_accuracy
    if validation is not None:
        st.markdown(text("val_vs_test").format(val=validation, n_val=report.n_validation,
                                               test=report.test_accuracy,
                                               n_test=len(report.y_true)))
    else:
        st.caption(text("no_validation"))
    st.markdown("#### Training history")
    st.dataframe(pd.DataFrame(report.history_rows()), hide_index=True, width="stretch")
    st.caption(text("training_accuracy"))


def _mistakes_ui(report: ModelReport, data: Dataset, key: str) -> None:
    st.markdown("#### Misclassified test images (most confident mistakes first)")
    names = report.class_names
    only = st.selectbox("True class", ["all classes", *names], key=f"{key}_mistake_class")
    true_class = None if only == "all classes" else names.index(only)
    mistakes = report.mistakes(limit=24, true_class=true_class)
    if not mistakes:
        st.success("No mistakes here.")
        return
    st.image([upscale(to_rgb_uint8(data.x_test[m.index]), 72) for m in mistakes],
             caption=[f"true {names[m.true]}, said {names[m.predicted]} ({m.confidence:.0%})"
                      for m in mistakes], width=96)


def first_layer_caption(weights_shape: tuple[int, ...]) -> str:
    """What the first layer's filters show: a greyscale model's kernels share one scale and
    look like the kernel page's edge detectors; a colour model's are colour pictures, each
    stretched on its own, which edge-detector words would misdescribe."""
    k, _, channels, count = weights_shape
    return text("grey_filters" if channels == 1 else "rgb_filters").format(count=count, k=k)


def _insides_ui(report: ModelReport, data: Dataset, key: str) -> None:
    client = inference_client()
    st.markdown("#### What the first layer learned")
    try:
        weights = client.call(first_layer_filters, report.model_path)
    except (InferenceError, ValueError) as error:
        st.error(str(error))
        return
    if weights is None:
        st.info("This model has no convolution layer, so there are no filters to show.")
    else:
        st.image(filter_tiles(weights), width=60,
                 caption=[f"filter {i + 1}" for i in range(weights.shape[-1])])
        st.caption(first_layer_caption(weights.shape))
    st.markdown("#### Feature maps of one test image")
    position = st.number_input("Test image number", 0, len(data.y_test) - 1, 0,
                               key=f"{key}_image")
    image = data.x_test[int(position)]
    left, right = st.columns([1, 5])
    label = data.class_names[data.y_test[int(position)]]
    left.image(upscale(to_rgb_uint8(image), 112), caption=f"true class: {label}")
    try:
        maps = client.call(feature_maps, report.model_path, image)
    except (InferenceError, ValueError) as error:
        right.error(str(error))
        return
    with right:
        for name, activation in maps.items():
            h, w, c = activation.shape
            st.markdown(f"**{name}**: {h} x {w} x {c} ({min(c, 32)} of {c} maps shown)")
            st.image(channel_tiles(activation, max_tiles=32, min_side=56), width=56)
    if not maps:
        right.info("This model has no convolution or pooling layers to look inside.")


def _downloads_ui(report: ModelReport, key: str) -> None:
    cols = st.columns(2)
    path = Path(report.model_path)
    if path.is_file():
        cols[0].download_button("Download the model (.keras)", data=path.read_bytes,
                                file_name=f"{report.dataset}-model.keras", key=f"{key}_model",
                                on_click="ignore", icon=":material/download:")
    if report.history:
        cols[1].download_button("Download the training history (CSV)", data=report.history_csv(),
                                file_name=f"{report.dataset}-history.csv", mime="text/csv",
                                key=f"{key}_history_csv", on_click="ignore",
                                icon=":material/table:")
    if report.tensorboard_zip:
        folder = events_folder(report.model_path).name
        st.download_button("Download the training history for TensorBoard (.zip)",
                           data=report.tensorboard_zip, file_name=f"{folder}.zip",
                           mime="application/zip", key=f"{key}_tensorboard", on_click="ignore",
                           icon=":material/monitoring:")
        st.caption(f"Unzip it and run `tensorboard --logdir {folder}` (after `pip install "
                   "tensorboard`): training and validation on one chart, per epoch and per "
                   "batch.")


def _forget_tested_upload() -> None:
    """Drop the last tested upload's report and delete its file: a session that tries many
    models (up to 60 MB each) keeps only the one its page shows."""
    cached = st.session_state.pop(UPLOAD_KEY, None)
    if cached is not None:
        delete_model_files(cached[1].model_path)


def upload_model_ui(data: Dataset, key: str = "upload") -> ModelReport | None:
    """Upload a .keras file and test it on the selected data set.

    The answer for an upload and data set is kept, a refusal included: a model that timed
    out or does not fit would otherwise hold the shared model process again on every rerun.
    """
    upload = st.file_uploader("Upload a Keras model (.keras) to test it on this data set",
                              type=["keras"], key=f"{key}_file")
    if upload is None:
        _forget_tested_upload()
        st.session_state.pop(UPLOAD_ERROR_KEY, None)
        return None
    which = (upload.file_id, data.name)
    cached = st.session_state.get(UPLOAD_KEY)
    if cached is not None and cached[0] == which:
        return cached[1]
    failed = st.session_state.get(UPLOAD_ERROR_KEY)
    if failed is not None and failed[0] == which:
        st.error(failed[1])
        return None
    _forget_tested_upload()  # another file, or another data set: its report goes
    folder = session_files().subfolder("uploads")
    path = folder / f"{upload.file_id}.keras"
    path.write_bytes(upload.getvalue())
    client = inference_client()
    try:
        with st.spinner("Opening the model..."):
            description = client.call(describe_model, str(path))
        problem = description.mismatch(data.x_test.shape[1:], data.num_classes, data.info.title)
        if problem is None:
            with st.spinner("Testing it on the test images..."):
                probabilities = client.call(predict_remote, str(path), data.x_test)
    except InferenceBusy as error:  # the model never ran: the next rerun may well succeed
        path.unlink(missing_ok=True)  # written again from the upload then
        st.error(str(error))
        return None
    except InferenceError as error:  # too slow, or it took the process down: remembered
        problem = (f"{str(error).split(';')[0]}. To try this model once more, remove it from "
                   "the uploader and upload it again.")
    except ValueError as error:
        problem = str(error)
    except Exception as error:  # noqa: BLE001 - a model file can make Keras raise anything
        log.exception("Testing an uploaded model failed")
        problem = (f"This model could not be tested on {data.info.title}: running it raised "
                   f"{type(error).__name__}.")
    if problem is not None:
        st.session_state[UPLOAD_ERROR_KEY] = (which, problem)
        path.unlink(missing_ok=True)  # up to 60 MB that nothing will read
        st.error(problem)
        return None
    report = ModelReport(f"Uploaded model {upload.name} on {data.info.title}",
                         data.name, list(data.class_names), str(path), np.asarray(data.y_test),
                         probabilities, np.arange(len(data.y_test)))
    st.session_state[UPLOAD_KEY] = (which, report)
    return report
