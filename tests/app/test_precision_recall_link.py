"""AppTest of the Precision and recall page's link: its settings round-trip through the address
bar, hostile links give the defaults and one note, teacher options lock or hide controls, the
bird lesson opens from a link, and a link never starts training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import config
from cnn_core.data.datasets import load_dataset
from cnn_core.data.imbalance import TASKS, ScoredRun, imbalanced_split, training_counts
from ui.precision_recall_link import precision_recall_settings

PAGE = "app_pages/7_Precision_and_recall.py"
REPO_ROOT = Path(__file__).resolve().parents[2]
DIGITS = "mnist_8"  # needs only the bundled MNIST subset
DEFAULT_SIZE, DEFAULT_EPOCHS = config.PR_TRAIN_DEFAULTS["mnist"]


def scored_run(share: int) -> ScoredRun:
    """Scores like a fair model's on 8 vs not 8 at this share, as a finished job leaves them."""
    data = load_dataset("mnist", download=False)
    indices, y = imbalanced_split(data.y_test, 8, share / 100)
    rng = np.random.default_rng(share)
    scores = np.clip(0.45 * y + 0.55 * rng.random(len(y)), 0, 1).astype(np.float32)
    return ScoredRun(DIGITS, share, "none", y, scores, indices, n_train=5_000, epochs=2)


def open_page(params: dict[str, str] | None = None, runs: dict | None = None,
              state: dict | None = None) -> AppTest:
    """The page in a new browser: `params` in the address bar, `runs` trained in this session
    (trained models are never in a link), `state` what the session had before."""
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=90)
    if params:
        app.query_params.update(params)
    for key, value in (state or {}).items():
        app.session_state[key] = value
    if runs:
        app.session_state["pr_results"] = runs
    return app.run()


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def link_notes(app: AppTest) -> str:
    """The one-line note about what a link could not set."""
    return texts(w for w in app.warning if "link" in w.value)


def widgets(app: AppTest) -> dict:
    """The page's controls by key."""
    return {w.key: w for kind in ("radio", "slider", "select_slider", "number_input")
            for w in getattr(app, kind)}


def shown(app: AppTest) -> dict:
    """Every setting's control as the page shows it now, by link name (None: not drawn)."""
    dataset = TASKS[app.radio(key="pr_task_name").value].dataset
    drawn = widgets(app)
    return {s.name: drawn[s.key].value if s.key in drawn else None
            for s in precision_recall_settings(dataset)}


def results(app: AppTest) -> list[str]:
    """What the settings produce: counts, baselines, matrix, metrics and the calculator."""
    return [texts(app.caption), texts(app.latex), repr([(m.label, m.value) for m in app.metric]),
            texts(app.markdown)]


def test_every_setting_round_trips_through_the_address_bar():
    share = 20
    runs = {(DIGITS, share): {"none": scored_run(share)}}
    app = open_page(state={"pr_task_name": DIGITS}, runs=runs)
    app.slider(key="pr_task_share").set_value(share).run()
    app.select_slider(key="pr_train_size_mnist").set_value(2_000)
    app.number_input(key="pr_train_epochs_mnist").set_value(3)
    app.select_slider(key="pr_threshold").set_value(0.3)
    app.slider(key="pr_target_recall").set_value(80)
    app.radio(key="pr_fix").set_value("oversample")
    for cell, value in zip(("tp", "fp", "fn", "tn"), (40, 7, 12, 941), strict=True):
        app.number_input(key=f"pr_calc_{cell}").set_value(value)
    app.run()
    assert not app.exception
    before = shown(app)
    assert before == {"problem": DIGITS, "share": share, "size": 2_000, "epochs": 3,
                      "threshold": 0.3, "recall": 80, "fix": "oversample", "tp": 40, "fp": 7,
                      "fn": 12, "tn": 941}
    params = dict(app.query_params)
    assert params == {"problem": DIGITS, "share": "20", "size": "2000", "epochs": "3",
                      "threshold": "0.3", "recall": "80", "fix": "oversample", "tp": "40",
                      "fp": "7", "fn": "12", "tn": "941"}

    # A new browser: the same address, the same run trained there (runs are not in links).
    again = open_page(params, runs=runs)
    assert not again.exception and not link_notes(again)
    assert shown(again) == before
    assert results(again) == results(app)
    assert dict(again.query_params) == params
    assert "pr_job" not in again.session_state  # a link never trains


def test_defaults_make_an_empty_link_and_an_empty_link_gives_the_defaults():
    app = open_page(state={"pr_task_name": DIGITS})
    assert dict(app.query_params) == {"problem": DIGITS}
    fresh = open_page({"problem": DIGITS})
    assert shown(fresh) == shown(app)
    assert shown(fresh) | {"threshold": None, "recall": None} == {
        "problem": DIGITS, "share": config.PR_DEFAULT_SHARE, "size": DEFAULT_SIZE,
        "epochs": DEFAULT_EPOCHS, "threshold": None, "recall": None, "fix": "class_weight",
        **dict(zip(("tp", "fp", "fn", "tn"), config.PR_CALCULATOR_EXAMPLE, strict=True))}


def test_training_settings_of_a_link_land_on_the_links_task():
    """Size and epochs are kept per data set: a link's go to its own task's controls, even
    when the session was on the other task."""
    app = open_page({"problem": DIGITS, "size": "1000", "epochs": "4"},
                    state={"pr_task_name": "cifar_bird", "pr_train_epochs_cifar10": 7})
    assert not app.exception and not link_notes(app)
    assert app.select_slider(key="pr_train_size_mnist").value == 1_000
    assert app.number_input(key="pr_train_epochs_mnist").value == 4


def test_the_bird_lesson_link_wins_over_what_the_session_had(generated_cifar10,
                                                             use_data_folder):
    """The home page's "bird-or-not at 5%" lesson: ?problem=cifar_bird&share=5."""
    use_data_folder(generated_cifar10)
    app = open_page({"problem": "cifar_bird", "share": "5"},
                    state={"pr_task_name": DIGITS, "pr_task_share": 30})
    assert not app.exception and not app.error and not link_notes(app)
    assert app.radio(key="pr_task_name").value == "cifar_bird"
    assert app.slider(key="pr_task_share").value == 5
    y = imbalanced_split(load_dataset("cifar10", download=False).y_test,
                         TASKS["cifar_bird"].positive_class, 0.05)[1]
    assert list(app.dataframe[0].value["share of birds"])[1] == f"{y.mean():.1%}"
    assert app.metric[0].value == f"{1 - y.mean():.1%}"  # "always no" on the bird split
    # The training controls are the photos' ones, at their defaults.
    assert app.number_input(key="pr_train_epochs_cifar10").value == \
        config.PR_TRAIN_DEFAULTS["cifar10"][1]
    assert "pr_job" not in app.session_state


def test_the_bird_lesson_without_cifar10_says_what_to_do(tmp_path, use_data_folder):
    use_data_folder(tmp_path)  # no CIFAR-10 here; MNIST comes from the bundled subset
    app = open_page({"problem": "cifar_bird", "share": "5"})
    assert not app.exception
    assert texts(app.warning).startswith("CIFAR-10 is not on this computer")
    assert app.button(key="pr_task_fallback")  # the usual way out is still offered
    locked = open_page({"problem": "cifar_bird", "share": "5", "lock": "problem"})
    assert not locked.exception and locked.radio(key="pr_task_name").disabled
    # The teacher fixed the task: no button switches it behind the lock.
    assert not [b for b in locked.button if b.key == "pr_task_fallback"]


HOSTILE = [
    {"share": "NaN"}, {"share": "1e308"}, {"share": "99999999999999999999999"}, {"share": "0"},
    {"share": "5.5"}, {"size": "abc"}, {"size": "3000"}, {"epochs": "0"}, {"epochs": "-3"},
    {"threshold": "nan"}, {"threshold": "inf"}, {"threshold": "0.4567"}, {"threshold": "2"},
    {"recall": "101"}, {"fix": "'; drop table"}, {"tp": "-1"}, {"tn": "1e9"},
    {"share": "7" * 10_000}, {"fp": "9" * 30},
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda p: "-".join(f"{k}={v[:12]}"
                                                                     for k, v in p.items()))
def test_a_hostile_value_gives_the_default_and_a_note(hostile):
    defaults = shown(open_page({"problem": DIGITS}))
    app = open_page({"problem": DIGITS, **hostile})
    assert not app.exception
    (name,) = hostile
    note = link_notes(app)
    assert "could not be used and were left at their defaults" in note
    assert len(note) < 400 and "\n" not in note
    assert shown(app) == defaults
    assert name not in app.query_params  # the address bar holds the page as it is


def test_an_unknown_task_and_unknown_names_fall_back_without_a_traceback():
    app = open_page({"problem": "cat_vs_dog", "colour": "red", "x" * 5_000: "1"})
    assert not app.exception
    assert app.radio(key="pr_task_name").value == "cifar_bird"
    assert "Task (needs one of" in texts(app.warning)
    assert "This page has no setting called 'colour'" in texts(app.warning)


def test_a_size_this_data_cannot_give_falls_back_with_a_sentence():
    """A link made where more images were at hand: at 50% the 8s limit the subset."""
    share = 50
    app = open_page({"problem": DIGITS, "share": str(share), "size": "20000"})
    assert not app.exception
    available = sum(training_counts(load_dataset("mnist", download=False).y_train, 8,
                                    share / 100))
    assert available < 20_000
    expected = DEFAULT_SIZE if available > DEFAULT_SIZE else "all"
    assert app.select_slider(key="pr_train_size_mnist").value == expected
    assert "20,000 training images are more than this task has here" in texts(app.caption)


def test_locked_controls_are_disabled_and_hidden_ones_absent():
    share = 10
    runs = {(DIGITS, share): {"none": scored_run(share)}}
    app = open_page({"problem": DIGITS, "share": str(share), "threshold": "0.2",
                     "lock": "problem,share,threshold,epochs,tp",
                     "hide": "fix,size,recall,tn", "task": "Find a threshold for 8s"}, runs=runs)
    assert not app.exception
    assert "Find a threshold for 8s" in texts(app.info)
    for widget in (app.radio(key="pr_task_name"), app.slider(key="pr_task_share"),
                   app.select_slider(key="pr_threshold"),
                   app.number_input(key="pr_train_epochs_mnist"),
                   app.number_input(key="pr_calc_tp")):
        assert widget.disabled
    assert app.select_slider(key="pr_threshold").value == 0.2
    assert app.button(key="pr_target_use").disabled  # would move the locked threshold
    assert not set(widgets(app)) & {"pr_fix", "pr_train_size_mnist", "pr_target_recall",
                                    "pr_calc_tn"}
    assert not app.button(key="pr_train_start").disabled  # training is still the learner's


def test_a_hidden_fix_still_trains_with_the_linked_fix():
    """Hidden controls are not drawn; the start button reads their values all the same."""
    app = open_page({"problem": DIGITS, "size": "1000", "epochs": "1", "fix": "oversample",
                     "hide": "fix,size,epochs"})
    assert not app.exception and "pr_job" not in app.session_state
    app.button(key="pr_fix_start").click().run()
    job = app.session_state["pr_job"]
    try:
        assert not app.exception
        assert job.request.binary.rebalance == "oversample"
        assert (job.request.n_train, job.request.config.epochs) == (1_000, 1)
    finally:
        job.kill()
