"""cnn_core.data.imbalance: tasks, baselines, thresholds, example cells, formulas, calculator."""

from __future__ import annotations

import re
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn import metrics as sk

from cnn_core import config
from cnn_core.data.datasets import DATASETS, load_dataset
from cnn_core.data.imbalance import (
    CELLS,
    REBALANCE,
    TASKS,
    ScoredRun,
    always_no,
    calculator_counts,
    cell_examples,
    imbalanced_split,
    kept_counts,
    metric_formulas,
    predict_at,
    random_at_base_rate,
    summary_row,
    threshold_for_recall,
    training_counts,
)
from cnn_core.jobs.training import TrainConfig
from cnn_core.jobs.worker import BinaryTask, TrainRequest, prepare_data
from cnn_core.maths.metrics import BinaryCounts, binary_counts, counts_at_threshold


def scored(seed: int = 0, n: int = 2000, share: float = 0.05):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < share).astype(np.uint8)
    return y, np.clip(0.4 * y + 0.6 * rng.random(n), 0, 1).astype(np.float32)


def test_tasks_name_real_classes():
    assert set(TASKS) == {"mnist_8", "cifar_bird"}
    for task in TASKS.values():
        assert DATASETS[task.dataset].class_names[task.positive_class] == task.positive


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist", download=False)


@pytest.mark.parametrize("share", [0.01, 0.05, 0.5])
@pytest.mark.parametrize("n_train", [None, 1000])
def test_the_page_and_the_worker_use_the_same_split(mnist, share, n_train):
    request = TrainRequest("mnist", "mnist_cnn", config=TrainConfig(seed=config.PR_SEED),
                           n_train=n_train, binary=BinaryTask(8, share))
    prepared = prepare_data(request)
    y_train = prepared.y_train
    indices, y_binary = imbalanced_split(mnist.y_test, 8, share)
    np.testing.assert_array_equal(indices, prepared.test_indices)
    np.testing.assert_array_equal(y_binary, prepared.y_test)
    positives, negatives = training_counts(mnist.y_train, 8, share, n_train)
    assert (positives, negatives) == (int(y_train.sum()), len(y_train) - int(y_train.sum()))


@pytest.mark.parametrize("share", range(*config.PR_SHARE_RANGE, 7))
def test_every_slider_share_holds_on_the_small_test_split(mnist, share):
    """The test split has only ~1,000 positives; the share still holds within 1%."""
    _, y = imbalanced_split(mnist.y_test, 8, share / 100)
    assert abs(y.mean() - share / 100) <= 0.01


def test_always_no_is_accurate_at_the_base_rate():
    y, _ = scored(share=0.05)
    counts = binary_counts(y, always_no(len(y)))
    assert counts.tp == counts.fp == 0 and counts.accuracy == pytest.approx(1 - y.mean())
    assert always_no(3).dtype == np.uint8


def test_random_guess_is_seeded_and_scores_the_base_rate():
    y, _ = scored(n=50_000, share=0.1)
    guess = random_at_base_rate(len(y), 0.1, seed=1)
    assert np.array_equal(guess, random_at_base_rate(len(y), 0.1, seed=1))
    assert not np.array_equal(guess, random_at_base_rate(len(y), 0.1, seed=2))
    counts = binary_counts(y, guess)
    assert guess.mean() == pytest.approx(0.1, abs=0.01)
    assert counts.precision == pytest.approx(0.1, abs=0.02)  # no better than the base rate
    assert counts.recall == pytest.approx(0.1, abs=0.02)
    with pytest.raises(ValueError, match="between 0 and 1"):
        random_at_base_rate(10, 1.5)


def test_predict_at_matches_counts_at_threshold():
    y, scores = scored()
    for t in (0.0, 0.3, 0.5, 0.999):
        assert binary_counts(y, predict_at(scores, t)) == counts_at_threshold(y, scores, t)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("target", [0.5, 0.8, 0.95, 1.0])
def test_threshold_for_recall_is_the_highest_that_reaches_it(seed, target):
    y, scores = scored(seed)
    exact = threshold_for_recall(y, scores, target)
    assert counts_at_threshold(y, scores, exact).recall >= target
    higher = np.unique(scores)[np.unique(scores) > exact]
    if higher.size:
        assert counts_at_threshold(y, scores, higher[0]).recall < target
    grid = config.PR_THRESHOLD_GRID
    on_grid = threshold_for_recall(y, scores, target, grid=grid)
    assert on_grid in grid and on_grid <= exact
    assert counts_at_threshold(y, scores, on_grid).recall >= target
    above = [g for g in grid if g > on_grid]
    if above:
        assert counts_at_threshold(y, scores, above[0]).recall < target
    # Same answer as sklearn's ROC curve: the first threshold whose recall reaches the target.
    _, tpr, thresholds = sk.roc_curve(y, scores, drop_intermediate=False)
    assert exact == pytest.approx(thresholds[np.argmax(tpr >= target)])


def test_threshold_for_recall_without_positives_or_with_a_bad_target():
    assert threshold_for_recall(np.zeros(5), np.linspace(0, 1, 5), 0.9) is None
    assert threshold_for_recall([1, 0], [0.0005, 0.9], 1.0, grid=(0.001, 0.5)) is None
    for bad in (0.0, 1.2):
        with pytest.raises(ValueError, match="recall you ask for"):
            threshold_for_recall([1, 0], [0.5, 0.1], bad)


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.9])
def test_cell_examples_are_the_right_images_most_telling_first(threshold):
    y, scores = scored(3)
    counts = counts_at_threshold(y, scores, threshold)
    seen = set()
    for cell in CELLS:
        picks = cell_examples(y, scores, threshold, cell, limit=10_000)
        assert len(picks) == getattr(counts, cell)
        truth, said = cell in ("tp", "fn"), cell in ("tp", "fp")
        assert np.all((y[picks] == 1) == truth) and np.all((scores[picks] >= threshold) == said)
        ordered = scores[picks]
        assert np.all(np.diff(ordered) <= 0) if said else np.all(np.diff(ordered) >= 0)
        seen |= set(picks.tolist())
        assert len(cell_examples(y, scores, threshold, cell, limit=3)) == min(3, len(picks))
    assert len(seen) == len(y)
    with pytest.raises(ValueError, match="one of tp"):
        cell_examples(y, scores, 0.5, "TP")


def test_calculator_example_from_the_lesson():
    counts = calculator_counts(*config.PR_CALCULATOR_EXAMPLE)
    assert counts.total == 15_000
    assert counts.precision == pytest.approx(0.97, abs=0.001)
    assert counts.recall == pytest.approx(0.90)
    assert counts.accuracy > 0.99


@pytest.mark.parametrize("bad,message", [
    ((0, 0, 0, 0), "All four counts are 0"),
    ((-1, 0, 0, 5), "TP is a count"),
    ((1, 2.5, 0, 5), "FP is a count"),
    ((1, 0, True, 5), "FN is a count"),
])
def test_calculator_refuses_bad_counts_with_a_sentence(bad, message):
    with pytest.raises(ValueError, match=message):
        calculator_counts(*bad)


def _evaluate(filled: str) -> float:
    """Evaluate a filled-in LaTeX formula with Python (fractions, x, 1/2, thousands)."""
    expr = filled.replace("{,}", "").replace(r"\times", "*").replace(r"\tfrac{1}{2}", "0.5*")
    expr = expr.replace(r"\left", "").replace(r"\right", "")
    while r"\frac" in expr:
        expr = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", expr)
    return eval(expr)  # noqa: S307 - digits and operators from our own formatter


@pytest.mark.parametrize("counts", [BinaryCounts(900, 28, 100, 13_972), BinaryCounts(3, 1, 7, 89),
                                    BinaryCounts(0, 0, 5, 95), BinaryCounts(5, 95, 0, 0)])
def test_formulas_filled_in_give_the_values(counts):
    formulas = metric_formulas(counts, "bird", "birds")
    assert [f.name for f in formulas] == ["accuracy", "precision", "recall", "F1",
                                          "balanced accuracy"]
    for formula in formulas:
        assert formula.value == pytest.approx(getattr(counts, formula.name.replace(
            " ", "_").lower()))
        assert formula.latex.startswith(rf"\begin{{aligned}}\text{{{formula.name}}} &= "
                                        f"{formula.symbols}")
        assert formula.latex.endswith(rf"&= {formula.filled} = {formula.result}\end{{aligned}}")
        if formula.undefined:
            assert formula.value == 0
            assert formula.result == rf"\text{{undefined ({formula.undefined})}}"
            assert "0\\%" not in formula.latex  # 0/0 is never printed as a 0%
        elif "balanced" not in formula.name or counts.tp + counts.fn and counts.tn + counts.fp:
            assert _evaluate(formula.filled) == pytest.approx(formula.value)
            assert formula.result == f"{100 * formula.value:.1f}\\%"
    if counts.tn > 9_999:
        assert "13{,}972" in formulas[0].filled  # thousands separators that LaTeX keeps tight
    assert "'bird'" in formulas[1].meaning and "birds" in formulas[2].meaning


def test_scored_run_from_a_worker_result_and_summary_rows():
    result = SimpleNamespace(probabilities=np.array([[0.9, 0.1], [0.2, 0.8]], np.float32),
                             y_test=np.array([0, 1]), test_indices=np.array([7, 3]), n_train=50,
                             stopped=False, train_seconds=1.5)
    run = ScoredRun.from_result(result, "mnist_8", 5, "oversample", 2)
    np.testing.assert_allclose(run.scores, [0.1, 0.8])
    assert run.y_true.dtype == np.uint8 and run.label == REBALANCE["oversample"]
    assert "mnist_8" in repr(run) and "scores" not in repr(run)
    row = summary_row("CNN", BinaryCounts(9, 1, 1, 89), auc=0.97531)
    assert row["accuracy"] == 98.0 and row["precision"] == 90.0 and row["ROC AUC"] == 0.975
    assert (row["TP"], row["FP"], row["FN"], row["TN"]) == (9, 1, 1, 89)
    assert summary_row("always no", BinaryCounts(0, 0, 5, 95))["ROC AUC"] is None


def test_the_page_modules_never_import_keras():
    code = ("import sys\n"
            "import cnn_core.data.imbalance, ui.imbalance_ui, ui.imbalance_train_ui, "
            "ui.imbalance_threshold_ui\n"
            "bad = [m for m in ('keras', 'tensorflow', 'sklearn') if m in sys.modules]\n"
            "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_page_figures_label_counts_units_and_the_current_point():
    from cnn_core.views.figures import binary_confusion_figure, precision_recall_figure, roc_figure

    fig = binary_confusion_figure(3, 1, 7, 89, "bird", "not a bird", "birds")
    heat = fig.data[0]
    assert np.allclose(heat.z, [[30, 70], [100 * 1 / 90, 100 * 89 / 90]])  # % of each row
    assert "TP = 3" in heat.text[0][0] and "FN = 7" in heat.text[0][1]
    assert "FP = 1" in heat.text[1][0] and "TN = 89" in heat.text[1][1]
    assert (heat.zmin, heat.zmax) == (0, 100)
    binary_confusion_figure(0, 0, 0, 0)  # empty rows do not divide by zero
    y, scores = scored(n=20_000)
    from cnn_core.maths.metrics import roc_auc, threshold_sweep

    sweep = threshold_sweep(y, scores)
    roc = roc_figure(sweep.false_positive_rate, sweep.recall, roc_auc(y, scores), (0.25, 0.5))
    curve = roc.data[0]
    assert len(curve.x) <= 1502 and (curve.x[0], curve.y[0]) == (0, 0)
    assert (curve.x[-1], curve.y[-1]) == (100, 100)
    assert (roc.data[-1].x[0], roc.data[-1].y[0]) == (25, 50)  # the marked threshold, in %
    assert "%" in roc.layout.xaxis.title.text and "%" in roc.layout.yaxis.title.text
    pr = precision_recall_figure(sweep.recall, sweep.precision, 0.05, (0.5, 0.25), 0.3)
    assert "AP 0.30" in pr.data[0].name and pr.data[1].y[0] == 5  # chance = base rate
    assert "%" in pr.layout.xaxis.title.text and "%" in pr.layout.yaxis.title.text


def test_undefined_precision_says_why_and_never_prints_a_percentage():
    never_says_yes = BinaryCounts(0, 0, 5, 95)
    precision = metric_formulas(never_says_yes)[1]
    assert precision.undefined == "no positive predictions" == never_says_yes.undefined_because(
        "precision")
    assert "undefined (no positive predictions)" in precision.latex and "\\%" not in precision.latex
    row = summary_row("always no", never_says_yes)
    assert row["precision"] is None and row["F1"] == 0.0 and row["recall"] == 0.0


@pytest.mark.parametrize("share", [0.02, 0.05, 0.2, 0.5])
def test_kept_counts_say_which_side_was_cut(share):
    """Bird-like data (10% positives): below 10% the positives are cut, above it the rest."""
    y = np.repeat(np.arange(10), [500] * 10)
    kept = kept_counts(y, 2, share)
    index, y_binary = imbalanced_split(y, 2, share)
    assert kept.positives_kept == int(y_binary.sum())
    assert kept.positives_kept + kept.negatives_kept == len(index)
    assert (kept.positives_total, kept.negatives_total) == (500, 4_500)
    assert kept.share == pytest.approx(y_binary.mean())
    if share < 0.1:  # too many positives: some dropped, every other image kept
        assert kept.positives_kept < 500 and kept.negatives_kept == 4_500
    else:
        assert kept.positives_kept == 500 and kept.negatives_kept < 4_500
    assert (kept.positives_kept, kept.negatives_kept) == training_counts(y, 2, share)
