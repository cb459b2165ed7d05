"""ModelReport: metrics derived from the test probabilities in front of the user."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from cnn_core.models.reports import ModelReport, iris_verdict


def make_report(y_true, probabilities, history=None) -> ModelReport:
    y_true = np.asarray(y_true)
    return ModelReport("t", "mnist", ["a", "b", "c"], "/nowhere.keras", y_true,
                       np.asarray(probabilities, dtype=np.float32),
                       np.arange(len(y_true)) + 100, history or {})


def test_accuracy_loss_and_confusion():
    probabilities = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]
    report = make_report([0, 1, 1, 2], probabilities)
    assert report.test_accuracy == pytest.approx(0.75)
    assert report.test_loss == pytest.approx(-np.mean(np.log([0.8, 0.7, 0.3, 0.8])), rel=1e-5)
    np.testing.assert_array_equal(report.confusion, [[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    precision, recall = report.per_class()
    np.testing.assert_allclose(precision, [0.5, 1, 1])
    np.testing.assert_allclose(recall, [1, 0.5, 1])


def test_mistakes_most_confident_first_with_original_positions():
    probabilities = [[0.1, 0.9, 0.0], [0.4, 0.6, 0.0], [0.0, 0.0, 1.0], [0.3, 0.0, 0.7]]
    report = make_report([0, 0, 2, 1], probabilities)
    mistakes = report.mistakes()
    assert [(m.index, m.true, m.predicted) for m in mistakes] == [(100, 0, 1), (103, 1, 2),
                                                                  (101, 0, 1)]
    assert mistakes[0].confidence == pytest.approx(0.9)
    assert [m.index for m in report.mistakes(true_class=1)] == [103]
    assert len(report.mistakes(limit=1)) == 1


def test_history_csv_round_trips():
    history = {"loss": [0.5, 0.25], "val_accuracy": [0.9, 0.95]}
    rows = list(csv.reader(io.StringIO(make_report([0], [[1, 0, 0]], history).history_csv())))
    assert rows == [["epoch", "loss", "val_accuracy"], ["1", "0.5", "0.9"], ["2", "0.25", "0.95"]]


def test_empty_report_does_not_crash():
    report = make_report(np.array([], dtype=int), np.zeros((0, 3)))
    assert report.test_accuracy == 0 and report.test_loss == 0 and report.mistakes() == []


@pytest.mark.parametrize("done,asked,stopped,expected", [
    (2.0, 2, False, "2 epochs"),
    (1.0, 1, False, "1 epoch"),
    (1.4, 3, True, "stopped in epoch 2 of 3 (1.4 epochs done)"),
    (0.96, 3, True, "stopped in epoch 1 of 3 (0.9 epochs done)"),
    (1.0, 3, True, "stopped after epoch 1 of 3"),
    (0.01, 2, True, "stopped in epoch 1 of 2 (under 0.1 epochs done)"),
    (3.0, 3, True, "3 epochs"),  # stopped while the test set was evaluated: all trained
])
def test_epochs_summary_counts_the_epochs_actually_run(done, asked, stopped, expected):
    from cnn_core.models.reports import epochs_summary

    assert epochs_summary(done, asked, stopped) == expected


def test_history_rows_show_validation_per_epoch_and_test_once():
    history = {"loss": [0.9, 0.5], "accuracy": [0.7, 0.8], "val_loss": [0.6, 0.4],
               "val_accuracy": [0.75, 0.85]}
    probabilities = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]
    report = make_report([0, 1, 1, 2], probabilities, history)
    rows = report.history_rows()
    assert [r["after"] for r in rows[:2]] == ["epoch 1", "epoch 2"]
    assert rows[1]["validation accuracy"] == f"{history['val_accuracy'][1]:.2%}"
    assert rows[0]["training accuracy"] == f"{history['accuracy'][0]:.2%}"
    assert rows[1]["test accuracy"] == ""  # the test set is not looked at during training
    assert rows[-1]["test accuracy"] == f"{report.test_accuracy:.2%}"
    assert report.validation_accuracy == history["val_accuracy"][-1]


# ---- The iris network's verdict ------------------------------------------------------------

IRIS_NAMES = ("setosa", "versicolor", "virginica")


def test_a_good_iris_result_says_so_with_the_flowers_counted():
    y = np.array([0, 1, 2] * 10)
    guess = y.copy()
    guess[4] = 2  # one versicolor taken for virginica
    text = iris_verdict(y, guess, IRIS_NAMES, 40, 40)
    assert text.startswith("29 of 30 test flowers right (97%)")
    assert "learned to tell the three species apart" in text
    assert "versicolor taken for virginica (1 flower)" in text
    assert "Try" not in text


def test_a_weak_iris_result_is_honest_and_says_what_to_try():
    y = np.array([0, 1, 2] * 10)
    guess = np.where(y == 2, 1, y)  # every virginica taken for versicolor
    text = iris_verdict(y, guess, IRIS_NAMES, 3, 3)
    assert "20 of 30" in text and "weak for iris" in text
    assert "virginica taken for versicolor (10 flowers)" in text
    assert "Try more epochs or more hidden units" in text
    stopped = iris_verdict(y, guess, IRIS_NAMES, 2, 40, stopped=True)
    assert "stopped after 2 of 40 epochs" in stopped
    guessing = iris_verdict(y, np.zeros_like(y), IRIS_NAMES, 1, 1)
    assert "hardly better than guessing" in guessing
    with pytest.raises(ValueError, match="one prediction"):
        iris_verdict(y, y[:3], IRIS_NAMES, 1, 1)
