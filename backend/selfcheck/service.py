"""The self-check's logic without HTTP: steps, answers from a form, results with offers nearby,
and the anonymous counts. Answers are never stored; see callback.py for the one exception."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from backend import events
from backend.db import deferred
from backend.db.rows import table_of
from backend.db.types import month_of
from backend.directory.models import DirectoryOrganization, DirectoryService
from backend.directory.search import Hit, SearchQuery, search
from backend.geo.reference import Municipality, find_municipality
from backend.i18n import N_
from backend.screening import form as answer_form
from backend.screening.answers import answer_problems
from backend.screening.instruments import all_instruments
from backend.screening.rules import enabled_answers, enabled_items, evaluate
from backend.selfcheck.events import SelfCheckFinished
from backend.selfcheck.models import ALL_RUNS, SelfCheckTally

INSTRUMENT_ID = "self-check"
INTRO = "intro"
PLACE = "place"
SEVERITY_RANK = {"urgent": 0, "needed": 1, "wish": 2}
OFFERS_PER_NEED = 3
MAX_PLACE = 80

# The age question of the last step, in the life phases of the prevention chain (vocab.LIFE_PHASES).
AGE_BANDS: dict[str, str] = {
    "children_youth": N_("Under 18"),
    "young_adults": N_("18 to 25"),
    "adults": N_("26 to 64"),
    "older": N_("65 to 79"),
    "very_old": N_("80 or older"),
}

# What a flagged need means, in plain words (A2–B1), for the result page.
PLAIN_NEEDS: dict[str, str] = {
    "housing": N_("Your home: there are problems with your flat or house, or you may lose it."),
    "finances": N_("Money: your money is not enough, or you have bills you cannot pay."),
    "food": N_("Food: you do not always have enough to eat."),
    "loneliness": N_("Company: you often feel alone."),
    "caring_relatives": N_("The person who helps you is very tired. They can get support too."),
    "everyday_activities": N_("Help at home: you need more help with everyday things."),
    "mobility": N_("Getting around: it is hard for you to get to the doctor or the shops."),
    "administration": N_("Letters and forms: someone can help you with them."),
    "safety": N_("Safety: someone hurts you or makes you afraid. You are not alone."),
    "language": N_("Language: someone can help you understand, for example at the doctor."),
    "digital": N_("Phone and internet: someone can show you how it works."),
    "work": N_("Work: you have worries about your job or about finding work."),
}
# Said in addition when a rule of the instrument fired (plain words again).
PLAIN_RULES: dict[str, str] = {
    "finances-benefits-unclaimed": N_(
        "You may be entitled to supplementary benefits (EL/PC). An advice service can check this "
        "with you for free."
    ),
}


def instrument() -> dict[str, Any]:
    return all_instruments()[INSTRUMENT_ID]


def question_ids(inst: dict[str, Any]) -> list[str]:
    return [item["linkId"] for item in inst["items"] if item["type"] != "display"]


def answers_from(inst: dict[str, Any], form: dict[str, list[str]]) -> dict[str, Any]:
    """The answers a form carries, keeping only those that fit and apply: a tampered or stale
    field is dropped quietly (nothing is stored, so there is nobody to tell)."""
    answers = enabled_answers(inst, answer_form.parse(inst, form))
    problems = answer_problems(inst, answers)
    return {k: v for k, v in answers.items() if k not in problems}


def steps(inst: dict[str, Any], answers: dict[str, Any]) -> list[str]:
    """intro, the questions that apply given the answers so far, and the place step."""
    enabled = set(enabled_items(inst, answers))
    return [INTRO, *[q for q in question_ids(inst) if q in enabled], PLACE]


def move(inst: dict[str, Any], answers: dict[str, Any], at: str, go: str) -> str:
    """The step after (go=next/skip) or before (go=back) `at`; any other go stays."""
    order = [INTRO, *question_ids(inst), PLACE]
    if at not in order:
        return INTRO
    shown = set(steps(inst, answers))
    position = order.index(at)
    if go in ("next", "skip"):
        return next((s for s in order[position + 1 :] if s in shown), PLACE)
    if go == "back":
        return next((s for s in reversed(order[:position]) if s in shown), INTRO)
    return at if at in shown else move(inst, answers, at, "next")


@dataclass
class Place:
    text: str = ""
    municipality: Municipality | None = None
    age_band: str = ""

    @property
    def district(self) -> str:
        return self.municipality.district if self.municipality else ""


def place_from(form: dict[str, list[str]]) -> Place:
    text = " ".join((form.get("place") or [""])[0].split())[:MAX_PLACE]
    band = (form.get("age_band") or [""])[0]
    return Place(text=text, municipality=find_municipality(text), age_band=band if band in AGE_BANDS else "")


@dataclass
class Offer:
    hit: Hit
    need_domain: str
    hours: str | None
    fees: str | None
    receives_referrals: bool  # its organisation is on Passerelle and can be asked to call back

    @property
    def tel(self) -> str | None:
        """The phone number as a tel: target (digits and a leading +)."""
        if not self.hit.phone:
            return None
        raw = self.hit.phone.strip()
        digits = "".join(c for c in raw if c.isdigit())
        return ("+" if raw.startswith("+") else "") + digits


@dataclass
class Result:
    needs: list[tuple[str, str]]  # (domain, severity), most severe first
    emergency: bool
    rules: list[str]
    offers: dict[str, list[Offer]] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        return [PLAIN_RULES[r] for r in self.rules if r in PLAIN_RULES]


def result_for(session: Session, answers: dict[str, Any], place: Place, language: str) -> Result:
    evaluation = evaluate(instrument(), answers)
    needs = sorted(evaluation["needs"].items(), key=lambda kv: (SEVERITY_RANK[kv[1]], kv[0]))
    result = Result(needs=needs, emergency=evaluation["emergency"], rules=evaluation["rules"])
    if place.municipality is None:
        return result
    for domain, _ in needs:
        hits = search(
            session,
            SearchQuery(
                need_domains=(domain,),
                municipality=place.municipality.bfs_number,
                language=language,
                life_phase=place.age_band or None,
                per_page=OFFERS_PER_NEED + 3,
            ),
        ).hits
        hits = [h for h in hits if not h.paused][:OFFERS_PER_NEED]
        result.offers[domain] = _offers(session, hits, domain, language)
    return result


def _offers(session: Session, hits: list[Hit], domain: str, language: str) -> list[Offer]:
    if not hits:
        return []
    rows = session.execute(
        sa_select(DirectoryService, col(DirectoryOrganization.organisation_id))
        .join(DirectoryOrganization, col(DirectoryOrganization.id) == DirectoryService.organization_id)
        .where(col(DirectoryService.id).in_([h.id for h in hits]))
    ).all()
    details = {service.id: (service, linked) for service, linked in rows}
    offers = []
    for hit in hits:
        service, linked = details[hit.id]
        fr = language == "fr"
        offers.append(
            Offer(
                hit=hit,
                need_domain=domain,
                hours=(service.hours_fr if fr else service.hours_de) or service.hours_de or service.hours_fr,
                fees=(service.fees_fr if fr else service.fees_de) or service.fees_de or service.fees_fr,
                receives_referrals=linked is not None,
            )
        )
    return offers


def count_run(session: Session, needs: list[str], place: Place, month: str | None = None) -> None:
    """Adds one finished self-check to the anonymous counts: one per flagged need and one for
    the run itself. Atomic upserts, so concurrent web processes never lose a count."""
    month = month or month_of()
    for domain in [ALL_RUNS, *needs]:
        # Summed in the session and written just before it commits (see backend/db/deferred.py).
        deferred.increment(
            session,
            table_of(SelfCheckTally),
            {"month": month, "district": place.district, "age_band": place.age_band, "need_domain": domain},
            {"count": 1},
        )


def finish(session: Session, result: Result, place: Place, language: str) -> None:
    """A result shown for the first time: the self-check's own counts, and the event
    SelfCheckFinished (the reports count it as a screening by source `self-check`)."""
    needs = [d for d, _ in result.needs]
    count_run(session, needs, place)
    # The result has just searched offers for each need (paused ones left out).
    unmet = {d for d in needs if not result.offers.get(d)} if place.municipality else None
    municipality = place.municipality.bfs_number if place.municipality else None
    finished = SelfCheckFinished(dict(result.needs), municipality, place.age_band, language, unmet)
    events.record(session, finished)
