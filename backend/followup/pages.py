"""The nurse's follow-up page: the follow-up instrument with its questions per referred need,
recorded online or skipped with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.clients.models import Client
from backend.clients.service import open_client
from backend.deps import AppEngine, Caller, Unit, run_unit
from backend.errors import InvalidInput
from backend.followup import due, service
from backend.followup.models import FollowUp
from backend.i18n import N_, translate
from backend.screening import form as answer_form
from backend.screening import rules
from backend.screening.instruments import translated
from backend.vocab import NEED_DOMAINS
from backend.web import form_lists, render, wants_fragment

NURSES = allow(Role.NURSE)
FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
# A repeated question names its need: "Housing: Compared with the first visit, how is …?"
NEED_QUESTION = N_("%(need)s: %(question)s")


def _context(
    follow_up: FollowUp,
    client: Client | None,
    locale: str,
    answers: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    skip_error: str | None = None,
) -> dict[str, Any]:
    answers = follow_up.answers if answers is None else answers
    form = service.expand(service.instrument(), follow_up.needs)

    def label(need: str, text: str) -> str:
        name = translate(locale, NEED_DOMAINS.get(need, need))
        return translate(locale, NEED_QUESTION, need=name, question=text)

    shown = set(rules.enabled_items(form, answers))
    return {
        "follow_up": follow_up,
        "client": client,
        "instrument": service.expand(translated(service.instrument(), locale), follow_up.needs, label),
        "shown": shown,
        "answers": answers,
        "problems": {k: translate(locale, v) for k, v in (problems or {}).items()},
        "skip_reasons": due.SKIP_REASONS,
        "skip_error": skip_error,
    }


@get(
    "/follow-ups/{follow_up_id:str}",
    name="followup.show",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def follow_up_page(request: Request, follow_up_id: FromPath[str], session: Unit, user: Caller) -> Template:
    """The form while the follow-up is due; what was recorded (or why it was skipped) after."""
    follow_up = service.open_follow_up(session, user, follow_up_id)
    client = open_client(session, user, follow_up.client_id)
    if follow_up.status != due.DUE:
        context = {"follow_up": follow_up, "client": client, "skip_reasons": due.SKIP_REASONS}
        return render(request, "followup/done.html", context)
    return render(request, "followup/record.html", _context(follow_up, client, request.state.locale))


def _record(
    session: Session,
    user: CurrentUser,
    follow_up_id: str,
    data: dict[str, list[str]],
    fragment: bool,
    locale: str,
) -> dict[str, Any] | None:
    """None when saved; else the page's context with the answers as given and their problems."""
    follow_up = service.open_follow_up(session, user, follow_up_id, lock=not fragment)
    answers = answer_form.parse(service.expand(service.instrument(), follow_up.needs), data)
    if fragment:  # a changed answer shows or hides the questions that depend on it; nothing is saved
        return _context(follow_up, None, locale, answers)
    try:
        service.record_answers(session, user, follow_up, answers)
    except InvalidInput as error:
        client = open_client(session, user, follow_up.client_id)
        problems = dict(error.fields)
        return _context(follow_up, client, locale, answers, problems)
    return None


@post(
    "/follow-ups/{follow_up_id:str}",
    name="followup.record",
    opt=NURSES,
    include_in_schema=False,
    status_code=200,
)
async def record_follow_up(
    request: Request, follow_up_id: FromPath[str], user: Caller, engine: AppEngine
) -> Template | Redirect:
    """Async: the form is read with `await request.form()` (all values of each field)."""
    data = form_lists(await request.form())
    fragment = wants_fragment(request)
    context = await run_unit(engine, _record, user, follow_up_id, data, fragment, request.state.locale)
    if context is None:
        return Redirect(
            request.app.route_reverse("followup.show", follow_up_id=follow_up_id), status_code=303
        )
    if fragment:
        return render(request, "screening/_questions.html", context)
    return render(request, "followup/record.html", context, status_code=422)


@dataclass
class SkipData:
    skip_reason: str = ""


@post(
    "/follow-ups/{follow_up_id:str}/skip",
    name="followup.skip",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def skip_follow_up(
    request: Request,
    follow_up_id: FromPath[str],
    data: Annotated[SkipData, FORM],
    session: Unit,
    user: Caller,
) -> Template | Redirect:
    follow_up = service.open_follow_up(session, user, follow_up_id, lock=True)
    try:
        service.skip(session, user, follow_up, data.skip_reason or None)
    except InvalidInput as error:
        client = open_client(session, user, follow_up.client_id)
        context = _context(follow_up, client, request.state.locale, skip_error=error.message)
        return render(request, "followup/record.html", context, status_code=422)
    return Redirect(request.app.route_reverse("followup.show", follow_up_id=follow_up_id), status_code=303)


ROUTES = [follow_up_page, record_follow_up, skip_follow_up]
