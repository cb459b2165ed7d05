"""Your own images in AppTest: the bundled example loads, own classes say what is missing,
Train queues both networks (the second once the first has left the line), finished networks
are compared honestly and answer a held-out photo, and hostile links give the defaults."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.data import own_classes as oc
from cnn_core.jobs.own_images import OwnImagesRequest, OwnImagesResult
from cnn_core.jobs.training import ProgressSnapshot
from tests.app.conftest import REPO_ROOT, open_app_page
from ui.own_images_train_ui import JOBS_KEY, PENDING_KEY
from ui.own_images_ui import MINE_KEY

PAGE = "app_pages/5_Your_own_images.py"


def open_page(query: dict[str, str] | None = None) -> AppTest:
    return open_app_page(PAGE, query, timeout=90)


def text_of(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption]
    parts += [e.value for e in app.error] + [w.value for w in app.warning]
    parts += [i.value for i in app.info]
    return "\n".join(parts)


def test_it_comes_after_train_a_cnn_in_the_learning_path():
    from ui.navigation import LEARNING_PATH

    titles = [page.title for page in LEARNING_PATH]
    assert titles.index("Your own images") == titles.index("Train a CNN") + 1


def test_the_bundled_example_is_ready_to_train():
    app = open_page()
    assert not app.exception and not app.error
    assert "2 classes, 400 pictures:** cat 200, dog 200" in text_of(app)
    assert not app.button(key="own_train").disabled
    assert "32 x 32 pixels" in text_of(app)  # the shipped base's input size, shown
    assert "never a bird, a cat or a dog" in text_of(app)  # which base, and why it is honest
    app.slider(key="own_per_class").set_value(20).run()
    assert "cat 20, dog 20" in text_of(app)
    app.selectbox(key="own_example").set_value("bird_vs_not_bird").run()
    assert "bird 20, not bird 20" in text_of(app)
    assert not app.exception


def test_own_classes_say_what_is_missing_and_train_waits():
    app = open_page()
    app.radio(key="own_source").set_value("own").run()
    assert not app.exception
    assert app.button(key="own_train").disabled
    assert '"Class 1" has no pictures yet' in text_of(app)
    app.button(key="own_add_class").click().run()
    assert "3 classes, 0 pictures" in text_of(app)


def test_a_duplicate_class_name_is_refused_in_one_sentence():
    app = open_page({"source": "own"})
    ids = [cid for cid, _ in app.session_state[MINE_KEY]]
    app.text_input(key=f"own_name_{ids[1]}").input("class 1").run()
    assert not app.exception
    assert any('already a class called "class 1"' in e.value for e in app.error)
    app.text_input(key=f"own_name_{ids[1]}").input("Santa").run()
    assert [c.name for _, c in app.session_state[MINE_KEY]] == ["Class 1", "Santa"]


def coloured(classes: int, per_class: int) -> list[tuple[int, oc.OwnClass]]:
    rng = np.random.default_rng(0)
    made = []
    for k in range(classes):
        pictures = tuple(np.full((96, 96, 3), 40 * k, np.uint8) + rng.integers(0, 9, (96, 96, 3),
                                                                               dtype=np.uint8)
                         for _ in range(per_class))
        made.append((k, oc.OwnClass(f"thing {k}", pictures)))
    return made


def test_own_pictures_show_counts_warnings_and_can_be_removed():
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=90)
    app.query_params["source"] = "own"
    app.session_state[MINE_KEY] = coloured(2, 5)
    app.run()
    assert "2 classes, 10 pictures:** thing 0 5, thing 1 5" in text_of(app)
    assert any("Fewer than 10 pictures" in w.value for w in app.warning)
    assert not app.button(key="own_train").disabled
    app.multiselect(key="own_pick_0_5").set_value([1, 2]).run()
    app.button(key="own_remove_0").click().run()
    assert "thing 0 3, thing 1 5" in text_of(app)
    app.button(key="own_drop_1").click().run()
    assert "1 class, 3 pictures" in text_of(app) and "Make at least 2 classes" in text_of(app)
    assert app.button(key="own_train").disabled


def test_train_queues_scratch_first_and_the_base_once_it_has_left_the_line(monkeypatch):
    queued = []

    def fake_queue(approach, request, quiet):
        queued.append((approach, request))
        return True

    monkeypatch.setattr("ui.own_images_train_ui._queue", fake_queue)
    app = open_page({"per_class": "20", "epochs": "3"})
    assert not queued  # opening the page, even from a link, trains nothing
    app.button(key="own_train").click().run()
    assert not app.exception
    assert [a for a, _ in queued][:1] == ["scratch"]
    scratch = queued[0][1]
    assert scratch.approach == "scratch" and scratch.epochs == 3
    assert scratch.x.shape == (40, 32, 32, 3) and scratch.class_names == ("cat", "dog")
    # The transfer request waits in the session until the first job has left the line;
    # with no job object (the fake queue keeps none) it is queued on the next redraw.
    transfer = queued[1][1] if len(queued) > 1 else app.session_state[PENDING_KEY]
    assert transfer.approach == "transfer" and transfer.base == "shipped"
    np.testing.assert_array_equal(transfer.x, scratch.x)


class FinishedJob:
    """What the page reads of a finished TrainingProcess."""

    def __init__(self, request: OwnImagesRequest, result: OwnImagesResult):
        self.request, self.result, self.error, self.running = request, result, None, False

    def snapshot(self) -> ProgressSnapshot:
        return ProgressSnapshot(status="done", epoch=3, epochs=3, history=self.result.history)

    def stop(self) -> None:
        pass


def finished(approach: str, accuracy_right: int, tmp_path) -> FinishedJob:
    x = np.zeros((20, 32, 32, 3), np.uint8)
    y = np.repeat([0, 1], 10)
    request = OwnImagesRequest(x=x, y=y, class_names=("cat", "dog"), approach=approach,
                               epochs=3)
    y_val = np.array([0, 0, 1, 1, 1, 0, 1, 0, 1, 0])
    probabilities = np.full((10, 2), 0.1, np.float32)
    probabilities[np.arange(10), y_val] = 0.9
    wrong = np.arange(10 - accuracy_right)
    probabilities[wrong] = probabilities[wrong][:, ::-1]
    model = tmp_path / f"{approach}.keras"
    model.write_bytes(b"a model")
    history = {"loss": [0.7, 0.6, 0.5], "accuracy": [0.5, 0.6, 0.7],
               "val_loss": [0.7, 0.6, 0.6], "val_accuracy": [0.5, 0.6, accuracy_right / 10]}
    result = OwnImagesResult(
        str(model), approach, "shipped", ("cat", "dog"), history, accuracy_right / 10, 0.6,
        y_val, probabilities, np.arange(10), 10, 10, False, 3.0, 3, 4.0, "CPU", False)
    return FinishedJob(request, result)


def test_finished_networks_are_compared_and_answer_a_held_out_photo(monkeypatch, tmp_path):
    calls = []

    class FakeInference:
        def call(self, function, model_path, pictures):
            calls.append((function.__name__, model_path, pictures.shape))
            return np.array([[0.25, 0.75]], np.float32)

    monkeypatch.setattr("ui.own_images_train_ui.inference_client", lambda: FakeInference())
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=90)
    app.session_state[JOBS_KEY] = {"scratch": finished("scratch", 5, tmp_path),
                                   "transfer": finished("transfer", 9, tmp_path)}
    app.run()
    assert not app.exception
    values = [m.value for m in app.metric]
    assert values == ["50.0%", "90.0%"]
    assert "The pretrained base wins by 40.0 points" in text_of(app)
    assert len(app.get("download_button")) == 2
    assert "Mistakes, most confident first" in text_of(app)
    # Try it: a held-out example photo goes to both networks at the base's size.
    assert calls and {c[2] for c in calls} == {(1, 32, 32, 3)}
    assert {c[0] for c in calls} == {"own_images_probabilities"}
    assert any("It says: dog" in c.value for c in app.caption)


def test_level_results_are_called_chance(tmp_path):
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=90)
    app.session_state[JOBS_KEY] = {"scratch": finished("scratch", 7, tmp_path),
                                   "transfer": finished("transfer", 7, tmp_path)}
    app.run()
    assert "The two are level" in text_of(app)
    assert "wins" not in text_of(app)


@pytest.mark.parametrize("query", [
    {"per_class": "999999", "base": "evil", "epochs": "nan"},
    {"source": "x" * 10_000, "example": "../../etc/passwd", "fine_tune": "maybe"},
])
def test_hostile_links_give_the_defaults_and_a_note(query):
    app = open_page(query)
    assert not app.exception
    assert "cat 200, dog 200" in text_of(app)
    assert any("link" in w.value for w in app.warning)
    assert JOBS_KEY not in app.session_state or not app.session_state[JOBS_KEY]
