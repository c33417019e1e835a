"""Small-count suppression: primary (<5), complementary (totals never give a hidden cell away),
and an attacker who works out hidden cells from the totals, line by line."""

from __future__ import annotations

import random

import pytest

from backend.reports.suppression import HIDDEN, SMALL, Line, grid_lines, recoverable, suppress
from backend.reports.tables import counts_grid, nested_counts, ratio


def test_small_counts_are_hidden_zeros_and_large_ones_are_not():
    assert suppress([0, 5, 12, 17], [])[:3] == [0, 5, 12]
    assert suppress([1, 4, 5], []) == [SMALL, SMALL, 5]


def test_a_lone_small_cell_takes_the_smallest_other_cell_with_it():
    shown = suppress([3, 10, 20, 33], [Line((0, 1, 2), 3)])
    assert shown == [SMALL, HIDDEN, 20, 33]


def test_a_small_total_is_small_too():
    assert suppress([3, 0, 3], [Line((0, 1), 2)]) == [SMALL, 0, SMALL]


@pytest.mark.parametrize(
    "matrix, expected",
    [
        ([[3, 7], [6, 6]], [[SMALL, HIDDEN, 10], [HIDDEN, HIDDEN, 12], [9, 13, 22]]),
        ([[20, 30], [40, 50]], [[20, 30, 50], [40, 50, 90], [60, 80, 140]]),
        ([[2, 2], [30, 40]], [[SMALL, SMALL, SMALL], [HIDDEN, HIDDEN, HIDDEN], [32, 42, 74]]),
    ],
)
def test_grids_with_row_and_column_totals(matrix, expected):
    assert counts_grid(matrix, row_totals=True) == expected


def test_the_attacker_recovers_a_cell_when_only_primary_suppression_is_applied():
    values = [3, 10, 20, 33]
    primary_only = [SMALL, 10, 20, 33]
    assert recoverable(primary_only, [Line((0, 1, 2), 3)]) == {0}
    assert recoverable(suppress(values, [Line((0, 1, 2), 3)]), [Line((0, 1, 2), 3)]) == set()


@pytest.mark.parametrize("seed", range(5))
def test_no_hidden_cell_of_random_grids_can_be_worked_out(seed):
    rng = random.Random(seed)
    for _ in range(400):
        rows, cols = rng.randint(1, 7), rng.randint(1, 7)
        matrix = [[rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40]) for _ in range(cols)] for _ in range(rows)]
        full = [r + [sum(r)] for r in matrix]
        full.append([sum(c) for c in zip(*full, strict=True)])
        values = [v for row in full for v in row]
        lines = grid_lines(rows, cols)
        shown = suppress(values, lines)
        assert recoverable(shown, lines) == set(), matrix
        assert all(s == v for s, v in zip(shown, values, strict=True) if isinstance(s, int))


def test_nested_groups_protect_their_subtotals():
    cells, subtotals, total = nested_counts([[3, 10], [20, 30]])
    assert cells == [[SMALL, HIDDEN], [20, 30]]
    assert subtotals == [13, 50] and total == 63


def test_a_ratio_of_a_hidden_count_is_not_shown():
    assert ratio(SMALL, 20) == "–"
    assert ratio(10, HIDDEN) == "–"
    assert ratio(15, 20) == 75.0
    assert ratio(0, 0) == "–"
