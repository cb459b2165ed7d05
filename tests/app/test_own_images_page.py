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
from tests.app.conftest import open_app_page
from ui.own_images_train_ui import JOBS_KEY
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
    app = open_app_page(PAGE, {"source": "own"}, state={MINE_KEY: coloured(2, 5)}, timeout=90)
    assert "2 classes, 10 pictures:** thing 0 5, thing 1 5" in text_of(app)
    assert any("Fewer than 10 pictures" in w.value for w in app.warning)
    assert not app.button(key="own_train").disabled
    app.multiselect(key="own_pick_0_5").set_value([1, 2]).run()
    app.button(key="own_remove_0").click().run()
    assert "thing 0 3, thing 1 5" in text_of(app)
    app.button(key="own_drop_1").click().run()
    assert "1 class, 3 pictures" in text_of(app) and "Make at least 2 classes" in text_of(app)
    assert app.button(key="own_train").disabled
    # With every class removed, adding pictures waits for a class instead of failing.
    app.button(key="own_drop_0").click().run()
    assert not app.exception and "Add a class first" in text_of(app)
    app.button(key="own_add_class").click().run()
    assert not app.exception and "1 class, 0 pictures" in text_of(app)


def test_a_new_name_is_tidied_once_and_a_taken_one_is_refused():
    app = open_app_page(PAGE, {"source": "own"}, state={MINE_KEY: coloured(2, 5)}, timeout=90)
    # A trailing or doubled space: the class and its box both take the tidy name, once (the
    # box kept the raw text before, which differed from the class's name on every run).
    app.text_input(key="own_name_0").input("my  cats ").run()
    assert not app.exception
    assert app.text_input(key="own_name_0").value == "my cats"
    assert "my cats 5, thing 1 5" in text_of(app)
    app.text_input(key="own_name_1").input("My Cats").run()
    assert 'There is already a class called "My Cats"' in text_of(app)
    assert app.text_input(key="own_name_1").value == "thing 1"
    assert "my cats 5, thing 1 5" in text_of(app)


def test_train_queues_scratch_first_and_the_base_behind_it(monkeypatch):
    queued = []

    def fake_queue(approach, request, after=None):
        queued.append((approach, request))
        return True

    monkeypatch.setattr("ui.own_images_train_ui._queue", fake_queue)
    app = open_page({"per_class": "20", "epochs": "3"})
    assert not queued  # opening the page, even from a link, trains nothing
    app.button(key="own_train").click().run()
    assert not app.exception
    # Both at once: the queue holds the second until the first has left the line.
    assert [a for a, _ in queued] == ["scratch", "transfer"]
    scratch, transfer = queued[0][1], queued[1][1]
    assert scratch.approach == "scratch" and scratch.epochs == 3
    assert scratch.x.shape == (40, 32, 32, 3) and scratch.class_names == ("cat", "dog")
    assert transfer.approach == "transfer" and transfer.base == "shipped"
    np.testing.assert_array_equal(transfer.x, scratch.x)


class FinishedJob:
    """What the page reads of a finished TrainingProcess."""

    def __init__(self, request: OwnImagesRequest, result: OwnImagesResult):
        self.request, self.result, self.error, self.running = request, result, None, False
        self.model_path = result.model_path

    def snapshot(self) -> ProgressSnapshot:
        return ProgressSnapshot(status="done", epoch=3, epochs=3, history=self.result.history)

    def stop(self) -> None:
        pass


def finished(approach: str, accuracy_right: int, tmp_path, n_val: int = 40) -> FinishedJob:
    """A finished job whose network gets the last `accuracy_right` of `n_val` validation
    pictures right (so two such jobs agree on the pictures both get right)."""
    x = np.zeros((2 * n_val, 32, 32, 3), np.uint8)
    y = np.repeat([0, 1], n_val)
    request = OwnImagesRequest(x=x, y=y, class_names=("cat", "dog"), approach=approach,
                               epochs=3)
    y_val = np.arange(n_val) % 2
    probabilities = np.full((n_val, 2), 0.1, np.float32)
    probabilities[np.arange(n_val), y_val] = 0.9
    wrong = np.arange(n_val - accuracy_right)
    probabilities[wrong] = probabilities[wrong][:, ::-1]
    model = tmp_path / f"{approach}.keras"
    model.write_bytes(b"a model")
    accuracy = accuracy_right / n_val
    history = {"loss": [0.7, 0.6, 0.5], "accuracy": [0.5, 0.6, 0.7],
               "val_loss": [0.7, 0.6, 0.6], "val_accuracy": [0.5, 0.6, accuracy]}
    result = OwnImagesResult(
        str(model), approach, "shipped", ("cat", "dog"), history, accuracy, 0.6,
        y_val, probabilities, np.arange(n_val), n_val, n_val, False, 3.0, 3, 4.0, "CPU", False)
    return FinishedJob(request, result)


def test_finished_networks_are_compared_and_answer_a_held_out_photo(monkeypatch, tmp_path):
    calls = []

    class FakeInference:
        def call(self, function, model_path, pictures):
            calls.append((function.__name__, model_path, pictures.shape))
            return np.array([[0.25, 0.75]], np.float32)

    monkeypatch.setattr("ui.own_images_train_ui.inference_client", lambda: FakeInference())
    app = open_app_page(PAGE, state={
        JOBS_KEY: {"scratch": finished("scratch", 20, tmp_path),
                   "transfer": finished("transfer", 36, tmp_path)},
        "own_trained_example": "cats_vs_dogs"}, timeout=90)
    assert not app.exception
    values = [m.value for m in app.metric]
    assert values == ["50.0%", "90.0%"]
    assert "The pretrained base wins by 40.0 points" in text_of(app)
    assert "16 were right only on the pretrained base and 0 only from scratch" in text_of(app)
    assert len(app.get("download_button")) == 2
    assert "Mistakes, most confident first" in text_of(app)
    # Try it: a held-out example photo goes to both networks at the base's size.
    assert calls and {c[2] for c in calls} == {(1, 32, 32, 3)}
    assert {c[0] for c in calls} == {"own_images_probabilities"}
    assert any("It says: dog" in c.value for c in app.caption)
    # A click elsewhere reruns the page; the model process is not asked again.
    asked = len(calls)
    app.slider(key="own_epochs").set_value(5).run()
    assert len(calls) == asked and any("It says: dog" in c.value for c in app.caption)


def test_level_results_are_called_chance(tmp_path):
    # 10 validation pictures, 5 against 9 right: 4 to 0 could be a coin's doing (p = 0.125).
    app = open_app_page(PAGE, state={JOBS_KEY: {
        "scratch": finished("scratch", 5, tmp_path, n_val=10),
        "transfer": finished("transfer", 9, tmp_path, n_val=10)}}, timeout=90)
    assert "The two are level" in text_of(app)
    assert "wins" not in text_of(app)


def photo_choices(app: AppTest) -> list[str]:
    return list(app.selectbox(key="own_try_example").options)  # as the learner reads them


def test_try_it_offers_the_photos_of_the_example_the_networks_learnt(tmp_path):
    jobs = {"scratch": finished("scratch", 20, tmp_path),
            "transfer": finished("transfer", 36, tmp_path)}
    # Trained on cats and dogs, the learner now looks at the bird example: the held-out
    # photos stay cats and dogs, the classes these networks know.
    app = open_app_page(PAGE, {"example": "bird_vs_not_bird"},
                        state={JOBS_KEY: jobs, "own_trained_example": "cats_vs_dogs"},
                        timeout=90)
    assert not app.exception
    labels = " ".join(photo_choices(app))
    assert "a cat" in labels and "a dog" in labels and "bird" not in labels
    # Trained on the learner's own pictures: no example photo is offered as if it were theirs.
    own = open_app_page(PAGE, state={JOBS_KEY: jobs, "own_trained_example": None}, timeout=90)
    assert "A held-out example photo" not in own.radio(key="own_try_source").options


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


def test_training_again_deletes_the_models_it_replaces(monkeypatch, tmp_path):
    monkeypatch.setattr("ui.own_images_train_ui._queue", lambda *args, **kwargs: True)
    jobs = {"scratch": finished("scratch", 20, tmp_path),
            "transfer": finished("transfer", 36, tmp_path)}
    paths = [tmp_path / "scratch.keras", tmp_path / "transfer.keras"]
    assert all(path.is_file() for path in paths)
    app = open_app_page(PAGE, {"per_class": "20"}, state={JOBS_KEY: jobs}, timeout=90)
    app.button(key="own_train").click().run()
    assert not app.exception
    assert not any(path.exists() for path in paths)


def test_a_refused_training_keeps_the_networks_it_would_have_replaced(monkeypatch, tmp_path):
    # The queue refuses when the learner already waits with a job on another page.
    monkeypatch.setattr("ui.own_images_train_ui._queue", lambda *args, **kwargs: False)
    jobs = {"scratch": finished("scratch", 20, tmp_path),
            "transfer": finished("transfer", 36, tmp_path)}
    app = open_app_page(PAGE, {"per_class": "20"}, state={JOBS_KEY: jobs}, timeout=90)
    app.button(key="own_train").click().run()
    assert not app.exception
    assert (tmp_path / "scratch.keras").is_file() and (tmp_path / "transfer.keras").is_file()
    assert app.session_state[JOBS_KEY] == jobs  # their results stay on the page


def test_a_training_the_service_cannot_start_keeps_the_networks_it_would_replace(monkeypatch,
                                                                               tmp_path):
    """An unreachable Ray cluster: the job ends at once with its sentence, said in a toast."""
    from cnn_core.jobs.job_queue import JobQueue

    class Unreachable(JobQueue):
        executor_name = "Ray cluster (unreachable)"

        def _free_slot(self):
            return 0

        def _launch(self, slot, job):
            raise ConnectionError("the cluster is unreachable")

        def _running_jobs(self):
            return []

    service = Unreachable(slots=1)
    monkeypatch.setattr("ui.job_ui.training_pool", lambda: service)
    jobs = {"scratch": finished("scratch", 20, tmp_path),
            "transfer": finished("transfer", 36, tmp_path)}
    app = open_app_page(PAGE, {"per_class": "20"}, state={JOBS_KEY: jobs}, timeout=90)
    app.button(key="own_train").click().run()
    assert not app.exception
    assert "could not start this job (the cluster is unreachable)" in app.toast[0].value
    assert (tmp_path / "scratch.keras").is_file() and (tmp_path / "transfer.keras").is_file()
    assert app.session_state[JOBS_KEY] == jobs
