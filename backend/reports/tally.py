"""Adds to the aggregate tables, in the producer's transaction, where a screening completes and
a referral changes stage: handlers of the domain events (see SUBSCRIPTIONS, wired at start-up by
backend/capabilities.py). Nothing here reads a person."""

from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlmodel import Session, col

from backend.db import deferred
from backend.db.rows import table_of
from backend.db.types import month_of, utcnow
from backend.directory.models import DirectoryService
from backend.directory.search import SearchQuery, search
from backend.followup.events import FollowUpRecorded, FollowUpSkipped
from backend.geo.reference import MUNICIPALITIES
from backend.referrals.events import ContactLogged, ReferralSent, ReferralStatusChanged
from backend.referrals.models import Referral, ReferralEvent
from backend.reports.models import (
    ALL,
    SHARDS,
    SKIPPED,
    WELLBEING_BINS,
    OutcomeTally,
    OutcomeTypeTally,
    ReferralTally,
    ReferralWait,
    ScreeningPlace,
    ScreeningTally,
    WellbeingTally,
)
from backend.screening.events import ScreeningCompleted
from backend.selfcheck.events import SelfCheckFinished
from backend.vocab import life_phase_for_age

MAX_DAYS = 365


def add(session: Session, table: Table, keys: dict[str, Any], **more: int) -> None:
    """count += 1 (and each of `more`'s counters by its value) for the row with these keys,
    created if missing: summed in the session and written just before it commits (see
    backend/db/deferred.py: a counter row must not stay locked while the rest of the
    transaction works)."""
    if "shard" in table.c:
        keys = {**keys, "shard": _shard(session)}
    deferred.increment(session, table, keys, {"count": 1, **more})


def _shard(session: Session) -> int:
    """One shard per session: its rows are then written in one order, like everyone's."""
    shard = session.info.get("tally.shard")
    if shard is None:
        shard = session.info["tally.shard"] = random.randrange(SHARDS)
    return shard


def life_phase_of(birth_year: int | None, today: datetime) -> str:
    if birth_year is None or not 0 <= today.year - birth_year <= 120:
        return ""
    return life_phase_for_age(today.year - birth_year)


# Whether an offer serves (need, municipality, language, life phase), remembered for a minute:
# a nurse's visits of a day, synced together, ask the same few questions, and the directory
# changes far more rarely than that (one full-text search per flagged need was a fifth of the
# cost of ingesting an offline visit).
COVERAGE_SECONDS = 60.0
_coverage: dict[tuple[str, int, str, str], tuple[float, bool]] = {}


def offer_exists(session: Session, need: str, municipality: int, language: str, life_phase: str) -> bool:
    key = (need, municipality, language, life_phase)
    now = time.monotonic()
    known = _coverage.get(key)
    if known is not None and known[0] > now:
        return known[1]
    if len(_coverage) > 4096:
        _coverage.clear()
    found = _search_offer(session, need, municipality, language, life_phase)
    _coverage[key] = (now + COVERAGE_SECONDS, found)
    return found


def _search_offer(session: Session, need: str, municipality: int, language: str, life_phase: str) -> bool:
    query = SearchQuery(
        need_domains=(need,),
        municipality=municipality,
        language=language or None,
        life_phase=life_phase or None,
        per_page=1,
    )
    return search(session, query).total > 0


def screening_completed(
    session: Session,
    source: str,
    needs: dict[str, str],
    municipality: int | None,
    life_phase: str,
    language: str,
    unmet: set[str] | None = None,
) -> None:
    """One completed screening (`nurse` or `self-check`) and each flagged need with its severity.
    A need counts as unmet when no active offer serves the municipality in the person's language
    and life phase at this moment (unknown when the municipality is not known).

    `unmet`, when given, are the needs already known to have no offer (the self-check's result
    has just searched for them): a need is unmet iff it is in the set, and the directory is not
    searched again. Those results leave out paused offers, so a need served only by paused
    offers counts as unmet there, while the search here would count it as served."""
    place = MUNICIPALITIES.get(municipality or 0)
    common = {
        "month": month_of(),
        "source": source,
        "district": place.district if place else "",
        "life_phase": life_phase,
        "language": language,
        "demo": False,
    }
    add(session, table_of(ScreeningPlace), {**common, "municipality": place.bfs_number if place else 0})
    table = table_of(ScreeningTally)
    add(session, table, {**common, "need_domain": ALL, "severity": ""})
    for need, severity in needs.items():
        if place is None:
            without = False
        elif unmet is not None:
            without = need in unmet
        else:
            without = not offer_exists(session, need, place.bfs_number, language, life_phase)
        add(session, table, {**common, "need_domain": need, "severity": severity}, unmet_count=int(without))


def _requested_at(session: Session, referral: Referral) -> datetime:
    """When it was sent (a proposal is sent later than it was made)."""
    sent = session.execute(
        select(func.min(ReferralEvent.at)).where(
            col(ReferralEvent.referral_id) == referral.id, col(ReferralEvent.to_status) == "requested"
        )
    ).scalar()
    if sent is not None and sent.tzinfo is None:  # SQLite hands aggregates back naive
        sent = sent.replace(tzinfo=utcnow().tzinfo)
    return sent or referral.created_at


def _dimensions(session: Session, referral: Referral, now: datetime) -> dict[str, Any]:
    service = session.get(DirectoryService, referral.service_id)
    return {
        "month": month_of(now),
        "district": referral.district or "",
        "organization_id": referral.directory_organization_id,
        "service_type": service.service_type if service else "",
        "demo": False,
    }


def day_bucket(days: int) -> int:
    """Whole days, exact for the first two weeks, then rounded up to whole weeks (to 8 weeks)
    and to 30 days (to a year): the histograms stay small enough for a canton's year and the
    waits that matter most (receipt, first contact) stay exact."""
    days = max(0, min(MAX_DAYS, days))
    if days <= 14:
        return days
    if days <= 56:
        return -(-days // 7) * 7
    return min(MAX_DAYS, -(-days // 30) * 30)


def _wait(session: Session, referral: Referral, stage: str, dims: dict[str, Any], now: datetime) -> None:
    days = day_bucket((now - _requested_at(session, referral)).days)
    add(session, table_of(ReferralWait), {**dims, "stage": stage, "days": days})


def referral_stage(
    session: Session, referral: Referral, stage: str, now: datetime, due_at: datetime | None = None
) -> None:
    """The referral reaches `stage` (a status). `due_at` is its deadline before the change: a
    referral received after it also counts as `late`."""
    dims = _dimensions(session, referral, now)
    detail = ""
    if stage in ("completed", "failed"):
        detail = referral.outcome or ""
    elif stage == "rejected":
        detail = referral.reject_reason or ""
    table, need = table_of(ReferralTally), referral.need_domain
    add(session, table, {**dims, "need_domain": need, "stage": stage, "detail": detail})
    if stage == "received" and due_at is not None and now > due_at:
        add(session, table, {**dims, "need_domain": need, "stage": "late", "detail": "receipt"})
    if stage in ("received", "completed"):
        _wait(session, referral, stage, dims, now)


def first_contact(session: Session, referral: Referral, now: datetime, due_at: datetime | None) -> None:
    """The first contact attempt; late when an accepted referral's deadline (`due_at`, the one
    before this contact) has passed."""
    dims = _dimensions(session, referral, now)
    _wait(session, referral, "first_contact", dims, now)
    if referral.status == "accepted" and due_at is not None and now > due_at:
        add(
            session,
            table_of(ReferralTally),
            {**dims, "need_domain": referral.need_domain, "stage": "late", "detail": "first_contact"},
        )


def change_bin(change: int) -> int:
    """A paired change in WELLBEING_BINS: exact from -2 to +2, beyond that "3 or more"."""
    return max(WELLBEING_BINS[0], min(WELLBEING_BINS[-1], change))


def follow_up_recorded(session: Session, event: FollowUpRecorded) -> None:
    """Each referred need by its answer, and each wellbeing score with a pair by its change."""
    common = {"month": month_of(event.at), "district": event.district, "life_phase": event.life_phase}
    outcomes, by_type = table_of(OutcomeTally), table_of(OutcomeTypeTally)
    for need in event.needs:
        keys = {**common, "need_domain": need.need_domain, "change": need.change or "", "demo": False}
        add(session, outcomes, keys)
        add(session, by_type, {**keys, "service_type": need.offer_types[0] if need.offer_types else ""})
    wellbeing = table_of(WellbeingTally)
    for score, change in sorted(event.wellbeing_change.items()):
        if change is not None:  # declined or missing on either side: no pair
            add(session, wellbeing, {**common, "score": score, "change": change_bin(change), "demo": False})


def follow_up_skipped(session: Session, event: FollowUpSkipped) -> None:
    """The skipped follow-up's needs: the other part of the follow-up rate's base."""
    common = {"month": month_of(event.at), "district": event.district, "life_phase": event.life_phase}
    for need in dict.fromkeys(event.needs):
        keys = {**common, "need_domain": need, "change": SKIPPED, "demo": False}
        add(session, table_of(OutcomeTally), keys)


# The domain events this module counts (subscribed by backend/capabilities.py: wire()).


def on_screening_completed(session: Session, event: ScreeningCompleted) -> None:
    screening, client = event.screening, event.client
    assert screening.completed_at is not None
    screening_completed(
        session,
        "nurse",
        screening.needs,
        client.municipality if client else None,
        life_phase_of(client.birth_year if client else None, screening.completed_at),
        client.language if client else "",
    )


def on_self_check_finished(session: Session, event: SelfCheckFinished) -> None:
    screening_completed(
        session, "self-check", event.needs, event.municipality, event.age_band, event.language, event.unmet
    )


def on_referral_sent(session: Session, event: ReferralSent) -> None:
    referral_stage(session, event.referral, event.referral.status, utcnow())


def on_status_changed(session: Session, event: ReferralStatusChanged) -> None:
    referral_stage(session, event.referral, event.status, event.at, due_at=event.due_before)


def on_contact_logged(session: Session, event: ContactLogged) -> None:
    if event.first:
        first_contact(session, event.referral, event.at, due_at=event.due_before)


SUBSCRIPTIONS: list[tuple[type, Any]] = [
    (ScreeningCompleted, on_screening_completed),
    (SelfCheckFinished, on_self_check_finished),
    (ReferralSent, on_referral_sent),
    (ReferralStatusChanged, on_status_changed),
    (ContactLogged, on_contact_logged),
    (FollowUpRecorded, follow_up_recorded),
    (FollowUpSkipped, follow_up_skipped),
]
