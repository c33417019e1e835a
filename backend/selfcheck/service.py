"""The self-check's logic without HTTP: steps, answers from a form, results with offers nearby,
and the anonymous counts. Answers are never stored; see callback.py for the one exception."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from backend import events
from backend.db import deferred
from backend.db.rows import table_of
from backend.db.types import month_of
from backend.directory.models import DirectoryOrganization, DirectoryService
from backend.directory.records import web_address
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
# The result shows each need's best offers in full and the rest on demand ("more offers"), so
# that a phone's page stays a few screens long (issue 17, item 6).
OFFERS_SHOWN = 2
OFFERS_PER_NEED = 8
MAX_PLACE = 80
MAP_SEARCH = "https://www.openstreetmap.org/search?query="
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# The instrument's one age question (item "age"; codes may not hold "_") → the life phase of the
# prevention chain (vocab.LIFE_PHASES) that filters the offers and is counted. Asked once: the
# question about work follows only for the bands under 65 (the instrument's enableWhen).
AGE_ITEM = "age"
AGE_ANSWERS: dict[str, str] = {
    "under-18": "children_youth",
    "18-25": "young_adults",
    "26-64": "adults",
    "65-79": "older",
    "80-plus": "very_old",
}
AGE_BANDS = frozenset(AGE_ANSWERS.values())

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


def place_from(form: dict[str, list[str]], answers: dict[str, Any] | None = None) -> Place:
    """The place typed and the age band, from the answer to the age question (a form of a page
    from before that question, e.g. an offline copy, may still carry the band as `age_band`)."""
    text = " ".join((form.get("place") or [""])[0].split())[:MAX_PLACE]
    band = AGE_ANSWERS.get(str((answers or {}).get(AGE_ITEM)), "") or (form.get("age_band") or [""])[0]
    return Place(text=text, municipality=find_municipality(text), age_band=band if band in AGE_BANDS else "")


@dataclass
class Offer:
    """An offer on the result page, with the ways to reach it that the directory holds (nothing
    else: no contact is ever made up)."""

    hit: Hit
    need_domain: str  # the first (most severe) need it is listed for
    receives_referrals: bool  # its organisation is on Passerelle and can be asked to call back
    hours_de: str | None = None
    hours_fr: str | None = None
    fees_de: str | None = None
    fees_fr: str | None = None
    email: str | None = None
    website: str | None = None  # http(s) only: the offer's own page, else its organisation's
    address: list[str] = field(default_factory=list)  # location name, street, "postal code city"
    map_url: str | None = None
    shown_under: str | None = None  # set on a repeat: the need under which it is shown in full

    def text(self, name: str, locale: str) -> str | None:
        """hours or fees in the locale, else in the other language (lang_attr marks which)."""
        de: str | None = getattr(self, f"{name}_de")
        fr: str | None = getattr(self, f"{name}_fr")
        return (fr or de) if locale == "fr" else (de or fr)

    @property
    def website_label(self) -> str:
        host = urlsplit(self.website).hostname or "" if self.website else ""
        return host.removeprefix("www.")

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
    offers: dict[str, list[Offer]] = field(default_factory=dict)  # per need, best first

    @property
    def notes(self) -> list[str]:
        return [PLAIN_RULES[r] for r in self.rules if r in PLAIN_RULES]

    def shown(self, domain: str) -> list[Offer]:
        return self.offers.get(domain, [])[:OFFERS_SHOWN]

    def more(self, domain: str) -> list[Offer]:
        return self.offers.get(domain, [])[OFFERS_SHOWN:]

    @property
    def callback_offers(self) -> list[Offer]:
        """The offers that can be asked to call back, each once (an offer can serve several
        needs), under the first need that lists it."""
        seen: dict[str, Offer] = {}
        for offers in self.offers.values():
            for offer in offers:
                if offer.receives_referrals and offer.hit.id not in seen:
                    seen[offer.hit.id] = offer
        return list(seen.values())


def result_for(session: Session, answers: dict[str, Any], place: Place, language: str) -> Result:
    evaluation = evaluate(instrument(), answers)
    needs = sorted(evaluation["needs"].items(), key=lambda kv: (SEVERITY_RANK[kv[1]], kv[0]))
    result = Result(needs=needs, emergency=evaluation["emergency"], rules=evaluation["rules"])
    if place.municipality is None:
        return result
    hits_by_need: dict[str, list[Hit]] = {}
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
        hits_by_need[domain] = [h for h in hits if not h.paused][:OFFERS_PER_NEED]
    details = _details(session, {hit.id for hits in hits_by_need.values() for hit in hits})
    result.offers = {
        domain: [_offer(hit, domain, *details[hit.id]) for hit in hits]
        for domain, hits in hits_by_need.items()
    }
    _mark_repeats(result)
    return result


def _mark_repeats(result: Result) -> None:
    """An offer can serve several needs. Shown in full once (the first time it is among a need's
    best), it is listed again as a short line that points there; a callback to it is filed under
    the first need that lists it."""
    first_need: dict[str, str] = {}
    in_full: dict[str, str] = {}
    for domain, offers in result.offers.items():
        for index, offer in enumerate(offers):
            need = first_need.setdefault(offer.hit.id, domain)
            offers[index] = replace(offer, need_domain=need, shown_under=in_full.get(offer.hit.id))
            if index < OFFERS_SHOWN:
                in_full.setdefault(offer.hit.id, domain)


def _details(session: Session, ids: set[str]) -> dict[str, tuple[DirectoryService, DirectoryOrganization]]:
    """The offers of all needs with their organisations, in one query (an offer can serve several
    needs)."""
    if not ids:
        return {}
    rows = session.execute(
        sa_select(DirectoryService, DirectoryOrganization)
        .join(DirectoryOrganization, col(DirectoryOrganization.id) == DirectoryService.organization_id)
        .where(col(DirectoryService.id).in_(ids))
    ).all()
    return {service.id: (service, organization) for service, organization in rows}


def _offer(hit: Hit, domain: str, service: DirectoryService, organization: DirectoryOrganization) -> Offer:
    website = next(
        (u.strip() for u in (service.url, organization.website) if u and web_address(u.strip())), None
    )
    email = next(
        (e.strip() for e in (service.email, organization.email) if e and EMAIL.fullmatch(e.strip())), None
    )
    town = " ".join(part for part in (service.postal_code, service.city) if part)
    address = [part for part in (service.location_name, service.street, town) if part]
    where = ", ".join(part for part in (service.street, town) if part)
    return Offer(
        hit=hit,
        need_domain=domain,
        receives_referrals=organization.organisation_id is not None,
        hours_de=service.hours_de,
        hours_fr=service.hours_fr,
        fees_de=service.fees_de,
        fees_fr=service.fees_fr,
        email=email,
        website=website,
        address=address,
        map_url=MAP_SEARCH + quote(where) if service.city else None,
    )


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
