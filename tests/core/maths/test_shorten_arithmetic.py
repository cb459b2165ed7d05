"""`shorten_arithmetic` serves both the sliding-window page (first terms, "...", last two) and
the pixel inspector of the image-kernels page (first 12 products and how many more)."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.maths.frames import (
    conv_frames,
    format_arithmetic,
    format_number,
    pool_frames,
    shorten_arithmetic,
)


def products(seed: int, side: int) -> tuple[np.ndarray, np.ndarray, str]:
    rng = np.random.default_rng(seed)
    window = rng.integers(0, 256, (side, side)).astype(np.float64)
    kernel = rng.normal(size=(side, side))
    return window, kernel, format_arithmetic(window, kernel, order="row")


@pytest.mark.parametrize("side", [6, 7, 11])
def test_the_inspector_shows_the_first_12_products_and_how_many_more(side):
    window, kernel, written = products(side, side)
    terms = written.split(" = ")[0].split(" + ")
    assert len(terms) == side * side
    short = shorten_arithmetic(written, keep=25, head=12, tail=0, say_how_many=True)
    total = format_number((window * kernel).sum())
    assert short == " + ".join(terms[:12]) + f" + ... ({side * side - 12} more products) = {total}"


@pytest.mark.parametrize("side", [1, 3, 5])
def test_up_to_the_limit_every_product_is_written(side):
    *_, written = products(side, side)
    assert shorten_arithmetic(written, keep=25, head=12, tail=0, say_how_many=True) == written


def test_the_default_keeps_the_first_seven_and_the_last_two_terms():
    frame = conv_frames(np.arange(36.0).reshape(6, 6), np.arange(16.0).reshape(4, 4) - 8)[0]
    terms = frame.arithmetic.split(" = ")[0].split(" + ")
    assert shorten_arithmetic(frame.arithmetic) == (
        " + ".join([*terms[:7], "...", *terms[-2:]]) + f" = {format_number(frame.value)}")
    assert shorten_arithmetic(frame.arithmetic, keep=5, tail=1) == (
        " + ".join([*terms[:4], "...", terms[-1]]) + f" = {format_number(frame.value)}")


def test_counting_what_is_left_out_names_numbers_where_they_are_not_products():
    x = np.arange(25.0).reshape(5, 5)
    maximum = pool_frames(x, 5, 1, "max")[0].arithmetic
    assert shorten_arithmetic(maximum, say_how_many=True) == (
        "max(0, 1, 2, 3, 4, 5, 6, ... (16 more numbers), 23, 24) = 24")
    average = pool_frames(x, 5, 1, "avg")[0].arithmetic
    assert shorten_arithmetic(average, keep=4, head=2, tail=1, say_how_many=True) == (
        "(0 + 1 + ... (22 more numbers) + 24) / 25 = 12")
    colour = conv_frames(np.ones((4, 4, 3)), np.ones((4, 4, 3)))[0].arithmetic
    lines = shorten_arithmetic(colour, keep=2, head=1, tail=1, say_how_many=True).split("\n")
    assert lines[0] == "red: 1x1 + ... (14 more products) + 1x1 = 16"
    assert lines[-1] == "total: 16 + ... (1 more number) + 16 = 48"


def test_a_line_is_never_made_longer_than_it_was():
    line = "1x1 + 2x2 + 3x3 = 14"
    assert shorten_arithmetic(line, keep=2) == line  # 1 first + 2 last would hide nothing
    assert shorten_arithmetic("no sum here", keep=1) == "no sum here"


@pytest.mark.parametrize("arguments", [{"keep": 0}, {"tail": -1}, {"head": 0}])
def test_impossible_lengths_are_refused(arguments):
    with pytest.raises(ValueError, match="at least one term"):
        shorten_arithmetic("1x1 + 2x2 = 5", **arguments)
