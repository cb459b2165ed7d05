"""Sentences under a training job and a Grad-CAM map: the time a job took or has left, and what
the trained map's likeness to the untrained copy's says."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.jobs.inference import evidence_agreement
from cnn_core.models.reports import (
    MAPS_ALIKE,
    MAPS_SOMEWHAT_ALIKE,
    agreement_sentence,
    format_eta,
)


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0 s"), (0.4, "0 s"), (42.6, "43 s"), (59.4, "59 s"), (60, "1 min 00 s"),
    (125, "2 min 05 s"), (599.7, "10 min 00 s"), (3725, "62 min 05 s"),
])
def test_times_read_in_minutes_and_two_digit_seconds(seconds, shown):
    assert format_eta(seconds) == shown


def test_an_unknown_time_is_being_estimated():
    assert format_eta(None) == "estimating..."


def test_minutes_and_seconds_add_back_up_to_the_rounded_time():
    for seconds in np.linspace(0, 4000, 97):
        text = format_eta(float(seconds))
        minutes = int(text.split(" min ")[0]) if " min " in text else 0
        secs = int(text.split(" ")[-2])
        assert 0 <= secs < 60 and minutes * 60 + secs == round(seconds)


def test_the_sentence_follows_the_correlation_of_the_two_maps():
    rng = np.random.default_rng(0)
    trained = rng.random((8, 8))
    same = agreement_sentence(evidence_agreement(trained, trained))
    assert same.startswith("Here the two maps look alike (correlation 1.00)")
    assert "says little about what the network learned" in same
    opposite = agreement_sentence(evidence_agreement(trained, -trained))
    assert opposite.startswith("Here they look different (correlation -1.00)")
    assert "shows something the network learned" in opposite
    empty = agreement_sentence(evidence_agreement(trained, np.zeros((8, 8))))
    assert empty == "One of the two maps is empty, so there is nothing to compare."


@pytest.mark.parametrize(("agreement", "verdict"), [
    (MAPS_ALIKE, "look alike"), (0.95, "look alike"),
    (np.nextafter(MAPS_ALIKE, 0), "look somewhat alike"),
    (MAPS_SOMEWHAT_ALIKE, "look somewhat alike"),
    (np.nextafter(MAPS_SOMEWHAT_ALIKE, 0), "look different"), (0.0, "look different"),
])
def test_the_thresholds_fall_where_they_are_named(agreement, verdict):
    sentence = agreement_sentence(float(agreement))
    assert verdict in sentence
    assert f"(correlation {agreement:.2f})" in sentence
    assert 0 < MAPS_SOMEWHAT_ALIKE < MAPS_ALIKE < 1
