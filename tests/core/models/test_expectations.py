"""Expected test accuracy before training, from the measured table in cnn_core.config."""

from __future__ import annotations

import math

import pytest

from cnn_core import config
from cnn_core.models.expectations import expected_accuracy

TABLE = {(1_000, 1): 0.80, (1_000, 2): 0.85, (10_000, 1): 0.90, (10_000, 2): 0.95,
         (10_000, 3): 0.96}


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setattr(config, "MEASURED_TEST_ACCURACY", {("mnist", "mnist_cnn", 128): TABLE})


def test_a_measured_setting_gives_the_measured_figure(table):
    found = expected_accuracy("mnist", "mnist_cnn", {}, 10_000, 2)
    assert found.accuracy == TABLE[(10_000, 2)] and found.exact and not found.more_epochs
    assert f"{TABLE[(10_000, 2)]:.1%}" in found.sentence() and "measured" in found.sentence()


def test_between_two_sizes_it_interpolates_on_a_log_scale(table):
    images = 3_000
    found = expected_accuracy("mnist", "mnist_cnn", {}, images, 2)
    t = math.log(images / 1_000) / math.log(10)
    assert found.accuracy == pytest.approx(TABLE[(1_000, 2)] + t * (TABLE[(10_000, 2)]
                                                                    - TABLE[(1_000, 2)]))
    assert not found.exact and "estimated" in found.sentence()
    assert "1,000 images" in found.sentence() and "10,000 images" in found.sentence()


def test_more_epochs_than_measured_says_at_least(table):
    found = expected_accuracy("mnist", "mnist_cnn", {}, 1_000, 5)
    assert found.epochs == 2 and found.more_epochs
    assert found.accuracy == TABLE[(1_000, 2)] and "at least" in found.sentence()


def test_changed_settings_are_flagged_and_unmeasured_ones_give_nothing(table):
    assert not expected_accuracy("mnist", "mnist_cnn", {"filters": 32}, 10_000, 1
                                 ).default_settings
    assert expected_accuracy("mnist", "mnist_cnn", {"dense_units": 64}, 10_000, 1) is None
    assert expected_accuracy("mnist", "mnist_cnn", {}, 50_000, 1) is None  # never extrapolated
    assert expected_accuracy("cifar10", "cifar_dcnn", {}, 10_000, 1) is None


def test_the_shipped_table_is_ordered_like_real_training():
    """More images, or more epochs, never measured as much worse (within noise)."""
    for table in config.MEASURED_TEST_ACCURACY.values():
        for (images, epochs), accuracy in table.items():
            assert 0.1 < accuracy <= 1
            more = [a for (n, e), a in table.items() if n >= images and e >= epochs]
            assert min(more) >= accuracy - 0.01
