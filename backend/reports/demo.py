"""A year of synthetic aggregate data across all districts for `demo seed`, marked `demo`, so
that the reports show something on a fresh machine. Invented numbers from a fixed seed; they
tell the planning journey of PRODUCT.md (loneliness leads among people over 80 in
Oberaargau, where first contact takes about six days)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from backend.db.engine import session_scope
from backend.db.rows import insert_rows
from backend.db.types import month_of
from backend.directory.models import DirectoryService
from backend.geo.reference import DISTRICTS, MUNICIPALITIES
from backend.reports.models import (
    ALL,
    SKIPPED,
    OutcomeTally,
    OutcomeTypeTally,
    ReferralTally,
    ReferralWait,
    ScreeningPlace,
    ScreeningTally,
    WellbeingTally,
)
from backend.reports.periods import month_index, month_name
from backend.reports.tally import change_bin, day_bucket
from backend.vocab import NEED_DOMAINS, SEVERITIES

MONTHS = 12
PLACES_PER_DISTRICT = 4
# How often a need is flagged per screening, by life phase (invented, plausible orders).
BASE_RATE = {
    "housing": 0.08, "finances": 0.15, "food": 0.03, "loneliness": 0.18, "caring_relatives": 0.10,
    "everyday_activities": 0.15, "mobility": 0.10, "administration": 0.14, "safety": 0.02,
    "language": 0.04, "digital": 0.06, "work": 0.05,
}  # fmt: skip
OLDER = {
    "loneliness": 2.2,
    "everyday_activities": 1.8,
    "mobility": 1.6,
    "caring_relatives": 1.2,
    "work": 0.05,
}
SCREENINGS_PER_PHASE = {
    "early_childhood": 1, "children_youth": 1, "young_adults": 2, "adults": 5, "older": 9, "very_old": 12,
}  # fmt: skip


def months_before(now: datetime) -> list[str]:
    """The 12 months before the current one: the current month stays free for real counts."""
    current = month_index(month_of(now))
    return [month_name(current - back) for back in range(MONTHS, 0, -1)]


def _places(rng: random.Random) -> dict[str, list[tuple[int, str]]]:
    by_district: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for m in sorted(MUNICIPALITIES.values(), key=lambda m: m.bfs_number):
        by_district[m.district].append((m.bfs_number, m.language))
    return {d: rng.sample(places, min(PLACES_PER_DISTRICT, len(places))) for d, places in by_district.items()}


def _rate(need: str, phase: str, district: str) -> float:
    rate = BASE_RATE[need]
    if phase in ("older", "very_old"):
        rate *= OLDER.get(need, 1.0)
    if phase == "very_old" and district == "OA" and need == "loneliness":
        rate *= 1.4
    return min(rate, 0.9)


Rows = list[dict[str, Any]]


def screening_rows(rng: random.Random, months: list[str]) -> tuple[Rows, Rows]:
    """(tally rows, place rows)."""
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    places: dict[tuple[Any, ...], int] = defaultdict(int)
    unmet: dict[tuple[Any, ...], int] = defaultdict(int)
    for month in months:
        for district, chosen in _places(rng).items():
            for bfs, place_language in chosen:
                language = place_language if place_language in ("de", "fr") else rng.choice(["de", "fr"])
                for phase, typical in SCREENINGS_PER_PHASE.items():
                    for source, share in (("nurse", 1.0), ("self-check", 0.4)):
                        n = max(0, round(rng.gauss(typical * share, typical * share / 3)))
                        if n == 0:
                            continue
                        places[(month, source, district, bfs, phase, language)] += n
                        key = (month, source, district, phase, language)
                        counts[(*key, ALL, "")] += n
                        for need in NEED_DOMAINS:
                            flagged = sum(rng.random() < _rate(need, phase, district) for _ in range(n))
                            for _ in range(flagged):
                                severity = rng.choices(list(SEVERITIES), weights=[1, 5, 3])[0]
                                gap = 0.5 if language == "fr" and need == "caring_relatives" else 0.08
                                counts[(*key, need, severity)] += 1
                                unmet[(*key, need, severity)] += rng.random() < gap
    names = ("month", "source", "district", "life_phase", "language", "need_domain", "severity")
    place_names = ("month", "source", "district", "municipality", "life_phase", "language")
    return (
        [
            {**dict(zip(names, k, strict=True)), "demo": True, "count": n, "unmet_count": unmet[k]}
            for k, n in counts.items()
        ],
        [{**dict(zip(place_names, k, strict=True)), "demo": True, "count": n} for k, n in places.items()],
    )


def referral_rows(rng: random.Random, months: list[str], offers: list[tuple[str, str]]) -> tuple[Rows, Rows]:
    tallies: dict[tuple[Any, ...], int] = defaultdict(int)
    waits: dict[tuple[Any, ...], int] = defaultdict(int)
    for month in months:
        for district in DISTRICTS:
            for organization_id, service_type in rng.sample(offers, min(6, len(offers))):
                sent = rng.randint(2, 14)
                need = rng.choice(list(NEED_DOMAINS))
                key = (month, district, organization_id, service_type, need)
                received = sum(rng.random() < 0.95 for _ in range(sent))
                rejected = sum(rng.random() < 0.18 for _ in range(received))
                accepted = received - rejected
                completed = sum(rng.random() < 0.8 for _ in range(accepted))
                failed = sum(rng.random() < 0.3 for _ in range(accepted - completed))
                for stage, n in (("requested", sent), ("received", received), ("accepted", accepted)):
                    tallies[(*key, stage, "")] += n
                for _ in range(rejected):
                    reason = rng.choices(
                        ["no_capacity", "outside_area", "not_our_offer", "other"], [5, 3, 2, 1]
                    )[0]
                    tallies[(*key, "rejected", reason)] += 1
                for _ in range(completed):
                    outcome = rng.choices(
                        ["help_started", "advice_given", "client_declined", "referred_elsewhere"],
                        [6, 3, 1, 1],
                    )[0]
                    tallies[(*key, "completed", outcome)] += 1
                if failed:
                    tallies[(*key, "failed", "not_reachable")] += failed
                late = sum(rng.random() < (0.25 if district == "OA" else 0.1) for _ in range(sent))
                if late:
                    tallies[(*key, "late", "first_contact")] += late
                contact_median = 6 if district == "OA" else rng.choice([3, 4, 5])
                wait_key = (month, district, organization_id, service_type)
                for _ in range(received):
                    waits[(*wait_key, "received", min(7, int(rng.expovariate(0.8))))] += 1
                for _ in range(accepted):
                    waits[(*wait_key, "first_contact", max(0, round(rng.gauss(contact_median, 2))))] += 1
                for _ in range(completed):
                    waits[(*wait_key, "completed", day_bucket(max(1, round(rng.gauss(35, 15)))))] += 1
    tally_names = ("month", "district", "organization_id", "service_type", "need_domain", "stage", "detail")
    wait_names = ("month", "district", "organization_id", "service_type", "stage", "days")
    return (
        [{**dict(zip(tally_names, k, strict=True)), "demo": True, "count": n} for k, n in tallies.items()],
        [{**dict(zip(wait_names, k, strict=True)), "demo": True, "count": n} for k, n in waits.items()],
    )


# Follow-ups (issue 19): the needs asked about again, the offer type they went to, and how often
# they got better; the journey's figure: about 6 of 10 lonely people over 80 in Oberaargau.
FOLLOWED_NEEDS = {
    "loneliness": "visiting",
    "everyday_activities": "practical_help",
    "finances": "advice",
    "caring_relatives": "carer_relief",
    "administration": "advice",
    "mobility": "practical_help",
}
FOLLOW_UPS_PER_PHASE = {"adults": 2, "older": 4, "very_old": 6}
# Mean paired change per score (follow-up minus screening), spread ±1.5.
MEAN_CHANGE = {
    "ons4-life-satisfaction": 0.8,
    "ons4-worthwhile": 0.5,
    "ons4-happy": 0.7,
    "ons4-anxious": -0.6,
    "ucla3": -1.0,
}


def outcome_rows(rng: random.Random, months: list[str]) -> tuple[Rows, Rows, Rows]:
    """(need outcome rows, the same by offer type, wellbeing rows)."""
    outcomes: dict[tuple[Any, ...], int] = defaultdict(int)
    by_type: dict[tuple[Any, ...], int] = defaultdict(int)
    pairs: dict[tuple[Any, ...], int] = defaultdict(int)
    for month in months:
        for district in DISTRICTS:
            for phase, typical in FOLLOW_UPS_PER_PHASE.items():
                for need, offer_type in FOLLOWED_NEEDS.items():
                    n = max(0, round(rng.gauss(typical, typical / 3)))
                    better = 0.6 if (need, phase, district) == ("loneliness", "very_old", "OA") else 0.45
                    for _ in range(n):
                        if rng.random() < 0.15:
                            outcomes[(month, district, phase, need, SKIPPED)] += 1
                            continue
                        change = rng.choices(
                            ["better", "same", "worse", "cannot-say", ""],
                            [better, 0.85 - better, 0.07, 0.07, 0.01],
                        )[0]
                        outcomes[(month, district, phase, need, change)] += 1
                        by_type[(month, district, phase, need, offer_type, change)] += 1
                for score, mean in MEAN_CHANGE.items():
                    for _ in range(round(typical * 4 * 0.7)):  # ~4 needs per phase, 70 % agree
                        pairs[(month, district, phase, score, change_bin(round(rng.gauss(mean, 1.5))))] += 1
    outcome_names = ("month", "district", "life_phase", "need_domain", "change")
    type_names = ("month", "district", "life_phase", "need_domain", "service_type", "change")
    pair_names = ("month", "district", "life_phase", "score", "change")
    return (
        [{**dict(zip(outcome_names, k, strict=True)), "demo": True, "count": n} for k, n in outcomes.items()],
        [{**dict(zip(type_names, k, strict=True)), "demo": True, "count": n} for k, n in by_type.items()],
        [{**dict(zip(pair_names, k, strict=True)), "demo": True, "count": n} for k, n in pairs.items()],
    )


def _offers(session: Session) -> list[tuple[str, str]]:
    query = (
        select(col(DirectoryService.organization_id), col(DirectoryService.service_type))
        .where(col(DirectoryService.status) == "active")
        .distinct()
        .order_by(DirectoryService.organization_id, DirectoryService.service_type)
    )
    return [(o, t) for o, t in session.execute(query)]


def seed_reports(engine: Engine, now: datetime) -> bool:
    """Adds the demo year unless it is there already. Returns whether it added it."""
    with session_scope(engine) as session:
        demo_year = select(col(ScreeningTally.id)).where(col(ScreeningTally.demo).is_(True)).limit(1)
        if session.execute(demo_year).first():
            return False
        rng = random.Random(8)  # the same invented year on every machine
        months = months_before(now)
        tallies, places = screening_rows(rng, months)
        insert_rows(session, ScreeningTally, *tallies)
        insert_rows(session, ScreeningPlace, *places)
        offers = _offers(session)
        if offers:
            tallies, waits = referral_rows(rng, months, offers)
            insert_rows(session, ReferralTally, *tallies)
            insert_rows(session, ReferralWait, *waits)
        outcomes, by_type, pairs = outcome_rows(random.Random(19), months)
        insert_rows(session, OutcomeTally, *outcomes)
        insert_rows(session, OutcomeTypeTally, *by_type)
        insert_rows(session, WellbeingTally, *pairs)
    return True
