"""The coordinator's inbox and case page: every action is a small form (works without
JavaScript), and an error shows the case again with the message where it belongs."""

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
            "status_labels": STATUS_LABELS,
            "districts": DISTRICTS,
            "now": utcnow(),
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
        "status_labels": STATUS_LABELS,
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


def _act(
    session: Session,
    user: CurrentUser,
    referral_id: str,
    action: str,
    data: dict[str, list[str]],
    locale: str,
) -> dict | None:
    """Does the action; the case page's context with the problem if the input was refused."""
    referral = cases.received_referral(session, user, referral_id)
    try:
        ACTIONS[action](session, user, referral, data)
    except InvalidInput as error:
        session.rollback()
        referral = cases.received_referral(session, user, referral_id)
        return {
            **_case_context(session, user, referral),
            "error": message_of(error, locale),
            "error_action": action,
        }
    return None


@post("/inbox/{referral_id:str}/{action:str}", name="inbox.action", opt=COORDINATORS, include_in_schema=False)
async def case_action(
    request: Request, referral_id: FromPath[str], action: FromPath[str], user: Caller, engine: AppEngine
) -> Template | Redirect:
    """Async: the forms' multi-valued fields are read with `await request.form()`."""
    locale = request.state.locale
    data = form_lists(await request.form())
    if action not in ACTIONS:
        raise NotFound(N_("This action is not possible here."))
    problem = await run_unit(engine, _act, user, referral_id, action, data, locale)
    if problem is not None:
        return render(request, "inbox/case.html", problem, status_code=422)
    case = request.app.route_reverse("inbox.case", referral_id=referral_id)
    return Redirect(case + f"#{action}", status_code=303)


ROUTES = [inbox_page, case_page, case_action]
