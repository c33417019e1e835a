"""The public self-check at /check: no account, no cookie, nothing stored but counts.

Without JavaScript every step is a POST that carries all answers in the form (each question's
inputs are on every page, the other steps `hidden`), so the server keeps nothing between
steps. With JavaScript the same page switches steps in the browser (static/js/selfcheck.js)
and the answers reach the server once, for the result. The language is part of the path, so
that the start pages can be cached for offline use and switching keeps the answers (it is a
POST of the same form to the other language's address).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import segno
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from markupsafe import Markup
from sqlmodel import Session

from backend.accounts.access import public
from backend.deps import AppEngine, AppSettings, run_unit
from backend.errors import RateLimited
from backend.i18n import LANGUAGES, N_, translate
from backend.screening.instruments import rules_for_browser, translated
from backend.screening.rules import evaluate
from backend.security import ratelimit
from backend.security.addresses import client_rate_key
from backend.selfcheck import callback, service
from backend.vocab import CALLBACK_DAYS, CALLBACK_TIMES, SPOKEN_LANGUAGES
from backend.web import form_lists, render

PUBLIC = public()
# The start pages hold nothing personal; the service worker keeps its own copy for offline use.
REVALIDATE = {"Cache-Control": "no-cache"}
# Accepted callback requests per connection and hour. A refused form (a typing mistake) gives its
# count back, so a patient is never locked out by her own corrections; all attempts, refused ones
# too, have a wider budget of their own against floods.
CALLBACK_LIMIT = 5
ATTEMPT_LIMIT = 30
CALLBACK_WINDOW = timedelta(hours=1)
TOO_MANY = N_("Too many callback requests from this connection. Please try again in %(minutes)s minutes.")
HONEYPOT = "website"


def _language(request: Request, lang: str) -> str:
    if lang not in LANGUAGES:
        raise NotFoundException()
    request.state.locale = lang  # errors on these pages speak the page's language
    return lang


def _anonymous(lang: str) -> dict[str, Any]:
    """What every self-check page gets: no user, no CSRF token (they must not vary by person)."""
    return {"user": None, "demo": False, "csrf_token": "", "lang": lang, "current_path": f"/check/{lang}"}


def _page(
    request: Request, lang: str, answers: dict, at: str, place: service.Place, status: int = 200
) -> Template:
    inst = service.instrument()
    steps = service.steps(inst, answers)
    questions = [s for s in steps if s not in (service.INTRO, service.PLACE)]
    context = {
        **_anonymous(lang),
        "instrument": translated(inst, lang),
        "rules": rules_for_browser(inst),
        "answers": answers,
        "at": at,
        "number": questions.index(at) + 1 if at in questions else 0,
        "total": len(questions),
        "emergency": evaluate(inst, answers)["emergency"],
        "place": place,
    }
    headers = REVALIDATE if request.method == "GET" else None
    return render(request, "selfcheck/check.html", context, status_code=status, locale=lang, headers=headers)


@get("/check", name="selfcheck.entry", opt=PUBLIC, include_in_schema=False)
async def check_entry(request: Request) -> Redirect:
    """The short address on the poster: on to the person's language."""
    return Redirect(
        request.app.route_reverse("selfcheck.start", lang=request.state.locale),
        status_code=302,
        headers={"Vary": "Accept-Language, Cookie"},
    )


@get("/check/{lang:str}", name="selfcheck.start", opt=PUBLIC, include_in_schema=False)
async def check_start(request: Request, lang: FromPath[str]) -> Template:
    lang = _language(request, lang)
    return _page(request, lang, {}, service.INTRO, service.Place())


@post("/check/{lang:str}", name="selfcheck.step", opt=PUBLIC, include_in_schema=False, status_code=200)
async def check_step(request: Request, lang: FromPath[str]) -> Template:
    """One step without JavaScript (next, back, skip), or the same step in another language."""
    lang = _language(request, lang)
    data = form_lists(await request.form())
    inst = service.instrument()
    answers = service.answers_from(inst, data)
    at = (data.get("at") or [service.INTRO])[0]
    go = (data.get("go") or ["stay"])[0]
    if go == "skip" and at in service.question_ids(inst):
        answers[at] = None
    return _page(
        request, lang, answers, service.move(inst, answers, at, go), service.place_from(data, answers)
    )


def _result_context(session: Session, lang: str, data: dict[str, list[str]]) -> dict[str, Any]:
    inst = service.instrument()
    answers = service.answers_from(inst, data)
    place = service.place_from(data, answers)
    result = service.result_for(session, answers, place, lang)
    office = callback.coordination_office(session, place, lang, [d for d, _ in result.needs])
    return {
        **_anonymous(lang),
        "instrument": translated(inst, lang),
        "answers": answers,
        "place": place,
        "result": result,
        "office": office,
        "plain_needs": service.PLAIN_NEEDS,
        "days": CALLBACK_DAYS,
        "times": CALLBACK_TIMES,
        "spoken_languages": SPOKEN_LANGUAGES,
        "consent_text": callback.CONSENT_TEXT,
        "office_target": callback.OFFICE,
        "callback": callback.CallbackForm(language=lang),
        "counted": True,
    }


def _result(session: Session, lang: str, data: dict[str, list[str]]) -> dict[str, Any]:
    context = _result_context(session, lang, data)
    if not data.get("counted"):
        service.finish(session, context["result"], context["place"], lang)
    return context


@post(
    "/check/{lang:str}/result", name="selfcheck.result", opt=PUBLIC, include_in_schema=False, status_code=200
)
async def check_result(request: Request, lang: FromPath[str], engine: AppEngine) -> Template:
    """Needs in plain words and offers nearby. The first showing adds the run to the counts;
    the page's own forms (language, place) say `counted` so that they do not count it again.
    Async (as the callback): the answers' checkbox groups are read with `await request.form()`."""
    lang = _language(request, lang)
    data = form_lists(await request.form())
    context = await run_unit(engine, _result, lang, data)
    return render(request, "selfcheck/result.html", context, locale=lang)


def _call_back(session: Session, lang: str, data: dict[str, list[str]]) -> tuple[str, dict[str, Any], int]:
    context = _result_context(session, lang, data)
    form = callback.CallbackForm.from_form(data, lang)
    phone = form.validate(callback.allowed_targets(context["result"], context["office"]))
    if phone is None:
        errors = {k: translate(lang, v) for k, v in form.errors.items()}
        return "selfcheck/result.html", {**context, "callback": form, "errors": errors}, 422
    made = callback.create_referrals(
        session, form, phone, context["result"], context["place"], context["office"]
    )
    return (
        "selfcheck/called.html",
        {**_anonymous(lang), "made": made, "form": form, "phone": phone},
        200,
    )


@post(
    "/check/{lang:str}/callback",
    name="selfcheck.callback",
    opt=PUBLIC,
    include_in_schema=False,
    status_code=200,
)
async def check_callback(
    request: Request, lang: FromPath[str], engine: AppEngine, settings: AppSettings
) -> Template:
    lang = _language(request, lang)
    data = form_lists(await request.form())
    if any(v.strip() for v in data.get(HONEYPOT, [])):
        # A bot filled the field people cannot see: thank it and keep nothing.
        return render(
            request, "selfcheck/called.html", {**_anonymous(lang), "made": [], "form": None}, locale=lang
        )
    # Keyed as every rate limit is: forwarded headers only from trusted proxies, IPv6 by /64.
    connection = client_rate_key(request)
    bucket = ratelimit.key(settings.secret_key, "selfcheck-callback", connection)
    attempts = ratelimit.key(settings.secret_key, "selfcheck-callback-attempts", connection)

    try:
        # Short writes of their own (the counts), then the unit that reads and creates.
        for key, limit in ((attempts, ATTEMPT_LIMIT), (bucket, CALLBACK_LIMIT)):
            wait = await run_unit(engine, ratelimit.count, key, limit, CALLBACK_WINDOW)
            if wait is not None:
                raise RateLimited(TOO_MANY, retry_after=wait)
        template, context, status = await run_unit(engine, _call_back, lang, data)
        if status == 422:  # nothing was made: the mistake does not use up the budget
            await run_unit(engine, ratelimit.give_back, bucket)
    except RateLimited as limited:
        # Said on a self-check page (not the generic error page, whose forms need a cookie),
        # with the answers, so that "back" leads to the result again.
        inst = service.instrument()
        answers = service.answers_from(inst, data)
        context = {
            **_anonymous(lang),
            "message": translate(lang, TOO_MANY, minutes=limited.params["minutes"]),
            "instrument": translated(inst, lang),
            "answers": answers,
            "place": service.place_from(data, answers),
        }
        headers = {"Retry-After": str(limited.retry_after)}
        return render(
            request, "selfcheck/limited.html", context, status_code=429, locale=lang, headers=headers
        )
    return render(request, template, context, status_code=status, locale=lang)


@get("/check/{lang:str}/poster", name="selfcheck.poster", opt=PUBLIC, include_in_schema=False)
async def check_poster(request: Request, lang: FromPath[str], settings: AppSettings) -> Template:
    """A printable A4 poster whose QR code leads to the self-check in this language."""
    lang = _language(request, lang)
    base = settings.base_url
    target = base + request.app.route_reverse("selfcheck.start", lang=lang)
    qr = segno.make(target, error="m")
    svg = qr.svg_inline(
        scale=8, dark="#000", light="#fff", omitsize=True, title=translate(lang, N_("QR code"))
    )
    short = base + request.app.route_reverse("selfcheck.entry")
    context = {**_anonymous(lang), "qr": Markup(svg), "target": target, "short": short}  # noqa: S704 - segno's own SVG
    return render(
        request,
        "selfcheck/poster.html",
        context,
        locale=lang,
        headers={"Cache-Control": "public, max-age=86400"},
    )


ROUTES = [check_entry, check_start, check_step, check_result, check_callback, check_poster]
