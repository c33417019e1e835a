"""Reading the aggregate tables (and the public directory). Every value is a bound parameter;
only column names from the fixed lists in models.py (the tallies' dimensions) are placed into
statements."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from backend.db.rows import table_of
from backend.directory.models import (
    DirectoryOrganization,
    DirectoryService,
    DirectoryServiceArea,
    DirectoryServiceTag,
)
from backend.geo.reference import MUNICIPALITIES
from backend.reports.models import (
    ALL,
    OUTCOME_DIMENSIONS,
    OUTCOME_TYPE_DIMENSIONS,
    REFERRAL_DIMENSIONS,
    SCREENING_DIMENSIONS,
    WAIT_DIMENSIONS,
    WELLBEING_DIMENSIONS,
    OutcomeTally,
    OutcomeTypeTally,
    ReferralTally,
    ReferralWait,
    ScreeningPlace,
    ScreeningTally,
    WellbeingTally,
)
from backend.reports.periods import Period


@dataclass(frozen=True)
class Filters:
    period: Period
    district: str = ""
    life_phase: str = ""
    source: str = ""
    need: str = ""
    language: str = ""
    offer_type: str = ""

    def shifted(self) -> Filters:
        return replace(self, period=self.period.previous())


S = table_of(ScreeningTally)
P = table_of(ScreeningPlace)
R = table_of(ReferralTally)
W = table_of(ReferralWait)
OT = table_of(OutcomeTally)
OTT = table_of(OutcomeTypeTally)
B = table_of(WellbeingTally)


def screenings(
    session: Session, f: Filters, by: tuple[str, ...], needs: bool = False, unmet: bool = False
) -> dict[tuple[Any, ...], int]:
    """Sums of completed screenings (needs=False) or of flagged needs (or those of them without
    an offer: unmet), grouped by `by`."""
    assert set(by) <= set(SCREENING_DIMENSIONS)
    where = [S.c.month >= f.period.first, S.c.month <= f.period.last]
    where.append(S.c.need_domain != ALL if needs else S.c.need_domain == ALL)
    for name in ("district", "life_phase", "source"):
        if getattr(f, name):
            where.append(S.c[name] == getattr(f, name))
    columns = [S.c[name] for name in by]
    counted = S.c.unmet_count if unmet else S.c.count
    query = select(*columns, func.sum(counted)).where(and_(*where)).group_by(*columns)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(query)}


def screenings_by_place(session: Session, f: Filters) -> dict[tuple[Any, ...], int]:
    """(district, municipality) → completed screenings."""
    where = [P.c.month >= f.period.first, P.c.month <= f.period.last]
    for name in ("district", "life_phase", "source"):
        if getattr(f, name):
            where.append(P.c[name] == getattr(f, name))
    columns = [P.c.district, P.c.municipality]
    query = select(*columns, func.sum(P.c.count)).where(and_(*where)).group_by(*columns)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(query)}


def referrals(session: Session, f: Filters, by: tuple[str, ...]) -> dict[tuple[Any, ...], int]:
    assert set(by) <= set(REFERRAL_DIMENSIONS)
    where = [R.c.month >= f.period.first, R.c.month <= f.period.last]
    if f.district:
        where.append(R.c.district == f.district)
    columns = [R.c[name] for name in by]
    query = select(*columns, func.sum(R.c.count)).where(and_(*where)).group_by(*columns)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(query)}


def waits(session: Session, f: Filters, by: str) -> dict[tuple[str, str], dict[int, int]]:
    """(group, stage) → {days: count}."""
    assert by in WAIT_DIMENSIONS
    where = [W.c.month >= f.period.first, W.c.month <= f.period.last]
    if f.district:
        where.append(W.c.district == f.district)
    query = (
        select(W.c[by], W.c.stage, W.c.days, func.sum(W.c.count))
        .where(and_(*where))
        .group_by(W.c[by], W.c.stage, W.c.days)
    )
    histograms: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for group, stage, days, count in session.execute(query):
        histograms[(group, stage)][int(days)] = int(count)
    return histograms


def outcomes(session: Session, f: Filters, by: tuple[str, ...]) -> dict[tuple[Any, ...], int]:
    """Referred needs at their follow-up (and skipped ones), grouped by `by`; with an offer
    type, only the followed-up needs referred to it."""
    table = OTT if f.offer_type else OT
    assert set(by) <= set(OUTCOME_TYPE_DIMENSIONS if f.offer_type else OUTCOME_DIMENSIONS)
    where = [table.c.month >= f.period.first, table.c.month <= f.period.last]
    for name, column in (
        ("district", "district"),
        ("life_phase", "life_phase"),
        ("offer_type", "service_type"),
    ):
        if getattr(f, name):
            where.append(table.c[column] == getattr(f, name))
    columns = [table.c[name] for name in by]
    query = select(*columns, func.sum(table.c.count)).where(and_(*where)).group_by(*columns)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(query)}


def wellbeing(session: Session, f: Filters, by: tuple[str, ...]) -> dict[tuple[Any, ...], int]:
    """Paired wellbeing changes (bins), grouped by `by`."""
    assert set(by) <= set(WELLBEING_DIMENSIONS)
    where = [B.c.month >= f.period.first, B.c.month <= f.period.last]
    for name in ("district", "life_phase"):
        if getattr(f, name):
            where.append(B.c[name] == getattr(f, name))
    columns = [B.c[name] for name in by]
    query = select(*columns, func.sum(B.c.count)).where(and_(*where)).group_by(*columns)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(query)}


def organisation_names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    query = select(col(DirectoryOrganization.id), col(DirectoryOrganization.name)).where(
        col(DirectoryOrganization.id).in_(sorted(ids))
    )
    return dict(session.execute(query).all())


def coverage(
    session: Session, need: str = "", language: str = "", offer_type: str = ""
) -> dict[str, dict[str, set[str]]]:
    """district → life phase → ids of the active offers that serve it (the whole canton, the
    district, or a municipality in it) for the need, in the language and of the type, if given."""
    services = select(col(DirectoryService.id)).where(col(DirectoryService.status) == "active")
    if offer_type:
        services = services.where(col(DirectoryService.service_type) == offer_type)
    for kind, value in (("need_domain", need), ("language", language)):
        if value:
            tagged = select(col(DirectoryServiceTag.service_id)).where(
                col(DirectoryServiceTag.kind) == kind, col(DirectoryServiceTag.value) == value
            )
            services = services.where(col(DirectoryService.id).in_(tagged))
    ids = set(session.execute(services).scalars())
    phases: dict[str, set[str]] = defaultdict(set)
    known = sorted(ids)
    for service_id, value in session.execute(
        select(col(DirectoryServiceTag.service_id), col(DirectoryServiceTag.value))
        .where(col(DirectoryServiceTag.kind) == "life_phase")
        .where(col(DirectoryServiceTag.service_id).in_(known))
    ):
        phases[service_id].add(value)
    districts: dict[str, set[str]] = defaultdict(set)
    everywhere: set[str] = set()
    for service_id, scope, code in session.execute(
        select(
            col(DirectoryServiceArea.service_id),
            col(DirectoryServiceArea.scope),
            col(DirectoryServiceArea.code),
        ).where(col(DirectoryServiceArea.service_id).in_(known))
    ):
        if scope == "canton":
            everywhere.add(service_id)
        elif scope == "district":
            districts[code].add(service_id)
        elif scope == "municipality" and code.isdigit() and int(code) in MUNICIPALITIES:
            districts[MUNICIPALITIES[int(code)].district].add(service_id)
    result: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for district_code in {m.district for m in MUNICIPALITIES.values()}:
        for service_id in districts[district_code] | everywhere:
            for phase in phases[service_id]:
                result[district_code][phase].add(service_id)
            result[district_code]["*"].add(service_id)
    return result
