"""Running a report for a request's filters, and writing it out (rows for people, CSV, JSON).
No HTTP."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
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
from backend.reports.periods import Period, month_index, period_from
from backend.reports.queries import Filters
from backend.reports.suppression import HIDDEN, SMALL
from backend.reports.tables import TOTAL, Column, Table
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


def row_texts(columns: list[Column], row: list[Any], locale: str) -> list[str]:
    """The cells of a row as people read them. A grand total row has the total mark in several
    key columns: it reads "Total" once, in the first, and the others stay empty."""
    texts, said_total = [], False
    for column, value in zip(columns, row, strict=True):
        if column.is_key and value == TOTAL:
            texts.append("" if said_total else cell_text(column, value, locale))
            said_total = True
        else:
            texts.append(cell_text(column, value, locale))
    return texts


def compares(table: Table) -> bool:
    """Whether the table has a column for the previous period."""
    return any(c.name == "previous_count" for c in table.columns)


def shown(table: Table, locale: str) -> Shown:
    return Shown(
        headings=[heading(c, locale) for c in table.columns],
        rows=[(table.is_total(row), row_texts(table.columns, row, locale)) for row in table.rows],
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
        N_("%(column)s per row; the table below the chart holds the same figures."),
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
        texts = row_texts(table.columns, row, locale)
        writer.writerow([t if c.is_key else v for c, t, v in zip(table.columns, texts, row, strict=True)])
    return out.getvalue()


def slug(text: str) -> str:
    """ASCII letters, digits and single hyphens: "Biel/Bienne" → "biel-bienne"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def period_slug(period: Period) -> str:
    """A calendar year "2026", a quarter "2026-Q3", a month "2026-07", else "2026-01-to-2026-05"."""
    first, last = month_index(period.first), month_index(period.last)
    year, month = divmod(first, 12)
    if first == last:
        return period.first
    if month == 0 and last == first + 11:
        return f"{year:04d}"
    if month % 3 == 0 and last == first + 2:
        return f"{year:04d}-Q{month // 3 + 1}"
    return f"{period.first}-to-{period.last}"


def csv_name(found: Report, f: Filters, locale: str) -> str:
    """The CSV's file name: the report, the period and the filters that apply, ASCII only, e.g.
    passerelle-unmet-needs-2026-Q3-district-emmental.csv."""
    parts = ["passerelle", found.id, period_slug(f.period)]
    for name in found.filters:
        value = getattr(f, name)
        if not value:
            continue
        shown_value = DISTRICTS[value].name(locale) if name == "district" else value
        parts += [slug(name), slug(shown_value)]
    return "-".join(p for p in parts if p) + ".csv"


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
