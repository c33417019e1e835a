"""The nurse's screening pages: answer (htmx saves each change), finish, summary with offers."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.clients.models import Client
from backend.clients.service import open_client
from backend.deps import AppEngine, Caller, Unit, run_unit
from backend.i18n import translate
from backend.screening import form as answer_form
from backend.screening import rules, service
from backend.screening.instruments import translated
from backend.screening.models import Screening
from backend.web import form_lists, render, wants_fragment

NURSES = allow(Role.NURSE)


def _questions_context(
    screening: Screening, locale: str, problems: dict[str, str] | None = None
) -> dict[str, Any]:
    instrument = service.instrument_of(screening)
    shown = set(rules.enabled_items(instrument, screening.answers))
    return {
        "screening": screening,
        "instrument": translated(instrument, locale),
        "shown": shown,
        "answers": screening.answers,
        "problems": {k: translate(locale, v) for k, v in (problems or {}).items()},
    }


@post(
    "/clients/{client_id:str}/screenings",
    name="screening.start",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def start_screening(request: Request, client_id: FromPath[str], session: Unit, user: Caller) -> Redirect:
    screening = service.start(session, user, client_id)
    return Redirect(request.app.route_reverse("screening.show", screening_id=screening.id), status_code=303)


@get(
    "/screenings/{screening_id:str}",
    name="screening.show",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def screening_page(
    request: Request, screening_id: FromPath[str], session: Unit, user: Caller
) -> Template | Redirect:
    screening = service.open_screening(session, user, screening_id)
    if screening.status != "draft":
        return Redirect(
            request.app.route_reverse("screening.summary", screening_id=screening_id), status_code=303
        )
    client = open_client(session, user, screening.client_id)
    context = _questions_context(screening, request.state.locale)
    return render(request, "screening/answer.html", {**context, "client": client})


def _save(
    session: Session, user: CurrentUser, screening_id: str, data: dict[str, list[str]], fragment: bool
) -> tuple[Screening, dict[str, str], Client | None]:
    screening = service.own_screening(session, user, screening_id)
    answers = answer_form.parse(service.instrument_of(screening), data)
    problems = service.save_answers(session, user, screening, answers)
    # The whole page (shown again with its problems) names the client; a fragment does not.
    client = open_client(session, user, screening.client_id) if problems and not fragment else None
    return screening, problems, client


def _complete(session: Session, user: CurrentUser, screening_id: str, data: dict[str, list[str]]) -> None:
    screening = service.own_screening(session, user, screening_id, lock=True)
    if screening.status != "draft":
        return  # "Finish" sent twice: the first one completed it, both lead to the summary
    answers = answer_form.parse(service.instrument_of(screening), data)
    service.save_answers(session, user, screening, answers)
    service.complete(session, user, screening, (data.get("strengths") or [""])[0])


@post(
    "/screenings/{screening_id:str}/answers",
    name="screening.answers",
    opt=NURSES,
    include_in_schema=False,
    status_code=200,
)
async def save_answers(
    request: Request, screening_id: FromPath[str], user: Caller, engine: AppEngine
) -> Template | Redirect:
    """Async: the answers' checkbox groups are read with `await request.form()` (all values)."""
    data = form_lists(await request.form())
    fragment = wants_fragment(request)
    screening, problems, client = await run_unit(engine, _save, user, screening_id, data, fragment)
    context = {**_questions_context(screening, request.state.locale, problems), "client": client}
    if fragment:
        return render(request, "screening/_questions.html", context)
    if problems:
        return render(request, "screening/answer.html", context, status_code=422)
    return Redirect(request.app.route_reverse("screening.show", screening_id=screening_id), status_code=303)


@post(
    "/screenings/{screening_id:str}/complete", name="screening.complete", opt=NURSES, include_in_schema=False
)
async def complete_screening(
    request: Request, screening_id: FromPath[str], user: Caller, engine: AppEngine
) -> Redirect:
    """Async: the answers' checkbox groups are read with `await request.form()` (all values)."""
    data = form_lists(await request.form())
    await run_unit(engine, _complete, user, screening_id, data)
    return Redirect(
        request.app.route_reverse("screening.summary", screening_id=screening_id), status_code=303
    )


@post(
    "/screenings/{screening_id:str}/discard",
    name="screening.discard",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def discard_screening(request: Request, screening_id: FromPath[str], session: Unit, user: Caller) -> Redirect:
    client_id = service.discard(session, user, screening_id)
    return Redirect(request.app.route_reverse("clients.show", client_id=client_id), status_code=303)


ROUTES = [
    start_screening,
    screening_page,
    save_answers,
    complete_screening,
    discard_screening,
]
