"""Holding out a stratified validation split of the training images."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.data.splits import validation_size, validation_split


@pytest.fixture
def uneven():
    """Ten classes of very different sizes, each image numbered so it can be traced."""
    rng = np.random.default_rng(5)
    y = rng.permutation(np.repeat(np.arange(10), [300, 250, 200, 150, 120, 90, 60, 40, 25, 15]))
    return np.arange(len(y)), y


@pytest.mark.parametrize("fraction", [0.05, 0.1, 0.2, 0.5])
def test_every_class_keeps_its_share_on_both_sides(uneven, fraction):
    x, y = uneven
    x_train, y_train, x_val, y_val = validation_split(x, y, fraction, seed=1)
    assert len(y_val) == round(len(y) * fraction) and len(y_train) + len(y_val) == len(y)
    counts = np.bincount(y, minlength=10)
    held = np.bincount(y_val, minlength=10)
    # Each class gives (to within one image) its own share of the validation images.
    assert np.all(np.abs(held - counts * len(y_val) / len(y)) <= 1)
    np.testing.assert_array_equal(np.bincount(y_train, minlength=10), counts - held)


def test_the_two_sides_are_disjoint_and_cover_every_image(uneven):
    x, y = uneven
    x_train, y_train, x_val, y_val = validation_split(x, y, 0.1, seed=2)
    assert not set(x_train) & set(x_val)
    assert sorted([*x_train, *x_val]) == list(x)
    np.testing.assert_array_equal(y[x_train], y_train)  # labels travel with their images
    np.testing.assert_array_equal(y[x_val], y_val)
    assert list(x_train) == sorted(x_train)  # the training side keeps the original order


def test_the_same_seed_gives_the_same_split_and_another_seed_another(uneven):
    x, y = uneven
    first = validation_split(x, y, 0.1, seed=3)[2]
    np.testing.assert_array_equal(first, validation_split(x, y, 0.1, seed=3)[2])
    assert set(first) != set(validation_split(x, y, 0.1, seed=4)[2])


def test_a_share_of_zero_holds_nothing_out(uneven):
    x, y = uneven
    x_train, y_train, x_val, y_val = validation_split(x, y, 0.0)
    assert x_train is x and len(x_val) == len(y_val) == 0


@pytest.mark.parametrize("images,fraction", [(100, 0.6), (100, -0.1), (4, 0.1)])
def test_impossible_shares_are_refused_in_a_sentence(images, fraction):
    with pytest.raises(ValueError, match=r"^[A-Z0-9].*\.$"):
        validation_size(images, fraction)
