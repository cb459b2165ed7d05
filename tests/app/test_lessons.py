"""The home page's built-in lessons: each link opens its page with every setting it names
used (no note about the link), the task on top, and the material's numbers where it has them."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.config import SLIDING_WINDOW_OUTPUT_KEY
from tests.app.conftest import REPO_ROOT
from ui.lessons import LESSONS
from ui.navigation import LEARNING_PATH

BY_TITLE = {lesson.title: lesson for lesson in LESSONS}


def open_lesson(title: str) -> AppTest:
    lesson = BY_TITLE[title]
    app = AppTest.from_file(str(REPO_ROOT / lesson.page), default_timeout=120)
    app.query_params.update(lesson.params)
    return app.run()


def link_notes(app: AppTest) -> list[str]:
    return [w.value for w in app.warning if "link" in w.value]


def test_every_lesson_links_to_a_page_of_the_learning_path_with_a_task():
    pages = {info.path for info in LEARNING_PATH}
    assert len(LESSONS) >= 5
    for lesson in LESSONS:
        assert lesson.page in pages, lesson.title
        assert lesson.params.get("task"), lesson.title


def test_the_home_page_links_each_lesson_with_its_settings(run_page):
    app = run_page("app.py")
    shown = {el.proto.label: el.proto.query_string for el in app.get("page_link")
             if el.proto.query_string}
    assert set(shown) == set(BY_TITLE)
    assert "kernel=Sobel+x" in shown["Sobel on the cat"]


@pytest.mark.parametrize("title, answer", [
    ("A 5x5 grid and a vertical-edge kernel", [[-3, 4, -7], [-3, 0, -8], [-4, -9, -10]]),
    ("Edges in a 6x6 image", [[0, 24, 24, 0]] * 4),
])
def test_sliding_window_lessons_give_the_material_answers(title, answer):
    app = open_lesson(title)
    assert not app.exception and not link_notes(app)
    assert any("Your task" in i.value for i in app.info)
    np.testing.assert_array_equal(app.session_state[SLIDING_WINDOW_OUTPUT_KEY]["values"], answer)


def test_sobel_on_the_cat_lesson():
    app = open_lesson("Sobel on the cat")
    assert not app.exception and not link_notes(app)
    assert app.selectbox(key="photo_sample").value == "Cat (Chelsea)"
    assert app.selectbox(key="kernel_preset").value == "Sobel x"
    assert any("Result: Sobel x" in m.value for m in app.markdown)


def test_classic_recipe_lesson_sets_the_form_and_trains_nothing():
    # The recipe: the MNIST CNN on all 60,000 training digits for 2 epochs.
    params = BY_TITLE["The classic MNIST recipe"].params
    assert (params["data"], params["model"], params["subset"], params["epochs"]) == (
        "mnist", "mnist_cnn", "60000", "2")
    app = open_lesson("The classic MNIST recipe")
    assert not app.exception and not link_notes(app)
    assert app.selectbox(key="data_name").value == "mnist"
    assert app.selectbox(key="model_preset_mnist").value == "mnist_cnn"
    subset = app.slider(key="model_subset")
    if subset.max >= 60_000:
        assert subset.value == 60_000
    else:  # only the bundled digits here: as many as there are, and a sentence saying so
        assert subset.value == subset.max
        assert any("60,000 images do not fit" in c.value for c in app.caption)
    assert app.number_input(key="model_epochs").value == 2
    assert "train_job" not in app.session_state  # a link never starts training


def test_bird_lesson_opens_the_bird_task_at_5_percent(generated_cifar10, use_data_folder):
    use_data_folder(generated_cifar10)
    app = open_lesson("Bird or not, with 5% birds")
    assert not app.exception and not link_notes(app)
    assert app.radio(key="pr_task_name").value == "cifar_bird"
    assert app.slider(key="pr_task_share").value == 5


def test_dense_layer_lesson_shows_the_materials_count():
    app = open_lesson("A photo into a dense layer")
    assert not app.exception and not link_notes(app)
    assert any("Your task" in i.value for i in app.info)
    shown = {m.label: m.value for m in app.metric}
    assert shown["Dense: learned numbers"] == "196,609,000"
    assert shown["Convolution: learned numbers"] == "896"
    assert any("196,608,000 weights" in m.value for m in app.markdown)
