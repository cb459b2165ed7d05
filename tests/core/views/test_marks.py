"""`mark_window` / `mark_output`: the magenta outline and ticks of the pixel inspector."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.views.marks import MARK_COLOUR, mark_output, mark_window


def magenta(marked: np.ndarray) -> np.ndarray:
    return np.all(marked == MARK_COLOUR, axis=-1)


@pytest.mark.parametrize(("top", "left", "size"), [(40, 70, (3, 3)), (10, 20, (5, 3)),
                                                   (50, 50, (1, 1))])
def test_the_window_is_outlined_just_outside_and_left_as_it_was_inside(top, left, size):
    image = np.full((100, 120), 128, np.uint8)
    marked = mark_window(image, top, left, size)
    assert marked.shape == (100, 120, 3) and marked.dtype == np.uint8
    kh, kw = size
    drawn = magenta(marked)
    # The one-pixel frame around the window: rows top-1 and top+kh, columns left-1 and left+kw.
    assert drawn[top - 1, left - 1 : left + kw + 1].all()
    assert drawn[top + kh, left - 1 : left + kw + 1].all()
    assert drawn[top - 1 : top + kh + 1, left - 1].all() and drawn[top - 1 : top + kh + 1,
                                                                   left + kw].all()
    assert not drawn[top : top + kh, left : left + kw].any()
    # Four ticks point at the window's centre from outside, nothing else is drawn.
    centre_y, centre_x = top + kh // 2, left + kw // 2
    rows, cols = np.nonzero(drawn)
    assert rows.min() < top - 1 and rows.max() > top + kh
    assert cols.min() < left - 1 and cols.max() > left + kw
    assert set(cols[rows < top - 1]) == {centre_x} and set(cols[rows > top + kh]) == {centre_x}
    assert set(rows[cols < left - 1]) == {centre_y} and set(rows[cols > left + kw]) == {centre_y}
    assert np.all(marked[~drawn] == 128)


def test_the_picture_given_is_never_changed_and_colour_is_kept():
    rng = np.random.default_rng(3)
    photo = rng.integers(0, 200, (60, 80, 3), dtype=np.uint8)
    before = photo.copy()
    marked = mark_window(photo, 20, 30, (3, 3))
    np.testing.assert_array_equal(photo, before)
    np.testing.assert_array_equal(marked[~magenta(marked)], photo[~magenta(marked)])


def test_the_outline_thickens_on_a_large_picture():
    """About 1 pixel for every 300 of the longer side, centred on the line just outside the
    window, so a projector shows it on a large photo."""
    widths = []
    for side in (100, 300, 600, 900, 1500):
        top, left = side // 2, side // 2 - 10
        drawn = magenta(mark_window(np.zeros((side, side), np.uint8), top, left, (21, 21)))
        # Down a column of the window's top edge, far from its sides and its ticks.
        rows = np.nonzero(drawn[top - 10 : top + 10, left + 4])[0] + top - 10
        assert rows.min() + rows.max() == 2 * (top - 1)  # centred on the edge's row
        assert len(rows) == rows.max() - rows.min() + 1  # in one piece
        widths.append(len(rows))
    assert widths[:2] == [1, 1]
    assert widths == sorted(widths) and widths[-1] > widths[2] > widths[1]


def test_a_float_picture_in_0_1_and_a_window_at_the_corner_work():
    image = np.full((30, 30), 0.5)
    marked = mark_window(image, 0, 0, (3, 3))
    assert marked.dtype == np.uint8 and not magenta(marked)[0:3, 0:3].any()
    assert magenta(marked)[3, 0:4].all() and magenta(marked)[0:4, 3].all()


def test_mark_output_outlines_one_pixel():
    result = np.full((100, 120), 128, np.uint8)
    np.testing.assert_array_equal(mark_output(result, 40, 70), mark_window(result, 40, 70, (1, 1)))
    drawn = magenta(mark_output(result, 40, 70))
    assert drawn[39, 69] and drawn[41, 71] and not drawn[40, 70]
