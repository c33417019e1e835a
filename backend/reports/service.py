"""Running a report for a request's filters, and writing it out (rows for people, CSV, JSON).
No HTTP."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from backend.errors import InvalidInput, NotFound
from backend.geo.reference import DISTRICTS
from backend.i18n import N_, TIMEZONE, translate
from backend.reports.builders import SOURCES
from backend.reports.catalog import REPORTS, Report
from backend.reports.charts import Bar, bar_chart
from backend.reports.labels import cell_text, heading
from backend.reports.periods import period_from
from backend.reports.queries import Filters
from backend.reports.suppression import HIDDEN, SMALL
from backend.reports.tables import Table
from backend.vocab import LIFE_PHASES, NEED_DOMAINS, SERVICE_TYPES, SPOKEN_LANGUAGES

CHOICES = {
    "district": set(DISTRICTS),
    "life_phase": set(LIFE_PHASES),
    "source": set(SOURCES),
    "need": set(NEED_DOMAINS),
    "language": set(SPOKEN_LANGUAGES),
    "offer_type": set(SERVICE_TYPES),
}


def today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def report(report_id: str) -> Report:
    found = REPORTS.get(report_id)
    if found is None:
        raise NotFound(N_("No such report."))
    return found


def filters_from(params: dict[str, str], strict: bool = False) -> Filters:
    """Filters from query parameters: `from`/`to` (YYYY-MM-DD) and the codes of CHOICES. An
    unknown code is ignored on pages and refused by the API (`strict`)."""
    period = period_from(params.get("from") or None, params.get("to") or None, today())
    if period is None:
        raise InvalidInput(
            N_("Give the period as two dates YYYY-MM-DD, at most 10 years apart."), field="from"
        )
    chosen: dict[str, str] = {}
    for name, allowed in CHOICES.items():
        value = params.get(name, "")
        if value in allowed:
            chosen[name] = value
        elif value and strict:
            raise InvalidInput(N_("Unknown value for %(name)s."), field=name, name=name)
    return Filters(period=period, **chosen)


def run(session: Session, found: Report, f: Filters) -> Table:
    # Filters that do not apply to a report are dropped, so that its figures mean what it says.
    applicable = {name: getattr(f, name) for name in found.filters}
    return found.build(session, Filters(period=f.period, **applicable))


@dataclass
class Shown:
    """A table as a page shows it: headings and cell texts in the reader's language."""

    headings: list[str]
    rows: list[tuple[bool, list[str]]]  # (is a total, texts)
    numeric: list[bool]


def shown(table: Table, locale: str) -> Shown:
    return Shown(
        headings=[heading(c, locale) for c in table.columns],
        rows=[
            (table.is_total(row), [cell_text(c, v, locale) for c, v in zip(table.columns, row, strict=True)])
            for row in table.rows
        ],
        numeric=[not c.is_key for c in table.columns],
    )


def chart(found: Report, table: Table, locale: str, chart_id: str) -> Any:
    if not table.chart:
        return None
    index = [c.name for c in table.columns].index(table.chart)
    keys = [i for i, c in enumerate(table.columns) if c.is_key]
    bars = []
    for row in table.rows:
        if table.is_total(row):
            continue
        label = " · ".join(cell_text(table.columns[i], row[i], locale) for i in keys)
        value = row[index]
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        bars.append(Bar(label, number, cell_text(table.columns[index], value, locale)))
    title = translate(locale, found.title)
    description = translate(
        locale,
        N_("%(column)s per row; the table next to the chart holds the same figures."),
        column=heading(table.columns[index], locale),
    )
    return bar_chart(title, description, bars, chart_id)


def to_csv(table: Table, locale: str) -> str:
    """Headings and names in the reader's language; counts as plain numbers, hidden cells as
    their marks ("<5", "x")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([heading(c, locale) for c in table.columns])
    for row in table.rows:
        writer.writerow(
            [cell_text(c, v, locale) if c.is_key else v for c, v in zip(table.columns, row, strict=True)]
        )
    return out.getvalue()


def to_json(found: Report, table: Table, locale: str) -> dict[str, Any]:
    """Codes and machine names; a total row carries "*" in its key columns. The API's contract
    knows one mark for a hidden cell, "<5": complementary cells ("x" on the pages) are given
    as "<5" too — hidden either way, and nothing to compute with."""
    return {
        "id": found.id,
        "title": translate(locale, found.title),
        "columns": [c.name for c in table.columns],
        "rows": [[SMALL if v == HIDDEN else v for v in row] for row in table.rows],
    }
