"""Report tables: columns, rows, and their layout for suppression. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.reports.suppression import Line, grid_lines, is_hidden, suppress

TOTAL = "*"  # the key of a total (or subtotal) row
NOT_AVAILABLE = "–"  # a figure that cannot be given (a ratio of a hidden count, no waits at all)
VALUE_KINDS = frozenset({"count", "percent", "days_median", "days_p90", "offers", "change_median"})


@dataclass(frozen=True)
class Column:
    name: str  # machine name: count columns are `count` or end in `_count`
    label: str  # msgid
    kind: str = "count"  # one of VALUE_KINDS, or the kind of key (district, need_domain, …)

    @property
    def is_key(self) -> bool:
        return self.kind not in VALUE_KINDS


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    chart: str | None = None  # the column drawn as bars
    note: str | None = None  # msgid shown under the table

    def is_total(self, row: Sequence[Any]) -> bool:
        return any(c.is_key and row[i] == TOTAL for i, c in enumerate(self.columns))


def counts_grid(matrix: list[list[int]], row_totals: bool, columns: int = 1) -> list[list[int | str]]:
    """The matrix with a total row appended (and a total column when `row_totals`: its columns
    are parts of a whole), suppressed so that no hidden cell can be worked out from the totals.
    `columns` is the width of an empty matrix."""
    rows, cols = len(matrix), len(matrix[0]) if matrix else columns
    with_totals = row_totals and cols > 1
    body = [list(r) + [sum(r)] if with_totals else list(r) for r in matrix]
    width = cols + (1 if with_totals else 0)
    body.append([sum(r[c] for r in body) for c in range(width)])
    values = [v for r in body for v in r]
    if with_totals:
        lines = grid_lines(rows, cols)
    else:
        lines = [Line(tuple(r * width + c for r in range(rows)), rows * width + c) for c in range(width)]
    shown = suppress(values, lines)
    return [shown[r * width : (r + 1) * width] for r in range(rows + 1)]


def nested_counts(groups: list[list[int]]) -> tuple[list[list[int | str]], list[int | str], int | str]:
    """Counts in groups (municipalities within districts): each group with its subtotal, and
    the grand total. Returns (the groups' cells, the subtotals, the grand total)."""
    values: list[int] = []
    lines: list[Line] = []
    subtotal_at: list[int] = []
    positions: list[list[int]] = []
    for group in groups:
        start = len(values)
        values.extend(group)
        positions.append(list(range(start, start + len(group))))
        values.append(sum(group))
        subtotal_at.append(len(values) - 1)
        lines.append(Line(tuple(positions[-1]), subtotal_at[-1]))
    values.append(sum(sum(g) for g in groups))
    lines.append(Line(tuple(subtotal_at), len(values) - 1))
    shown = suppress(values, lines)
    return [[shown[i] for i in p] for p in positions], [shown[i] for i in subtotal_at], shown[-1]


def ratio(numerator: Any, denominator: Any) -> float | str:
    """A percentage of two shown counts; NOT_AVAILABLE when either is hidden or the base is
    empty (a ratio of a hidden count would give it away)."""
    if is_hidden(numerator) or is_hidden(denominator) or not denominator:
        return NOT_AVAILABLE
    return round(100 * min(int(numerator), int(denominator)) / int(denominator), 1)
