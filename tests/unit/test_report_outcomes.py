"""The outcome reports' pure parts (issue 19): paired changes into bins, the median bin, and
the rows of the wellbeing table suppressed one by one."""

from __future__ import annotations

import pytest

from backend.reports.outcomes import MIN_FOR_MEDIAN, _rows_with_totals, bin_label, median_bin
from backend.reports.suppression import HIDDEN, SMALL, Line, recoverable
from backend.reports.tally import change_bin


@pytest.mark.parametrize(
    "change, expected",
    [(-10, -3), (-3, -3), (-2, -2), (-1, -1), (0, 0), (1, 1), (2, 2), (3, 3), (4, 3), (7, 3)],
)
def test_a_paired_change_lands_in_its_bin(change, expected):
    # e.g. life satisfaction 3 at the screening, 7 at the follow-up: +4, "+3 or more"
    assert change_bin(change) == expected


def test_bin_labels():
    assert [bin_label(b) for b in (-3, -2, -1, 0, 1, 2, 3)] == [
        "−3 or less", "−2", "−1", "0", "+1", "+2", "+3 or more",
    ]  # fmt: skip


def test_the_median_bin_needs_ten_pairs():
    assert median_bin({0: 5, 1: 4}) == "–"  # 9 pairs
    assert MIN_FOR_MEDIAN == 10
    assert median_bin({-3: 4, 0: 1, 2: 5}) == 0  # 10 pairs, the 5th lies in 0
    assert median_bin({-3: 6, 3: 5}) == -3
    assert median_bin({-1: 2, 1: 9}) == 1


def test_each_wellbeing_row_is_suppressed_on_its_own():
    rows = [[0, 0, 3, 20, 9, 0, 0], [0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 30, 0, 0, 0]]
    shown = _rows_with_totals(rows)
    assert shown[0] == [0, 0, SMALL, 20, HIDDEN, 0, 0, 32]
    assert shown[1] == [0] * 8
    assert shown[2] == [SMALL, 0, 0, HIDDEN, 0, 0, 0, 31]
    flat = [v for row in shown for v in row]
    lines = [Line(tuple(r * 8 + c for c in range(7)), r * 8 + 7) for r in range(3)]
    assert recoverable(flat, lines) == set()
