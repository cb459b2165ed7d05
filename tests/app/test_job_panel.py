"""The live job panel: how often it redraws a job, and what it offers while the job waits."""

from __future__ import annotations

import json
from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from cnn_core.jobs.training import ProgressSnapshot, TrainConfig
from cnn_core.jobs.worker import FOLLOWING_MESSAGE
from cnn_core.views.figures import CURVES_PENDING

JOB_KEY = "panel_job"


class QueuedJob:
    """What the panel reads of a TrainingProcess, with a place in line set by the test."""

    def __init__(self, position: int | None):
        self.position, self.running, self.result, self.stopped = position, True, None, False
        self.timed = False  # True: 3 s of training, the first batch (32 images) took 1 s

    def queue_position(self) -> int | None:
        return self.position

    def following(self) -> bool:
        return False

    def snapshot(self) -> ProgressSnapshot:
        if self.position is None:
            timing = {"train_seconds": 3.0, "first_batch_images": 32,
                      "first_batch_seconds": 1.0} if self.timed else {}
            return ProgressSnapshot(status="training", epoch=1, epochs=1, batch=3,
                                    batches_per_epoch=10, images_seen=96, images_total=320,
                                    **timing)
        return ProgressSnapshot(status="queued",
                                message=f"Waiting: place {self.position}. Starts by itself.")

    def stop(self) -> None:
        self.stopped, self.running = True, False


def _panel_script() -> None:
    import streamlit as st

    from ui.job_ui import live_job_panel

    # As the pages do: the panel only while the job runs, the results once it has ended.
    if st.session_state["panel_job"].running:
        live_job_panel("panel_job", stop_key="panel_stop")
    else:
        st.write("Results")


def _record_panels(monkeypatch) -> list[str]:
    """The names of the shared fragments the pages draw, one per full run, in order."""
    import ui.live_panel as live_panel

    drawn = []
    for name in ("_live_panel", "_waiting_panel", "_far_back_panel"):
        real = getattr(live_panel, name)
        monkeypatch.setattr(live_panel, name, lambda *args, _real=real, _name=name: (
            drawn.append(_name), _real(*args)))
    return drawn


def test_a_job_far_back_in_line_is_redrawn_slowly_and_at_the_live_pace_once_next(monkeypatch):
    drawn = _record_panels(monkeypatch)
    job = QueuedJob(position=12)
    app = AppTest.from_function(_panel_script, default_timeout=30)
    app.session_state[JOB_KEY] = job
    app.run()
    assert not app.exception
    assert drawn == ["_far_back_panel"]
    assert "Waiting: place 12" in app.get("progress")[0].proto.text
    job.position = 4
    app.run()
    assert drawn[-1] == "_waiting_panel" and not app.exception
    assert "Waiting: place 4" in app.get("progress")[0].proto.text
    assert app.button(key="panel_stop").label == "Leave the queue"
    job.position = 1  # next in line: it must show the start of training within a second
    app.run()
    assert drawn[-1] == "_live_panel" and not app.exception
    job.position = None
    app.run()
    assert drawn[-1] == "_live_panel"
    assert app.button(key="panel_stop").label == "Stop training"
    assert "batch 3 of 10" in app.get("progress")[0].proto.text
    # No speed from the first batch alone (mostly TensorFlow preparing the step)...
    assert "speed and time left: estimating..." in app.get("progress")[0].proto.text
    job.timed = True  # ... then the pace after it: 64 images in 2 s, 224 to go
    app.run()
    assert "batch 3 of 10 · 32 images/s · time left: 7 s" in app.get("progress")[0].proto.text
    app.button(key="panel_stop").click().run()
    assert job.stopped and not app.exception
    assert "Results" in [m.value for m in app.markdown]


def _own_images_script() -> None:
    from ui.own_images_train_ui import jobs_ui

    jobs_ui()


class FollowingJob(QueuedJob):
    """The learner's second job, waiting for the first to leave the line."""

    def __init__(self):
        super().__init__(position=None)
        self.error = None

    def following(self) -> bool:
        return True

    def snapshot(self) -> ProgressSnapshot:
        return ProgressSnapshot(status="queued", message=FOLLOWING_MESSAGE)


def test_own_images_panels_slow_down_only_while_the_first_network_waits_far_back(monkeypatch):
    import ui.own_images_train_ui as own

    drawn = _record_panels(monkeypatch)
    scratch = QueuedJob(position=3)
    scratch.error = None
    app = AppTest.from_function(_own_images_script, default_timeout=30)
    # The second, not yet in line, goes at the first's pace (it has no place of its own).
    app.session_state[own.JOBS_KEY] = {"scratch": scratch, "transfer": FollowingJob()}
    app.run()
    assert drawn == ["_waiting_panel"] and not app.exception
    assert "Waiting: place 3" in app.get("progress")[0].proto.text
    assert FOLLOWING_MESSAGE in app.get("progress")[1].proto.text
    captions = [c.value for c in app.caption]
    assert "It joins the line by itself, even while you look at other pages." in captions
    assert any("yours keeps its place" in c for c in captions)  # the first's, in line
    scratch.position = 1
    app.run()
    assert drawn[-1] == "_live_panel" and not app.exception


class StartingJob(QueuedJob):
    """A job whose worker is loading its data: no batch yet."""

    def __init__(self, status: str):
        super().__init__(position=None)
        self.status = status
        self.request = SimpleNamespace(config=TrainConfig(epochs=3))

    def snapshot(self) -> ProgressSnapshot:
        if self.status == "queued":
            return ProgressSnapshot(status="queued", message="Waiting: place 1.")
        return ProgressSnapshot(status=self.status, message="Loading the data...")


def test_empty_curves_are_drawn_while_a_job_starts_but_not_while_it_waits():
    for status, charts in (("loading", 1), ("starting", 1), ("queued", 0)):
        app = AppTest.from_function(_panel_script, default_timeout=30)
        app.session_state[JOB_KEY] = StartingJob(status)
        app.run()
        assert not app.exception
        drawn = app.get("plotly_chart")
        assert len(drawn) == charts, status
        if charts:
            figure = json.loads(drawn[0].proto.spec)
            assert list(figure["layout"]["xaxis"]["range"]) == [0, 3 * 1.03]
            assert CURVES_PENDING in [note["text"] for note in figure["layout"]["annotations"]]
