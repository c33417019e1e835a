"""The offline screening and the list of records waiting to be sent.

Both pages are public and hold no personal data: the instrument, the municipalities, the
vocabulary and empty forms. The service worker precaches them per language; what a nurse
enters lives only in the encrypted IndexedDB outbox of her device (frontend/static/js/outbox.js)
until POST /api/v1/sync confirms it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.accounts.access import public
from backend.followup import due as follow_up_due
from backend.followup import service as follow_ups
from backend.geo.reference import MUNICIPALITIES
from backend.i18n import LANGUAGES, N_, translate
from backend.referrals.consent import DEFAULT_SCOPE, GIVEN_BY, METHODS, SCOPE_ITEMS
from backend.screening.instruments import all_instruments, rules_for_browser, translated
from backend.screening.service import NURSE_INSTRUMENT
from backend.vocab import NEED_DOMAINS, SEVERITIES, SPOKEN_LANGUAGES
from backend.web import render

# Public, versioned by the service worker's cache name; a day in the HTTP cache is harmless.
ONE_DAY = {"Cache-Control": "public, max-age=86400"}

# The nurse instrument's questions by need domain (issue 17, item 7): one heading per group, so
# the nurse sees where she is and can jump. A question missing here joins the group before it.
QUESTION_GROUPS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("housing",), ("housing-situation", "housing-problems")),
    (("everyday_activities", "mobility"), ("everyday-help", "mobility")),
    (("finances", "food"), ("money-problems", "benefits", "food")),
    (("loneliness",), ("ucla-intro", "ucla-companionship", "ucla-left-out", "ucla-isolated")),
    (("caring_relatives",), ("carer",)),
    (("administration", "language", "digital"), ("admin", "language", "digital")),
    (("safety",), ("safety-hurt", "safety-danger-now")),
    (("work",), ("age", "work")),
)
# A repeated follow-up question names its need, as on the online form (followup/pages.py).
NEED_QUESTION = N_("%(need)s: %(question)s")

# The question the year of birth answers: the page derives it and does not ask it (item 7).
AGE_ITEM = "age"


Items = list[dict[str, Any]]


def question_groups(instrument: dict[str, Any], language: str) -> tuple[Items, Items]:
    """(items before the first group — the introduction —, groups with id, heading and items) in
    the instrument's order; every item appears exactly once."""
    where = {link_id: index for index, (_, link_ids) in enumerate(QUESTION_GROUPS) for link_id in link_ids}
    groups: list[dict[str, Any]] = [
        {
            "id": "g-" + "-".join(domains),
            "heading": " · ".join(translate(language, NEED_DOMAINS[d]) for d in domains),
            "items": [],
        }
        for domains, _ in QUESTION_GROUPS
    ]
    intro: list[dict[str, Any]] = []
    current: int | None = None
    for item in instrument["items"]:
        current = where.get(item["linkId"], current)
        (intro if current is None else groups[current]["items"]).append(item)
    return intro, [group for group in groups if group["items"]]


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise NotFoundException()
    return language


def page_context(language: str) -> dict:
    instrument = translated(all_instruments()[NURSE_INSTRUMENT], language)
    municipalities = sorted(MUNICIPALITIES.values(), key=lambda m: m.name)
    intro, groups = question_groups(instrument, language)
    return {
        "user": None,
        "csrf_token": "",
        "demo": False,
        "offline": True,
        "instrument": instrument,
        "shown": {item["linkId"] for item in instrument["items"]},
        "intro_items": intro,
        "question_groups": groups,
        "answers": {},
        "problems": {},
        "municipalities": municipalities,
        "spoken_languages": SPOKEN_LANGUAGES,
        "given_by": GIVEN_BY,
        "methods": METHODS,
        "scope_items": SCOPE_ITEMS,
        "default_scope": DEFAULT_SCOPE,
        # What the page's script needs to match offers without a server (all public).
        "visit_data": {
            "instrument": rules_for_browser(instrument),
            "districts": {str(m.bfs_number): m.district for m in municipalities},
            "needs": {code: translate(language, label) for code, label in NEED_DOMAINS.items()},
            "severities": {code: translate(language, label) for code, label in SEVERITIES.items()},
            "age_item": AGE_ITEM if any(item["linkId"] == AGE_ITEM for item in instrument["items"]) else None,
        },
    }


@get("/offline/{language:str}/visit", name="offline.visit", opt=public(), include_in_schema=False)
async def offline_visit(request: Request, language: FromPath[str]) -> Template:
    language = _language(language)
    return render(request, "offline/visit.html", page_context(language), locale=language, headers=ONE_DAY)


@get("/offline/{language:str}/outbox", name="offline.outbox", opt=public(), include_in_schema=False)
async def offline_outbox(request: Request, language: FromPath[str]) -> Template:
    language = _language(language)
    context = {"user": None, "csrf_token": "", "demo": False, "offline": True}
    return render(request, "offline/outbox.html", context, locale=language, headers=ONE_DAY)


def follow_up_context(language: str) -> dict[str, Any]:
    """The follow-up instrument with its repeated questions for every need domain: the page's
    script shows those of the follow-up chosen (its needs come with the client taken along)."""

    def label(need: str, text: str) -> str:
        return translate(language, NEED_QUESTION, need=translate(language, NEED_DOMAINS[need]), question=text)

    needs = list(NEED_DOMAINS)
    instrument = follow_ups.expand(translated(follow_ups.instrument(), language), needs, label)
    return {
        "user": None,
        "csrf_token": "",
        "demo": False,
        "offline": True,
        "instrument": instrument,
        "skip_reasons": {
            code: translate(language, text) for code, text in follow_up_due.SKIP_REASONS.items()
        },
        "follow_up_data": {
            "instrument": rules_for_browser(instrument),
            "needs": {code: translate(language, text) for code, text in NEED_DOMAINS.items()},
        },
    }


@get("/offline/{language:str}/follow-up", name="offline.follow_up", opt=public(), include_in_schema=False)
async def offline_follow_up(request: Request, language: FromPath[str]) -> Template:
    """The follow-up without network; which one is in the address's fragment (never sent)."""
    language = _language(language)
    context = follow_up_context(language)
    return render(request, "offline/follow_up.html", context, locale=language, headers=ONE_DAY)


ROUTES = [offline_visit, offline_outbox, offline_follow_up]
