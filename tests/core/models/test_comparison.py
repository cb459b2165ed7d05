"""The comparison of the two networks says only what the validation pictures show."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.models.comparison import (
    guessing_p_value,
    majority_share,
    mistakes,
    paired_p_value,
    verdict,
)

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


def paired(both: int, scratch_only: int, transfer_only: int, neither: int):
    """Right/wrong answers of the two networks on the same validation pictures."""
    scratch = [True] * both + [True] * scratch_only + [False] * (transfer_only + neither)
    transfer = [True] * both + [False] * scratch_only + [True] * transfer_only + [False] * neither
    return np.array(scratch), np.array(transfer)


def test_the_paired_p_value_is_mcnemars_exact_test():
    from scipy.stats import binomtest

    for a, b in [(0, 0), (3, 12), (12, 3), (5, 5), (0, 6), (1, 20), (40, 55)]:
        expected = 1.0 if a + b == 0 else binomtest(a, a + b, 0.5).pvalue
        assert paired_p_value(a, b) == pytest.approx(expected)


def test_a_clear_win_for_the_base_explains_why():
    # 200 pictures: scratch 60%, base 75%, 40 right only on the base, 10 only from scratch.
    text = verdict(*paired(110, 10, 40, 40), 100, 0.5, BASE)
    assert text.startswith("The pretrained base wins by 15.0 points") and BASE in text
    assert "40 were right only on the pretrained base and 10 only from scratch" in text


def test_a_gap_that_chance_could_give_is_called_level():
    # 80 pictures, 3 more right on the base (3.8 points): 7 against 4 is a coin's doing.
    text = verdict(*paired(50, 4, 7, 19), 160, 0.5, BASE)
    assert "level" in text and "wins" not in text and f"{300 / 80:.1f} points apart" in text
    # The same 3.8 points, all on one side, is still within chance (p = 0.25)...
    assert "level" in verdict(*paired(55, 0, 3, 22), 160, 0.5, BASE)
    # ...while 9 to 0 is not (p = 0.004).
    assert verdict(*paired(49, 0, 9, 22), 160, 0.5, BASE).startswith(
        f"The pretrained base wins by {900 / 80:.1f} points")


def test_scratch_winning_is_said_plainly():
    assert verdict(*paired(240, 80, 20, 60), 500, 0.5, BASE).startswith(
        "The network from scratch wins by 15.0 points")


def test_results_at_chance_say_so_and_claim_nothing_else():
    # 51% of 200 pictures when guessing gets 50%: nothing to compare.
    text = verdict(*paired(90, 12, 10, 88), 50, 0.5, BASE)
    assert text.startswith("Neither network beats guessing") and "wins" not in text
    # 60% of 200 would happen by guessing once in about 300 tries: that beats guessing.
    assert "Neither" not in verdict(*paired(100, 20, 10, 70), 50, 0.5, BASE)


def test_the_guessing_p_value_is_a_one_sided_binomial_test():
    from scipy.stats import binomtest

    for right, n, chance in [(102, 200, 0.5), (120, 200, 0.5), (30, 40, 0.6), (0, 5, 0.5)]:
        expected = binomtest(right, n, chance, alternative="greater").pvalue
        assert guessing_p_value(right, n, chance) == pytest.approx(expected)


def test_a_stopped_run_is_named_before_any_claim():
    text = verdict(*paired(110, 10, 40, 40), 100, 0.5, BASE, stopped=True)
    assert text.startswith("Training was stopped early") and "wins by 15.0" in text


def test_different_pictures_cannot_be_compared():
    with pytest.raises(ValueError, match="same validation pictures"):
        verdict(np.ones(10, bool), np.ones(12, bool), 10, 0.5, BASE)
