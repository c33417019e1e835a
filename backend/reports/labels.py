"""Report cells as people read them, in their language: codes become names, counts get
Swiss number formatting, hidden cells keep their marks."""

from __future__ import annotations

from typing import Any

from backend.geo.reference import DISTRICTS, MUNICIPALITIES
from backend.i18n import N_, format_number, translate
from backend.reports.builders import DETAILS, OUTCOME_STAGES, SOURCES
from backend.reports.outcomes import SCORES, bin_label
from backend.reports.suppression import is_hidden
from backend.reports.tables import TOTAL, Column
from backend.vocab import LIFE_PHASES, NEED_DOMAINS, SERVICE_TYPES, SPOKEN_LANGUAGES

TOTAL_LABEL = N_("Total")
UNKNOWN = N_("Not known")
CODES: dict[str, dict[str, str]] = {
    "life_phase": {k: v[0] for k, v in LIFE_PHASES.items()},
    "need_domain": NEED_DOMAINS,
    "service_type": SERVICE_TYPES,
    "source": SOURCES,
    "stage": {**OUTCOME_STAGES, "late": N_("Late")},
    "detail": DETAILS,
    "score": SCORES,
}


def key_text(kind: str, value: Any, locale: str) -> str:
    if value == TOTAL:
        return translate(locale, TOTAL_LABEL)
    if value in ("", None, 0):
        return translate(locale, UNKNOWN)
    if kind == "district":
        return DISTRICTS[value].name(locale) if value in DISTRICTS else str(value)
    if kind == "municipality":
        place = MUNICIPALITIES.get(int(value))
        return place.name if place else str(value)
    if kind == "language":
        return SPOKEN_LANGUAGES.get(value, str(value))
    if kind in CODES:
        label = CODES[kind].get(value)
        return translate(locale, label) if label else str(value)
    return str(value)  # month, organisation names


def heading(column: Column, locale: str) -> str:
    if column.label in DISTRICTS:  # the columns of a grid by district
        return DISTRICTS[column.label].name(locale)
    return translate(locale, column.label)  # whole msgids: no heading is glued from pieces


def cell_text(column: Column, value: Any, locale: str) -> str:
    if column.is_key:
        return key_text(column.kind, value, locale)
    if column.kind == "change_median" and isinstance(value, int):
        return translate(locale, bin_label(value))
    if is_hidden(value) or isinstance(value, str):
        return str(value)
    return format_number(value, locale)
