"""AppTest of the precision-and-recall page: task, baselines, threshold, fixes, calculator.

Most tests give the page a model's test scores through st.session_state (as a finished
training job would), so they need no TensorFlow; one slow test trains for real.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.data.datasets import load_dataset
from cnn_core.data.imbalance import (
    TASKS,
    ScoredRun,
    imbalanced_split,
    kept_counts,
    training_counts,
)

PAGE = "app_pages/7_Precision_and_recall.py"
REPO_ROOT = Path(__file__).resolve().parents[2]


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def prose(elements) -> str:
    """The text as a reader sees it: line breaks inside a paragraph are spaces."""
    return " ".join(texts(elements).split())


def metrics(app) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in app.metric]


def matrix_caption(app) -> str:
    return next(c.value for c in app.caption if c.value.startswith("At threshold"))


def task_labels(task: str, share: float) -> np.ndarray:
    """The page's test labels (1 = positive) for a task, from the data this run has."""
    task_info = TASKS[task]
    data = load_dataset(task_info.dataset, download=False)
    return imbalanced_split(data.y_test, task_info.positive_class, share)[1]


@pytest.fixture(scope="module")
def scored_run() -> ScoredRun:
    """Scores like a fair model's on the page's default task (8 vs not 8 at 5%)."""
    data = load_dataset("mnist", download=False)
    indices, y = imbalanced_split(data.y_test, 8, 0.05)
    rng = np.random.default_rng(0)
    scores = np.clip(0.45 * y + 0.55 * rng.random(len(y)), 0, 1).astype(np.float32)
    return ScoredRun("mnist_8", 5, "none", y, scores, indices, n_train=5_000, epochs=2)


def with_run(run: ScoredRun, *more: ScoredRun):
    """Open the page as if these runs had finished training in this session."""
    app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
    app.session_state["pr_task_name"] = "mnist_8"
    app.session_state["pr_results"] = {("mnist_8", 5): {r.rebalance: r for r in (run, *more)}}
    return app.run()


def on_the_8_task(app):
    return app.radio(key="pr_task_name").set_value("mnist_8").run()


@pytest.fixture
def no_cifar10(tmp_path, monkeypatch):
    """A data folder without CIFAR-10 (MNIST still comes from the bundled subset)."""
    from ui.services import shared_dataset

    monkeypatch.setenv("CNN_CLASSROOM_DATA", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    shared_dataset.clear()
    yield
    shared_dataset.clear()  # later tests load the real data again


def test_page_opens_on_the_bird_task_with_the_baselines(run_page, generated_cifar10,
                                                       use_data_folder):
    use_data_folder(generated_cifar10)
    app = run_page(PAGE)
    assert not app.exception and not app.error
    assert app.radio(key="pr_task_name").value == "cifar_bird"
    assert app.slider(key="pr_task_share").value == 5
    y = task_labels("cifar_bird", 0.05)
    assert metrics(app)[:3] == [("accuracy", f"{1 - y.mean():.1%}"), ("precision", "undefined"),
                                ("recall", "0.0%")]
    assert "Precision is undefined (no positive predictions)" in texts(app.caption)
    assert "0.0%" not in dict(metrics(app)[:3])["precision"]
    assert "finds **none** of the" in texts(app.warning)
    assert "Train the CNN above" in texts(app.info)  # nothing trained yet
    assert "train_job" not in app.session_state  # never touches the training page's job


def test_without_cifar10_one_sentence_offers_the_8_task(run_page, no_cifar10):
    app = run_page(PAGE)
    assert not app.exception and not app.error
    message = texts(app.warning)
    assert message.startswith("CIFAR-10 is not on this computer")
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert "7. Calculator" in texts(app.subheader)  # the rest of the page still works
    app.button(key="pr_task_fallback").click().run()
    assert not app.exception and app.radio(key="pr_task_name").value == "mnist_8"
    assert "2. Baselines first" in texts(app.subheader)


def test_the_kept_counts_caption_says_which_side_was_cut(run_page, generated_cifar10,
                                                          use_data_folder):
    use_data_folder(generated_cifar10)
    app = run_page(PAGE)
    data = load_dataset("cifar10", download=False)
    bird = TASKS["cifar_bird"].positive_class
    caption = next(c.value for c in app.caption if c.value.startswith("Kept to reach"))
    for split, y in (("training", data.y_train), ("test", data.y_test)):
        kept = kept_counts(y, bird, 0.05)
        # 10% of CIFAR-10 is birds: a 5% share drops birds and keeps every other image.
        assert kept.positives_kept < kept.positives_total
        assert (f"{split}: {kept.positives_kept:,} of the {kept.positives_total:,} birds and all "
                f"{kept.negatives_total:,} other images") in caption
    assert "rarer side" not in caption
    app.slider(key="pr_task_share").set_value(20).run()
    caption = next(c.value for c in app.caption if c.value.startswith("Kept to reach"))
    kept = kept_counts(data.y_train, bird, 0.2)
    assert (f"training: all {kept.positives_total:,} birds and {kept.negatives_kept:,} of the "
            f"{kept.negatives_total:,} other images") in caption


@pytest.mark.parametrize("share", [5, 20])
def test_the_baselines_text_follows_the_share(run_page, share):
    app = on_the_8_task(run_page(PAGE))
    app.slider(key="pr_task_share").set_value(share).run()
    y = task_labels("mnist_8", share / 100)
    assert f"at a {share}% share it is {1 - y.mean():.1%}" in prose(app.markdown)
    other = 20 if share == 5 else 5
    assert f"at a {other}% share" not in prose(app.markdown)


def test_share_slider_changes_the_counts_and_the_baselines(run_page):
    app = on_the_8_task(run_page(PAGE))
    counts = app.dataframe[0].value
    positives, negatives = training_counts(load_dataset("mnist", download=False).y_train, 8, 0.05)
    y = task_labels("mnist_8", 0.05)
    assert list(counts["share of 8s"]) == [f"{positives / (positives + negatives):.1%}",
                                           f"{y.mean():.1%}"]
    app.slider(key="pr_task_share").set_value(20).run()
    assert not app.exception
    y = task_labels("mnist_8", 0.2)
    assert metrics(app)[0] == ("accuracy", f"{1 - y.mean():.1%}")
    assert list(app.dataframe[0].value["share of 8s"])[1] == f"{y.mean():.1%}"
    random_guess = dict(metrics(app)[3:])
    assert 10 < float(random_guess["precision"].rstrip("%")) < 30  # about the base rate


def test_bird_task_from_cifar(run_page, generated_cifar10, use_data_folder):
    use_data_folder(generated_cifar10)
    app = run_page(PAGE)
    assert not app.exception and not app.error
    y = task_labels("cifar_bird", 0.05)
    counts = app.dataframe[0].value
    assert list(counts["birds"])[1] == f"{y.sum():,}"
    assert list(counts["share of birds"])[1] == f"{y.mean():.1%}"
    assert metrics(app)[0] == ("accuracy", f"{1 - y.mean():.1%}")  # "always no"


def test_picking_the_bird_task_without_cifar10_is_not_a_traceback(run_page, no_cifar10):
    app = on_the_8_task(run_page(PAGE))
    assert "CIFAR-10" not in texts(app.warning)
    app.radio(key="pr_task_name").set_value("cifar_bird").run()
    assert not app.exception
    assert "CIFAR-10 is not on this computer" in texts(app.warning)
    assert "7. Calculator" in texts(app.subheader)


def test_threshold_slider_updates_matrix_metrics_and_curves(scored_run):
    app = with_run(scored_run)
    assert not app.exception and not app.error
    assert app.select_slider(key="pr_threshold").value == 0.5
    before = matrix_caption(app)
    latex_before = texts(app.latex)
    charts = {c.proto.id for c in app.get("plotly_chart")}
    assert len(charts) >= 5  # 2 baselines, matrix, PR and ROC curves
    app.select_slider(key="pr_threshold").set_value(0.9).run()
    assert not app.exception
    after = matrix_caption(app)
    assert before != after and "At threshold 0.9:" in after
    assert texts(app.latex) != latex_before
    y, scores = scored_run.y_true, scored_run.scores
    tp = int(np.sum((scores >= 0.9) & (y == 1)))
    fp = int(np.sum((scores >= 0.9) & (y == 0)))
    assert f"TP = {tp:,}, FP = {fp:,}" in after
    assert f"\\frac{{{tp}}}{{{tp} + {fp}}}" in texts(app.latex)  # precision, filled in


def test_recall_target_picks_and_uses_a_threshold(scored_run):
    app = with_run(scored_run)
    app.slider(key="pr_target_recall").set_value(99).run()
    message = next(m.value for m in app.markdown if m.value.startswith("The highest thres"))
    threshold = float(message.split("**")[1])
    app.button(key="pr_target_use").click().run()
    assert not app.exception
    assert app.select_slider(key="pr_threshold").value == threshold
    found = int(np.sum(scored_run.scores[scored_run.y_true == 1] >= threshold))
    assert found / scored_run.y_true.sum() >= 0.99
    assert f"TP = {found:,}" in matrix_caption(app)


def test_no_alarms_at_a_high_threshold_is_explained(scored_run):
    app = with_run(scored_run)
    app.select_slider(key="pr_threshold").set_value(0.999).run()
    assert not app.exception
    assert "'always no' trick" in texts(app.warning)
    precision = next(str(f.value) for f in app.latex if r"\text{precision}" in str(f.value))
    assert r"= \text{undefined (no positive predictions)}\end{aligned}" in precision
    assert "0\\%" not in precision


def test_fix_runs_appear_in_one_comparison_table(scored_run):
    from dataclasses import replace

    fixed = replace(scored_run, rebalance="class_weight", scores=np.sqrt(scored_run.scores))
    app = with_run(scored_run, fixed)
    assert not app.exception
    table = app.dataframe[-1].value
    assert list(table["model"]) == ["Always no (baseline)", "CNN, no fix", "CNN, class weights"]
    assert table["ROC AUC"][0] == 0.5
    assert table["precision"].isna()[0]  # "always no" has no precision, not a 0%
    assert table["recall"][2] > table["recall"][1]  # a lower bar for "positive" finds more
    assert app.radio(key="pr_inspect").value == "class_weight"  # the newest run first
    app.radio(key="pr_inspect").set_value("none").run()
    assert not app.exception


def test_calculator_shows_every_metric_and_refuses_all_zeros(run_page):
    app = run_page(PAGE)
    latex = texts(app.latex)
    assert "= 97.0\\%" in latex and "= 90.0\\%" in latex and "13{,}972" in latex
    assert "**15,000 images**" in texts(app.markdown)
    for cell in ("tp", "fp", "fn", "tn"):
        app.number_input(key=f"pr_calc_{cell}").set_value(0)
    app.run()
    assert not app.exception
    assert "All four counts are 0" in texts(app.error)
    app.number_input(key="pr_calc_tn").set_value(50).run()
    assert not app.error and "undefined" in texts(app.latex)


def test_train_button_uses_values_changed_in_the_same_click(run_page):
    """A value typed just before clicking reaches the job (read at click time, not draw time)."""
    app = on_the_8_task(run_page(PAGE))
    app.number_input(key="pr_train_epochs_mnist").set_value(1)
    app.select_slider(key="pr_train_size_mnist").set_value(2_000)
    app.slider(key="pr_task_share").set_value(10)
    app.radio(key="pr_fix").set_value("oversample")
    app.button(key="pr_fix_start").click().run()
    job = app.session_state["pr_job"]
    try:
        assert not app.exception
        request = job.request
        assert (request.config.epochs, request.n_train) == (1, 2_000)
        assert request.binary.positive_fraction == 0.1
        assert request.binary.rebalance == "oversample" and request.dataset == "mnist"
        assert app.button(key="pr_train_start").disabled  # one job at a time
    finally:
        job.kill()


@pytest.mark.slow
def test_train_a_tiny_model_then_a_fix_and_compare(run_page):
    app = on_the_8_task(run_page(PAGE, timeout=90))
    app.select_slider(key="pr_train_size_mnist").set_value(1_000).run()
    app.number_input(key="pr_train_epochs_mnist").set_value(1).run()

    def train(button: str) -> None:
        app.button(key=button).click().run()
        assert not app.exception
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            time.sleep(1)
            app.run()
            assert not app.exception
            job = app.session_state["pr_job"]
            # The job can end between the run above and this line: then the next run reports it.
            if job.done and "pr_reported_job" in app.session_state \
                    and app.session_state["pr_reported_job"] is job:
                assert job.error is None, job.error
                return
        pytest.fail("training did not finish in time")

    train("pr_train_start")
    assert app.session_state["pr_job"].request.n_train == 1_000
    y = task_labels("mnist_8", 0.05)
    assert f"of {len(y):,} test images" in matrix_caption(app)
    app.radio(key="pr_fix").set_value("oversample").run()
    train("pr_fix_start")
    assert app.session_state["pr_job"].request.binary.rebalance == "oversample"
    table = app.dataframe[-1].value
    assert list(table["model"]) == ["Always no (baseline)", "CNN, no fix",
                                    "CNN, oversampling the rare class"]
    assert table["TP"].iloc[2] + table["FN"].iloc[2] == y.sum()  # every 8 of the split
    app.select_slider(key="pr_threshold").set_value(0.1).run()  # the newest run, any threshold
    assert not app.exception and "At threshold 0.1:" in matrix_caption(app)
