"""The comparison of the two networks says only what the validation pictures show."""

from __future__ import annotations

import numpy as np

from cnn_core.models.comparison import majority_share, mistakes, verdict

BASE = "35,000 photos of other things"


def test_majority_share():
    assert majority_share(np.array([0, 1, 1, 1])) == 0.75


def test_mistakes_are_the_wrong_answers_most_confident_first():
    y = np.array([0, 1, 1, 0])
    p = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.05, 0.95]], dtype=np.float32)
    found = mistakes(y, p, positions=np.array([10, 11, 12, 13]))
    assert [(m.position, m.true_class, m.predicted) for m in found] == [(13, 0, 1), (11, 1, 0)]
    assert abs(found[0].confidence - 0.95) < 1e-6
    assert len(mistakes(y, p, np.arange(4), limit=1)) == 1


def test_a_clear_win_for_the_base_explains_why():
    text = verdict(0.60, 0.75, 200, 100, 0.5, BASE)
    assert text.startswith("The pretrained base wins by 15.0 points") and BASE in text


def test_a_small_difference_is_called_chance():
    # 2 pictures of 40 is 5 points: within two pictures' worth
    text = verdict(0.70, 0.75, 40, 80, 0.5, BASE)
    assert "level" in text and "2 of the 40" in text and "wins" not in text


def test_scratch_winning_is_said_plainly():
    assert verdict(0.80, 0.65, 400, 500, 0.5, BASE).startswith(
        "The network from scratch wins by 15.0 points")


def test_results_at_chance_say_so():
    text = verdict(0.51, 0.50, 200, 50, 0.5, BASE)
    assert text.startswith("Neither network beats guessing") and "level" in text
