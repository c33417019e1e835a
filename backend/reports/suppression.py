"""Small-count suppression. Pure.

A table is a list of counts and a list of *lines*: sets of cells whose parts add up to a total
shown in the same line (a row with its row total, a column with its column total). Primary
suppression hides every count from 1 to 4. Complementary suppression then hides, in every line
that has exactly one hidden cell, the smallest other non-zero cell (the total only when nothing
else is left), and repeats until no line has exactly one hidden cell: a single hidden cell in a
line could be recovered as the total minus the others.

Zeros stay visible: they describe nobody. Complementary cells are not small, so they are marked
differently ("x") from primary ones ("<5"); both are hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5
SMALL = "<5"
HIDDEN = "x"


@dataclass(frozen=True)
class Line:
    parts: tuple[int, ...]  # indices of the cells that add up to
    total: int  # the index of their total


def suppress(values: Sequence[int], lines: Sequence[Line], threshold: int = THRESHOLD) -> list[int | str]:
    """The values with hidden cells replaced by SMALL (primary) or HIDDEN (complementary)."""
    small = {i for i, v in enumerate(values) if 0 < v < threshold}
    hidden = set(small)
    lines_of: dict[int, list[Line]] = {}
    for line in lines:
        for i in line.parts:
            lines_of.setdefault(i, []).append(line)

    def protectable(i: int) -> bool:
        # Hiding a cell that is the only non-zero part of another line would give it away
        # there (it equals that line's total), and the totals are published in other tables.
        return all(any(j != i and values[j] > 0 for j in other.parts) for other in lines_of.get(i, []))

    changed = True
    while changed:
        changed = False
        for line in lines:
            cells = (*line.parts, line.total)
            if sum(1 for i in cells if i in hidden) != 1:
                continue
            candidates = [i for i in line.parts if i not in hidden and values[i] > 0]
            preferred = [i for i in candidates if protectable(i)] or candidates
            if not preferred and line.total not in hidden and values[line.total] > 0:
                preferred = [line.total]  # the last resort: the total itself
            if preferred:
                hidden.add(min(preferred, key=lambda i: (values[i], i)))
                changed = True
    return [SMALL if i in small else HIDDEN if i in hidden else v for i, v in enumerate(values)]


def recoverable(shown: Sequence[int | str], lines: Sequence[Line]) -> set[int]:
    """What someone could work out from a suppressed table: repeatedly, a line with one unknown
    cell gives it away. Empty for a well-suppressed table (tests use this)."""
    known = {i: v for i, v in enumerate(shown) if not is_hidden(v)}
    found: set[int] = set()
    progress = True
    while progress:
        progress = False
        for line in lines:
            cells = (*line.parts, line.total)
            unknown = [i for i in cells if i not in known]
            if len(unknown) != 1:
                continue
            i = unknown[0]
            parts = sum(int(known[j]) for j in line.parts if j in known)
            known[i] = int(known[line.total]) - parts if i != line.total else parts
            found.add(i)
            progress = True
    return found


def grid_lines(rows: int, columns: int) -> list[Line]:
    """Lines of a rows × columns grid stored row by row with a total column at the end of each
    row and a total row at the end: (rows + 1) × (columns + 1) cells."""
    width = columns + 1
    lines = [Line(tuple(r * width + c for c in range(columns)), r * width + columns) for r in range(rows + 1)]
    lines += [Line(tuple(r * width + c for r in range(rows)), rows * width + c) for c in range(columns + 1)]
    return lines


def is_hidden(value: object) -> bool:
    return value in (SMALL, HIDDEN)
