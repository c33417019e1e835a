"""The coordinator's inbox and case page: every action is a small form (works without
JavaScript) posted to the case's own address, so that a refused input shows the case again at
that address (422) with one error summary that takes focus and links to the field, and the
message at the field (aria-invalid, aria-describedby)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session, col, select

from backend.accounts.access import allow
from backend.accounts.models import Organisation
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.db.types import utcnow
from backend.deps import AppEngine, Caller, Unit, run_unit
from backend.directory.models import DirectoryOrganization, DirectoryService
from backend.directory.search import SearchQuery, search
from backend.errors import InvalidInput, NotFound, message_of
from backend.geo.reference import DISTRICTS, MUNICIPALITIES
from backend.i18n import N_
from backend.referrals import cases
from backend.referrals.models import Referral
from backend.referrals.states import CLOSED, STATUS_LABELS, Status
from backend.vocab import CALLBACK_DAYS, CALLBACK_TIMES, SPOKEN_LANGUAGES
from backend.web import form_lists, render

COORDINATORS = allow(Role.COORDINATOR)
# To the receiving side a referral nobody has opened yet is new; "Sent" is the sender's word.
INBOX_STATUS_LABELS = {**STATUS_LABELS, Status.REQUESTED: N_("New (not opened yet)")}


def _filter(request: Request) -> cases.InboxFilter:
    q = request.query_params
    tab = q.get("tab", "new")
    page = q.get("page", "1")
    return cases.InboxFilter(
        tab=tab if tab in cases.TABS else "new",
        service_id=q.get("offer") or None,
        district=q.get("district") if q.get("district") in DISTRICTS else None,
        language=q.get("language") if q.get("language") in SPOKEN_LANGUAGES else None,
        newest_first=q.get("sort") == "newest",
        page=int(page) if page.isdigit() and 0 < int(page) < 1000 else 1,
    )


@get("/inbox", name="inbox.list", opt=COORDINATORS, sync_to_thread=True, include_in_schema=False)
def inbox_page(request: Request, session: Unit, user: Caller) -> Template:
    f = _filter(request)
    rows = cases.inbox(session, user, f)
    counts = cases.counts(session, user)
    offers = {s.id: s for s in own_offers(session, user.organisation_id)}
    return render(
        request,
        "inbox/list.html",
        {
            "rows": rows,
            "counts": counts,
            "filter": f,
            "tabs": cases.TAB_LABELS,
            "offers": offers,
            "status_labels": INBOX_STATUS_LABELS,
            "districts": DISTRICTS,
            "municipalities": MUNICIPALITIES,
            "callback_days": CALLBACK_DAYS,
            "callback_times": CALLBACK_TIMES,
            "closed": {s.value for s in CLOSED},
            "now": utcnow(),
            "today": date.today(),
        },
    )


def own_offers(session: Session, organisation_id: int | None) -> list[DirectoryService]:
    query = (
        select(DirectoryService)
        .join(DirectoryOrganization, col(DirectoryOrganization.id) == col(DirectoryService.organization_id))
        .where(DirectoryOrganization.organisation_id == organisation_id)
    )
    return list(session.exec(query).all())


def _case_context(session: Session, user: CurrentUser, referral: Referral) -> dict[str, Any]:
    view = cases.case_view(session, referral)
    shared = referral.shared
    alternatives = []
    if Status(referral.status) == Status.RECEIVED:
        hits = search(
            session,
            SearchQuery(
                need_domains=(referral.need_domain,),
                municipality=shared.get("municipality"),
                language=shared.get("language") if shared.get("language") in SPOKEN_LANGUAGES else None,
                per_page=15,
            ),
        ).hits
        alternatives = [h for h in hits if h.id != referral.service_id and not h.paused]
    return {
        "case": view,
        "referral": referral,
        "shared": shared,
        "status_labels": INBOX_STATUS_LABELS,
        "history_labels": STATUS_LABELS,  # who did what: the referrer's step reads "Sent"
        "is_closed": Status(referral.status) in CLOSED,
        "reasons": cases.REJECT_REASONS,
        "outcomes": cases.OUTCOMES,
        "channels": cases.CHANNELS,
        "colleagues": cases.colleagues(session, user),
        "alternatives": alternatives,
        "municipalities": MUNICIPALITIES,
        "referrer": _referrer_name(session, referral),
        "today": date.today().isoformat(),
        "callback_days": CALLBACK_DAYS,
        "callback_times": CALLBACK_TIMES,
    }


def _referrer_name(session: Session, referral: Referral) -> str:
    org = session.get(Organisation, referral.organisation_id) if referral.organisation_id else None
    return org.name if org else ""


@get(
    "/inbox/{referral_id:str}",
    name="inbox.case",
    opt=COORDINATORS,
    sync_to_thread=True,
    include_in_schema=False,
)
def case_page(request: Request, referral_id: FromPath[str], session: Unit, user: Caller) -> Template:
    referral = cases.open_case(session, user, referral_id)
    context = _case_context(session, user, referral)
    return render(request, "inbox/case.html", context)


def _one(data: dict[str, list[str]], name: str) -> str:
    return (data.get(name) or [""])[0]


Form = dict[str, list[str]]  # a submitted form: name → every value


def _reject(s: Session, u: CurrentUser, r: Referral, d: Form) -> None:
    cases.reject(s, u, r, _one(d, "reason"), _one(d, "reason_text"), _one(d, "forward_to") or None)


def _assign(s: Session, u: CurrentUser, r: Referral, d: Form) -> None:
    assignee = _one(d, "assignee")
    cases.assign(s, u, r, int(assignee) if assignee.isdigit() else None)


def _contact(s: Session, u: CurrentUser, r: Referral, d: Form) -> None:
    cases.log_contact(s, u, r, _one(d, "on"), _one(d, "channel"), _one(d, "reached") == "yes")


# action (the last part of the form's URL) → what it does with (session, user, referral, form)
ACTIONS: dict[str, Callable[[Session, CurrentUser, Referral, Form], object]] = {
    "accept": lambda s, u, r, d: cases.accept(s, u, r),
    "reject": _reject,
    "assign": _assign,
    "contacts": _contact,
    "notes": lambda s, u, r, d: cases.add_note(s, u, r, _one(d, "note")),
    "progress": lambda s, u, r, d: cases.set_progress(s, u, r, _one(d, "status")),
    "close": lambda s, u, r, d: cases.close(s, u, r, _one(d, "outcome"), _one(d, "outcome_text")),
}


# (action, field of the InvalidInput) → the control the error summary links to, and its label.
# A refusal without such a field (a status change not allowed) is said in the summary alone.
FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("reject", "reason"): ("reason-" + next(iter(cases.REJECT_REASONS)), N_("Reason")),
    ("reject", "reason_text"): ("reason_text", N_("Explanation (the referrer sees it)")),
    ("reject", "forward_to"): ("forward_to", N_("Propose another offer (optional)")),
    ("close", "outcome"): ("outcome-" + next(iter(cases.OUTCOMES)), N_("Outcome")),
    ("contacts", "on"): ("contact-on", N_("Date")),
    ("contacts", "channel"): ("channel", N_("How")),
    ("assign", "assignee"): ("assignee", N_("Colleague")),
    ("notes", "note"): ("note", N_("New note")),
}


KEPT = ("reason", "reason_text", "forward_to", "outcome", "outcome_text", "note")  # shown again


def _problem(action: str, error: InvalidInput, locale: str, data: Form) -> dict[str, Any]:
    """What the case page needs to show a refused input: the message, where it belongs, and
    what was typed (so that nothing has to be written twice)."""
    target = FIELDS.get((action, error.field or ""))
    return {
        "error": message_of(error, locale),
        "error_action": action,
        "error_field": error.field if target else None,
        "error_target": target[0] if target else None,
        "error_label": target[1] if target else None,
        "submitted": {name: _one(data, name) for name in KEPT},
    }


def _act(
    session: Session,
    user: CurrentUser,
    referral_id: str,
    action: str,
    data: dict[str, list[str]],
    locale: str,
) -> dict | None:
    """Does the action; the case page's context with the problem if the input was refused."""
    referral = cases.received_referral(session, user, referral_id, lock=True)
    try:
        ACTIONS[action](session, user, referral, data)
    except InvalidInput as error:
        session.rollback()
        referral = cases.received_referral(session, user, referral_id)
        return {**_case_context(session, user, referral), **_problem(action, error, locale, data)}
    return None


async def _handle(
    request: Request, user: CurrentUser, engine: Any, referral_id: str, action: str, data: Form
) -> Template | Redirect:
    if action not in ACTIONS:
        raise NotFound(N_("This action is not possible here."))
    problem = await run_unit(engine, _act, user, referral_id, action, data, request.state.locale)
    if problem is not None:
        return render(request, "inbox/case.html", problem, status_code=422)
    case = request.app.route_reverse("inbox.case", referral_id=referral_id)
    return Redirect(case + f"#{action}", status_code=303)


@post("/inbox/{referral_id:str}", name="inbox.act", opt=COORDINATORS, include_in_schema=False)
async def case_form(
    request: Request, referral_id: FromPath[str], user: Caller, engine: AppEngine
) -> Template | Redirect:
    """The case page's forms post here, to the page's own address, with the action as a field:
    a refused input answers the page again at the same URL (422); a done one redirects to it."""
    data = form_lists(await request.form())
    return await _handle(request, user, engine, referral_id, _one(data, "action"), data)


@post("/inbox/{referral_id:str}/{action:str}", name="inbox.action", opt=COORDINATORS, include_in_schema=False)
async def case_action(
    request: Request, referral_id: FromPath[str], action: FromPath[str], user: Caller, engine: AppEngine
) -> Template | Redirect:
    """The same with the action in the address (scripts and older pages).
    Async: the forms' multi-valued fields are read with `await request.form()`."""
    data = form_lists(await request.form())
    return await _handle(request, user, engine, referral_id, action, data)


ROUTES = [inbox_page, case_page, case_form, case_action]
