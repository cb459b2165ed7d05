"""The pooling page's sentences and tables, built from `cnn_core.maths.pooling`: which cells
no window covers (checked against what `pool2d` actually reads), and the shift study's table."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnn_core.maths.pooling import ShiftSummary, dropped_cells_note, pool2d, shift_study_markdown


def covered_cells(shape: tuple[int, int], size: int, padding: str, stride: int) -> np.ndarray:
    """(H, W) bool: whether pooling ever reads the cell, found by pooling a map that is 1 at
    that cell only (max pooling passes the 1 on exactly when a window covers it)."""
    covered = np.zeros(shape, dtype=bool)
    for row in range(shape[0]):
        for col in range(shape[1]):
            impulse = np.zeros(shape)
            impulse[row, col] = 1.0
            covered[row, col] = pool2d(impulse, size, stride, "max", padding).max() == 1.0
    return covered


def listed_numbers(note: str, word: str) -> list[int]:
    """The numbers after "row"/"rows" (or "column"/"columns") in the note: "rows 1, 2 and 4"."""
    found = re.search(rf"\b{word}s? ((?:\d+)(?:(?:, | and )\d+)*)", note)
    return [int(n) for n in re.findall(r"\d+", found.group(1))] if found else []


@pytest.mark.parametrize(("shape", "size", "padding", "stride"), [
    ((5, 5), 2, "valid", 2),     # the last row and column left over
    ((5, 4), 2, "valid", 2),     # only the last row
    ((9, 9), 1, "valid", 3),     # a stride beyond the window skips two of every three
    ((7, 6), 2, "same", 3),      # skipped even with padding
    ((8, 11), 3, "valid", 4),    # both reasons at once
])
def test_the_note_names_exactly_the_rows_and_columns_pooling_never_reads(shape, size, padding,
                                                                          stride):
    covered = covered_cells(shape, size, padding, stride)
    note = dropped_cells_note(shape, size, padding, stride)
    assert note is not None
    rows = [r for r in range(shape[0]) if not covered[r].any()]
    cols = [c for c in range(shape[1]) if not covered[:, c].any()]
    assert listed_numbers(note, "row") == rows
    assert listed_numbers(note, "column") == cols
    lost = int((~covered).sum())
    assert f"so {lost} of the {covered.size} numbers are dropped" in note
    # Each reason is given only when it applies.
    assert ("the stride of" in note) == (stride > size)
    at_the_end = (rows and rows[-1] == shape[0] - 1) or (cols and cols[-1] == shape[1] - 1)
    assert ('"valid" pooling adds no padding' in note) == bool(padding == "valid" and at_the_end)
    assert note.endswith(".")


def test_a_worked_example_reads_as_a_sentence():
    assert dropped_cells_note((5, 5), 2, "valid", 2) == (
        "No window ever covers row 4 and column 4, so 9 of the 25 numbers are dropped: no whole "
        "2x2 window fits at the end, and \"valid\" pooling adds no padding (\"same\" would keep "
        "them).")
    three = dropped_cells_note((9, 1), 1, "valid", 3)
    assert three.startswith("No window ever covers rows 1, 2, 4, 5, 7 and 8, so 6 of the 9 ")
    assert "the stride of 3 jumps over cells between 1x1 windows" in three


@pytest.mark.parametrize(("shape", "size", "padding", "stride"), [
    ((4, 4), 2, "valid", 2), ((5, 5), 2, "same", 2), ((6, 7), 3, "same", 3),
    ((5, 5), 3, "valid", 1),
])
def test_no_note_when_every_cell_is_read(shape, size, padding, stride):
    assert covered_cells(shape, size, padding, stride).all()
    assert dropped_cells_note(shape, size, padding, stride) is None


def summary(distance: int, unchanged: tuple, correlation: tuple) -> ShiftSummary:
    return ShiftSummary(distance, 40, (0.0, 0.0, 0.0), unchanged, (0.0, 0.0, 0.0), correlation)


def test_shift_study_table_has_a_row_per_input_and_the_medians_per_distance():
    table = {
        "Random grids (10)": [summary(1, (0.1, 0.834, 0.9), (0.2, 0.912, 0.99)),
                              summary(2, (0.0, 0.25, 0.5), (-0.5, -0.104, 0.3))],
        "Dots (5)": [summary(1, (0.9, 1.0, 1.0), (1.0, 1.0, 1.0)),
                     summary(2, (0.3, 0.5, 0.7), (0.1, 0.5, 0.6))],
    }
    lines = shift_study_markdown(table).split("\n")
    assert lines[0] == "| Input (maps) | 1 cell | 2 cells |"
    assert lines[1] == "|---|---|---|"
    # The medians (the middle of each quartile triple), never a quartile.
    assert lines[2] == "| Random grids (10) | 83% · r 0.91 | 25% · r -0.10 |"
    assert lines[3] == "| Dots (5) | 100% · r 1.00 | 50% · r 0.50 |"
    assert len(lines) == 4


def test_shift_study_table_needs_an_input():
    with pytest.raises(ValueError, match="at least one kind of input"):
        shift_study_markdown({})
