"""The outcome reports (issue 19): what became of referred needs at their follow-up, and how
wellbeing changed between the screening and the follow-up. Built from count-only tallies;
counts pass through suppression before they leave this module."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from backend.i18n import N_
from backend.reports import queries
from backend.reports.builders import NEED_ORDER, _key, _order
from backend.reports.models import SKIPPED, WELLBEING_BINS
from backend.reports.periods import quantile
from backend.reports.queries import Filters
from backend.reports.suppression import HIDDEN, Line, is_hidden, suppress
from backend.reports.tables import NOT_AVAILABLE, TOTAL, Column, Table, counts_grid, ratio

OUTCOME_FILTERS = ("district", "life_phase", "offer_type")
WELLBEING_FILTERS = ("district", "life_phase")
# The answers to "better / the same / worse / cannot say" ("": the question was not answered).
CHANGES = {
    "better": ("better_count", N_("Better")),
    "same": ("same_count", N_("The same")),
    "worse": ("worse_count", N_("Worse")),
    "cannot-say": ("cannot_say_count", N_("Cannot say")),
    "": ("not_answered_count", N_("Not answered")),
}
SCORES = {
    "ons4-life-satisfaction": N_("Life satisfaction (ONS4, 0–10)"),
    "ons4-worthwhile": N_("Things done are worthwhile (ONS4, 0–10)"),
    "ons4-happy": N_("Happy yesterday (ONS4, 0–10)"),
    "ons4-anxious": N_("Anxious yesterday (ONS4, 0–10)"),
    "ucla3": N_("Loneliness (UCLA-3 score, 3–9)"),
}
LOWEST, HIGHEST = N_("−3 or less"), N_("+3 or more")
MIN_FOR_MEDIAN = 10


def bin_name(value: int) -> str:
    return f"minus_{-value}" if value < 0 else f"plus_{value}" if value > 0 else "zero"


def bin_label(value: int) -> str:
    """The heading of a bin: the outer ones are msgids, the inner ones plain signed numbers."""
    if value <= WELLBEING_BINS[0]:
        return LOWEST
    if value >= WELLBEING_BINS[-1]:
        return HIGHEST
    return f"−{-value}" if value < 0 else f"+{value}" if value > 0 else "0"


def median_bin(histogram: dict[int, int]) -> int | str:
    """The median of the binned changes (so the median bin), from MIN_FOR_MEDIAN pairs on."""
    if sum(histogram.values()) < MIN_FOR_MEDIAN:
        return NOT_AVAILABLE
    found = quantile(histogram, 0.5)
    return NOT_AVAILABLE if found is None else found


def need_resolution(session: Session, f: Filters) -> Table:
    counts = queries.outcomes(session, f, ("need_domain", "change"))
    needs = _order({k[0] for k, n in counts.items() if n}, NEED_ORDER)
    matrix = [[counts.get((d, c), 0) for c in CHANGES] for d in needs]
    cells = counts_grid(matrix, row_totals=True, columns=len(CHANGES))
    # Skipped follow-ups have no offer type: with one chosen, the rate cannot be given.
    skipped: list[Any]
    if f.offer_type:
        skipped = [NOT_AVAILABLE] * (len(needs) + 1)
    else:
        skipped = [
            c[0] for c in counts_grid([[counts.get((d, SKIPPED), 0)] for d in needs], row_totals=False)
        ]
    columns = [
        _key("need_domain"),
        *[Column(name, label) for name, label in CHANGES.values()],
        Column("count", N_("Followed up")),
        Column("skipped_count", N_("Follow-up skipped")),
        Column("follow_up_rate", N_("Follow-up rate (%)"), "percent"),
        Column("better_share", N_("Better (%)"), "percent"),
    ]
    table = Table(columns, chart="better_share")
    table.note = N_(
        "Referred needs, by the client's answer at the follow-up. Follow-up rate: needs followed up "
        "of those whose due follow-up was recorded or skipped (follow-ups still due are not counted); "
        "with an offer type chosen it is not available, as a skipped follow-up has none. "
        "Better: the share of needs that got better among all needs followed up."
    )
    for key, row, skip in zip([*needs, TOTAL], cells, skipped, strict=True):
        followed, better = row[-1], row[0]
        due: Any = NOT_AVAILABLE
        if isinstance(skip, int) and isinstance(followed, int):
            due = followed + skip
        elif is_hidden(skip) or is_hidden(followed):
            due = HIDDEN
        rate = NOT_AVAILABLE if due == NOT_AVAILABLE else ratio(followed, due)
        table.rows.append([key, *row, skip, rate, ratio(better, followed)])
    return table


def _rows_with_totals(matrix: list[list[int]]) -> list[list[int | str]]:
    """Each row with its total, suppressed row by row (the rows are different scales: no
    column adds up to anything)."""
    width = len(WELLBEING_BINS) + 1
    values = [v for row in matrix for v in [*row, sum(row)]]
    lines = [
        Line(tuple(r * width + c for c in range(width - 1)), r * width + width - 1)
        for r in range(len(matrix))
    ]
    shown = suppress(values, lines)
    return [shown[r * width : (r + 1) * width] for r in range(len(matrix))]


def wellbeing_change(session: Session, f: Filters) -> Table:
    counts = queries.wellbeing(session, f, ("score", "change"))
    histograms = [{b: counts.get((s, b), 0) for b in WELLBEING_BINS} for s in SCORES]
    cells = _rows_with_totals([list(h.values()) for h in histograms])
    columns = [
        Column("score", N_("Wellbeing measure"), "score"),
        *[Column(f"{bin_name(b)}_count", bin_label(b)) for b in WELLBEING_BINS],
        Column("count", N_("Pairs")),
        Column("median_change", N_("Median change (bin)"), "change_median"),
    ]
    table = Table(columns, chart="count")
    table.note = N_(
        "Follow-up minus screening, per person, counted in bins; the pairing happens when the "
        "follow-up is stored, and only the change is kept. Declined or unanswered on either side: "
        "no pair. For anxiety and loneliness a negative change is an improvement. The median is "
        "the median bin, given from 10 pairs on."
    )
    for score, row, histogram in zip(SCORES, cells, histograms, strict=True):
        median = median_bin(histogram) if isinstance(row[-1], int) else NOT_AVAILABLE
        table.rows.append([score, *row, median])
    return table
