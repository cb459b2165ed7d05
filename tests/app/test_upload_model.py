"""Testing an uploaded model: a refusal is remembered, so reruns of the page do not send the
same slow or hopeless call to the model process every learner shares.

AppTest cannot drive st.file_uploader, so the uploader, the session's folder and the model
process are stand-ins; the browser tests upload real files.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from cnn_core.jobs.inference import InferenceBusy, InferenceError, ModelDescription
from cnn_core.models.specs import LayerRow

CIFAR_SHAPED = ModelDescription("m", (32, 32, 3), 10, [LayerRow("out", "Dense", (10,), 5)])


def _upload_page() -> None:
    from types import SimpleNamespace

    import numpy as np
    import streamlit as st

    from ui.results_ui import upload_model_ui

    name = st.session_state.get("data_name", "mnist")
    data = SimpleNamespace(name=name, num_classes=10, class_names=[str(i) for i in range(10)],
                           x_test=np.zeros((4, 28, 28), np.uint8), y_test=np.arange(4),
                           info=SimpleNamespace(title=name.upper()))
    upload_model_ui(data)


class FakeModelProcess:
    def __init__(self, answer):
        self.answer, self.calls = answer, 0

    def call(self, function, *args, **kwargs):
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def model_process(monkeypatch, tmp_path):
    """Install a fake model process giving `answer`; the upload's file_id comes from the
    session's "file_id"."""
    import ui.results_ui as results_ui

    def fake_uploader(*args, **kwargs):
        file_id = streamlit.session_state.get("file_id", "first")
        return SimpleNamespace(file_id=file_id, name="model.keras", getvalue=lambda: b"model")

    monkeypatch.setattr(streamlit, "file_uploader", fake_uploader)
    monkeypatch.setattr(results_ui, "session_files",
                        lambda: SimpleNamespace(subfolder=lambda name: tmp_path))

    def install(answer) -> FakeModelProcess:
        process = FakeModelProcess(answer)
        monkeypatch.setattr(results_ui, "inference_client", lambda: process)
        return process

    return install


@pytest.mark.parametrize(("answer", "message"), [
    (CIFAR_SHAPED, "This model takes 32 x 32 x 3 images and answers 10 classes, but MNIST has "
                   "28 x 28 x 1 images in 10 classes."),
    (InferenceError("The model took too long to answer, so it was stopped; please try again."),
     "The model took too long to answer, so it was stopped. To try this model once more, "
     "remove it from the uploader and upload it again."),
    (ValueError("This file is not a Keras model we can open."),
     "This file is not a Keras model we can open."),
    (TypeError("int() argument must be a real number, not 'NoneType'"),
     "This model could not be tested on MNIST: running it raised TypeError."),
])
def test_a_refused_upload_is_not_sent_again_until_the_file_or_data_set_changes(
        model_process, answer, message):
    process = model_process(answer)
    app = AppTest.from_function(_upload_page, default_timeout=30).run()
    assert not app.exception and [e.value for e in app.error] == [message]
    app.run()  # any click on the page
    assert not app.exception and [e.value for e in app.error] == [message]
    assert process.calls == 1
    app.session_state["data_name"] = "other"
    app.run()
    assert process.calls == 2
    app.session_state["file_id"] = "second"
    app.run()
    assert process.calls == 3


def test_a_busy_model_process_is_asked_again_on_the_next_rerun(model_process):
    """The model never ran, so nothing about it is known yet."""
    process = model_process(InferenceBusy("The model process is busy with other learners' "
                                          "requests; please try again in a moment."))
    app = AppTest.from_function(_upload_page, default_timeout=30).run()
    assert "busy" in app.error[0].value
    app.run()
    assert process.calls == 2


class AnsweringModelProcess:
    """Describes an MNIST-shaped model and gives every test image the same answer."""

    def call(self, function, path, *args, **kwargs):
        if function.__name__ == "describe_model":
            return ModelDescription("m", (28, 28, 1), 10, [LayerRow("out", "Dense", (10,), 5)])
        return np.full((4, 10), 0.1, np.float32)


def test_only_the_upload_the_page_shows_stays_on_the_server(model_process, monkeypatch,
                                                            tmp_path):
    """Uploads are up to 60 MB each: one replaced, refused or removed is deleted."""
    import ui.results_ui as results_ui

    monkeypatch.setattr(results_ui, "inference_client", lambda: AnsweringModelProcess())
    app = AppTest.from_function(_upload_page, default_timeout=30).run()
    assert not app.exception and not app.error
    first = tmp_path / "first.keras"
    assert first.is_file()
    app.session_state["file_id"] = "second"
    app.run()
    assert not first.exists() and (tmp_path / "second.keras").is_file()
    # A refused file is not kept either (its refusal is).
    model_process(CIFAR_SHAPED)
    app.session_state["file_id"] = "third"
    app.run()
    assert app.error and not any(tmp_path.iterdir())
