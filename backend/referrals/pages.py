"""The nurse's referral pages: choose offers on the summary, record consent, send; her list,
a referral's history and cancelling; the printable summary for the client."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session, col, select

from backend.accounts.access import allow
from backend.accounts.models import Organisation, User
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.clients.models import Client
from backend.clients.service import open_client
from backend.deps import AppEngine, Caller, Unit, run_unit
from backend.directory.models import DirectoryOrganization, DirectoryService
from backend.directory.search import SearchQuery, search
from backend.errors import Conflict, InvalidInput, message_of
from backend.geo.reference import MUNICIPALITIES
from backend.i18n import LANGUAGES, N_
from backend.referrals import service
from backend.referrals.consent import GIVEN_BY, METHODS, SCOPE_ITEMS, ConsentForm
from backend.referrals.models import Referral
from backend.referrals.states import (
    CLOSED,
    NURSE_OUTCOMES,
    OPEN,
    OUTCOME_LABELS,
    STATUS_LABELS,
    Status,
    allowed,
)
from backend.screening import service as screenings
from backend.vocab import SPOKEN_LANGUAGES
from backend.web import form_lists, render

NURSES = allow(Role.NURSE)
SEVERITY_RANK = {"urgent": 0, "needed": 1, "wish": 2}


def _first(data: dict[str, list[str]], name: str, default: str = "") -> str:
    return (data.get(name) or [default])[0]


def consent_form(data: dict[str, list[str]]) -> ConsentForm:
    return ConsentForm(
        confirmed=_first(data, "confirmed") == "yes",
        given_by=_first(data, "given_by", "client"),
        method=_first(data, "method", "verbal"),
        given_on=_first(data, "given_on"),
        scope=data.get("scope", []),
        note=_first(data, "note"),
    )


def _messages(checks: list[service.Check], locale: str) -> list[dict]:
    """Each chosen offer with its problem and warnings in the user's language."""
    return [
        {
            "check": c,
            "problem": service.say(locale, c.problem) if c.problem else None,
            "warnings": [service.say(locale, m) for m in c.warnings],
        }
        for c in checks
    ]


def _consent_page(request: Request, context: dict, status_code: int = 200) -> Template:
    locale = request.state.locale
    return render(
        request,
        "referrals/consent.html",
        {
            **context,
            "items": _messages(context["checks"], locale),
            "given_by_labels": GIVEN_BY,
            "method_labels": METHODS,
            "scope_items": SCOPE_ITEMS,
            "today": date.today().isoformat(),
        },
        status_code=status_code,
    )


def summary_context(session: Session, user: CurrentUser, screening_id: str) -> dict[str, Any]:
    """Needs by severity, offers that match each, and the referrals already sent: the summary
    of a completed screening is where referrals start, so it lives with them."""
    screening = screenings.open_screening(session, user, screening_id)
    if screening.status == "draft":
        raise Conflict(N_("Finish the screening before sending referrals."))
    client = open_client(session, user, screening.client_id)
    age = date.today().year - client.birth_year
    language = client.language if client.language in SPOKEN_LANGUAGES else None
    needs = sorted(screening.needs.items(), key=lambda kv: (SEVERITY_RANK[kv[1]], kv[0]))
    offers = {
        domain: search(
            session,
            SearchQuery(
                need_domains=(domain,),
                municipality=client.municipality,
                language=language,
                age=age,
                per_page=5,
            ),
        ).hits
        for domain, _ in needs
    }
    return {
        "screening": screening,
        "client": client,
        "needs": needs,
        "offers": offers,
        "arranged_by_you": _not_on_passerelle(session, [hit.id for hits in offers.values() for hit in hits]),
        "municipality": MUNICIPALITIES[client.municipality],
        "age": age,
        "sent": service.sent_by_organisation(session, user, screening_id=screening.id),
        "status_labels": STATUS_LABELS,
        "today": date.today(),
    }


def _not_on_passerelle(session: Session, service_ids: list[str]) -> set[str]:
    """Which of these offers belong to an organisation that is not on Passerelle."""
    if not service_ids:
        return set()
    query = (
        select(DirectoryService.id)
        .join(DirectoryOrganization, col(DirectoryOrganization.id) == col(DirectoryService.organization_id))
        .where(
            col(DirectoryService.id).in_(service_ids), col(DirectoryOrganization.organisation_id).is_(None)
        )
    )
    return set(session.exec(query).all())


@get(
    "/screenings/{screening_id:str}/summary",
    name="screening.summary",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def screening_summary(
    request: Request, screening_id: FromPath[str], session: Unit, user: Caller
) -> Template | Redirect:
    screening = screenings.own_screening(session, user, screening_id)
    if screening.status == "draft":
        return Redirect(
            request.app.route_reverse("screening.show", screening_id=screening_id), status_code=303
        )
    context = summary_context(session, user, screening_id)
    return render(request, "screening/summary.html", context)


def _choose(
    session: Session, user: CurrentUser, screening_id: str, data: dict[str, list[str]]
) -> tuple[str, dict]:
    try:
        choices = service.parse_choices(data.get("offer", []))
    except InvalidInput as error:
        context = summary_context(session, user, screening_id)
        return "summary", {**context, "choice_error": error.message}
    screening = screenings.own_screening(session, user, screening_id)
    client = open_client(session, user, screening.client_id)
    checks = service.check_choices(session, screening, client, choices, date.today())
    context = {"screening": screening, "client": client, "checks": checks}
    return "consent", {**context, "form": ConsentForm()}


@post(
    "/screenings/{screening_id:str}/consent",
    name="referrals.consent",
    opt=NURSES,
    include_in_schema=False,
    status_code=200,
)
async def consent_page(
    request: Request, screening_id: FromPath[str], user: Caller, engine: AppEngine
) -> Template:
    """Step two: the chosen offers with their warnings, and the consent form. Async (as the
    other posts here): the chosen offers are a multi-valued field, read with `await request.form()`."""
    data = form_lists(await request.form())
    page, context = await run_unit(engine, _choose, user, screening_id, data)
    if page == "summary":
        return render(request, "screening/summary.html", context, status_code=422)
    return _consent_page(request, context)


def _send(
    session: Session, user: CurrentUser, screening_id: str, data: dict[str, list[str]], form: ConsentForm
) -> tuple[service.Outcome, dict]:
    screening = screenings.own_screening(session, user, screening_id)
    client = open_client(session, user, screening.client_id)
    choices = service.parse_choices(data.get("offer", []))
    confirmed = _first(data, "accept_warnings") == "yes"
    outcome = service.send(session, user, screening, client, choices, form, confirmed, date.today())
    return outcome, {"screening": screening, "client": client}


@post(
    "/screenings/{screening_id:str}/referrals", name="referrals.create", opt=NURSES, include_in_schema=False
)
async def send_referrals(
    request: Request, screening_id: FromPath[str], user: Caller, engine: AppEngine
) -> Template | Redirect:
    data = form_lists(await request.form())
    form = consent_form(data)
    outcome, context = await run_unit(engine, _send, user, screening_id, data, form)
    if outcome.sent:
        summary = request.app.route_reverse("screening.summary", screening_id=screening_id)
        return Redirect(summary + "#sent-title", status_code=303)
    return _consent_page(
        request,
        {**context, "checks": outcome.checks, "form": form, "needs_confirmation": outcome.needs_confirmation},
        status_code=422,
    )


STATUS_FILTERS = {"open": True, "closed": False, "all": None}


@get("/referrals", name="referrals.list", opt=NURSES, sync_to_thread=True, include_in_schema=False)
def referral_list(request: Request, session: Unit, user: Caller) -> Template:
    shown = request.query_params.get("status", "open")
    shown = shown if shown in STATUS_FILTERS else "open"
    rows = service.sent_by_organisation(session, user, open_only=STATUS_FILTERS[shown])
    context = {"rows": rows, "shown": shown, "status_labels": STATUS_LABELS}
    return render(request, "referrals/list.html", context)


def next_actor(referral: Referral) -> str:
    """Who acts next on a referral, as its page says it: the nurse (`you`), the receiving
    organisation, or nobody (closed)."""
    status = Status(referral.status)
    if status in CLOSED:
        return "nobody"
    if status == Status.DRAFT or service.arranged_by_referrer(referral):
        return "you"
    return "organisation"


def _detail_context(session: Session, user: CurrentUser, referral_id: str) -> dict[str, Any]:
    referral = service.own_referral(session, user, referral_id)
    service.record_view(session, user, referral)
    status = Status(referral.status)
    arranged = service.arranged_by_referrer(referral) and status != Status.DRAFT
    return {
        "arranged": arranged,
        "next_actor": next_actor(referral),
        "nurse_outcomes": {
            code: label
            for code, (target, _, label) in NURSE_OUTCOMES.items()
            if arranged and allowed(status, target)
        },
        "outcome_form": {"choice": "", "note": "", "errors": {}},
        "referral": referral,
        "client": session.get(Client, referral.client_id),
        "offer": session.get(DirectoryService, referral.service_id),
        "organization": session.get(DirectoryOrganization, referral.directory_organization_id),
        "events": service.history(session, referral.id),
        "status_labels": STATUS_LABELS,
        "is_open": Status(referral.status) in OPEN,
        "scope_items": SCOPE_ITEMS,
        "municipalities": MUNICIPALITIES,
        "outcome_labels": OUTCOME_LABELS,
        "given_by_labels": GIVEN_BY,
        "method_labels": METHODS,
        "form": ConsentForm(),
        "today": date.today().isoformat(),
        "forwarded_by": _forwarded_by(session, referral),
    }


def _forwarded_by(session: Session, referral: Referral) -> str | None:
    """The organisation that declined the original referral and proposed this one."""
    if not referral.forwarded_from:
        return None
    original = session.get(Referral, referral.forwarded_from)
    if original is None:
        return None
    organization = session.get(DirectoryOrganization, original.directory_organization_id)
    return organization.name if organization else None


@get(
    "/referrals/{referral_id:str}",
    name="referrals.show",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def referral_page(request: Request, referral_id: FromPath[str], session: Unit, user: Caller) -> Template:
    context = _detail_context(session, user, referral_id)
    return render(request, "referrals/detail.html", context)


def _cancel(session: Session, user: CurrentUser, referral_id: str, reason: str) -> dict | None:
    try:
        service.cancel(session, user, referral_id, reason)
    except InvalidInput as error:
        session.rollback()
        return {**_detail_context(session, user, referral_id), "cancel_error": error.message}
    return None


@post("/referrals/{referral_id:str}/cancel", name="referrals.cancel", opt=NURSES, include_in_schema=False)
async def cancel_referral(
    request: Request, referral_id: FromPath[str], user: Caller, engine: AppEngine
) -> Template | Redirect:
    reason = _first(form_lists(await request.form()), "reason")
    problem = await run_unit(engine, _cancel, user, referral_id, reason)
    if problem is not None:
        return render(request, "referrals/detail.html", problem, status_code=422)
    return Redirect(request.app.route_reverse("referrals.show", referral_id=referral_id), status_code=303)


def _record_outcome(
    session: Session, user: CurrentUser, referral_id: str, choice: str, note: str, locale: str
) -> dict | None:
    try:
        service.record_outcome(session, user, referral_id, choice, note)
    except InvalidInput as error:
        session.rollback()
        context = _detail_context(session, user, referral_id)
        field = error.field if error.field == "note" else "outcome"
        form = {"choice": choice, "note": note, "errors": {field: message_of(error, locale)}}
        return {**context, "outcome_form": form}
    return None


@post("/referrals/{referral_id:str}/outcome", name="referrals.outcome", opt=NURSES, include_in_schema=False)
async def record_outcome(
    request: Request, referral_id: FromPath[str], user: Caller, engine: AppEngine
) -> Template | Redirect:
    """What became of a referral the nurse arranges herself (its organisation is not on Passerelle)."""
    data = form_lists(await request.form())
    choice, note = _first(data, "outcome"), _first(data, "note")
    problem = await run_unit(engine, _record_outcome, user, referral_id, choice, note, request.state.locale)
    if problem is not None:
        return render(request, "referrals/detail.html", problem, status_code=422)
    return Redirect(request.app.route_reverse("referrals.show", referral_id=referral_id), status_code=303)


def _letter_context(session: Session, user: CurrentUser, referral_id: str) -> dict[str, Any]:
    referral = service.own_referral(session, user, referral_id)
    service.record_view(session, user, referral)
    if not service.arranged_by_referrer(referral) or referral.status == Status.DRAFT:
        raise Conflict(N_("A letter is only needed for an organisation that is not on Passerelle."))
    offer = session.get(DirectoryService, referral.service_id)
    organization = session.get(DirectoryOrganization, referral.directory_organization_id)
    sender = session.get(Organisation, referral.organisation_id)
    author = session.get(User, referral.created_by) if referral.created_by else None
    client = session.get(Client, referral.client_id)
    return {
        "referral": referral,
        "offer": offer,
        "organization": organization,
        "sender": sender,
        "author": author,
        "client_language": client.language if client else None,
        "municipalities": MUNICIPALITIES,
    }


@get(
    "/referrals/{referral_id:str}/letter",
    name="referrals.letter",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def referral_letter(request: Request, referral_id: FromPath[str], session: Unit, user: Caller) -> Template:
    """A one-page referral letter to hand over or send to an organisation that is not on
    Passerelle: in the client's language (the nurse's when it is neither), with only what the
    consent shares (the referral's shared copy)."""
    context = _letter_context(session, user, referral_id)
    language = context["client_language"]
    locale = language if language in LANGUAGES else request.state.locale
    return render(request, "referrals/letter.html", context, locale=locale)


def _propose(session: Session, user: CurrentUser, referral_id: str, form: ConsentForm) -> dict | None:
    errors = service.send_proposal(session, user, referral_id, form, date.today())
    if errors:
        session.rollback()
        return {**_detail_context(session, user, referral_id), "form": form}
    return None


@post("/referrals/{referral_id:str}/send", name="referrals.send", opt=NURSES, include_in_schema=False)
async def send_proposal(
    request: Request, referral_id: FromPath[str], user: Caller, engine: AppEngine
) -> Template | Redirect:
    """A proposal from the receiving side, sent once the client agreed to the new organisation."""
    form = consent_form(form_lists(await request.form()))
    problem = await run_unit(engine, _propose, user, referral_id, form)
    if problem is not None:
        return render(request, "referrals/detail.html", problem, status_code=422)
    return Redirect(request.app.route_reverse("referrals.show", referral_id=referral_id), status_code=303)


@get(
    "/screenings/{screening_id:str}/handout",
    name="referrals.handout",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def client_handout(request: Request, screening_id: FromPath[str], session: Unit, user: Caller) -> Template:
    """The summary the client keeps, in the client's language (the nurse's when it is neither)."""
    screening = screenings.open_screening(session, user, screening_id)
    client = open_client(session, user, screening.client_id)
    rows = [
        row
        for row in service.sent_by_organisation(session, user, screening_id=screening.id)
        if Status(row.referral.status) in OPEN
    ]
    arranged = {row.referral.id for row in rows if service.arranged_by_referrer(row.referral)}
    org_ids = {row.offer.organization_id for row in rows}
    organizations = {org_id: session.get(DirectoryOrganization, org_id) for org_id in org_ids}
    locale = client.language if client.language in LANGUAGES else request.state.locale
    return render(
        request,
        "referrals/handout.html",
        {
            "screening": screening,
            "client": client,
            "rows": rows,
            "organizations": organizations,
            "arranged": arranged,
        },
        locale=locale,
    )


ROUTES = [
    screening_summary,
    consent_page,
    send_referrals,
    referral_list,
    referral_page,
    cancel_referral,
    record_outcome,
    referral_letter,
    send_proposal,
    client_handout,
]
