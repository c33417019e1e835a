"""Login, logout, the language switcher, and who-am-I for API clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import select

from backend.accounts import service
from backend.accounts.access import allow, public
from backend.accounts.auth import LANGUAGE_COOKIE, SESSION_COOKIE
from backend.accounts.models import User
from backend.db.engine import session_scope
from backend.errors import RateLimited
from backend.i18n import LANGUAGES, N_, translate
from backend.security import csrf, ratelimit
from backend.web import render, safe_next

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
LOGIN_WINDOW = timedelta(minutes=15)
FAILURES_PER_USERNAME = 5
FAILURES_PER_ADDRESS = 30
WRONG_CREDENTIALS = N_("Username or password is wrong. Please check both and try again.")
TOO_MANY = N_("Too many failed attempts. Please wait %(minutes)s minutes and try again.")
MISSING = N_("Please enter your username and your password.")
SESSION_EXPIRED = N_("Your session has ended because it was idle. Please log in again.")


@dataclass
class LoginForm:
    username: str = ""
    password: str = ""
    next: str = ""


@dataclass
class LanguageForm:
    lang: str = ""
    next: str = ""


def _login_page(
    request: Request, error: str | None, status: int, username: str = "", next_path: str = "/", **params: Any
) -> Template:
    engine = request.app.state.engine
    with session_scope(engine) as session:
        demo = session.exec(select(User.id).where(User.is_demo == True)).first() is not None  # noqa: E712
    locale = request.state.locale
    return render(
        request,
        "login.html",
        {
            "error": translate(locale, error, **params) if error else None,
            "username": username,
            "next": next_path,
            "demo": demo,
        },
        status_code=status,
    )


@get("/login", opt=public(), sync_to_thread=True, include_in_schema=False)
def login_page(request: Request, next: FromQuery[str] = "/") -> Template | Redirect:
    if request.scope.get("user"):
        return Redirect(safe_next(next), status_code=303)
    expired = getattr(request.state, "session_expired", False)
    return _login_page(request, SESSION_EXPIRED if expired else None, 200, next_path=safe_next(next))


@post("/login", opt=public(), sync_to_thread=True, include_in_schema=False)
def login(request: Request, data: Annotated[LoginForm, FORM]) -> Template | Redirect:
    settings = request.app.state.settings
    next_path = safe_next(data.next)
    username = data.username.strip()[:80]
    if not username or not data.password:
        return _login_page(request, MISSING, 400, username, next_path)

    client = request.client.host if request.client else "unknown"
    keys = [
        (ratelimit.key(settings.secret_key, "login-user", username.lower()), FAILURES_PER_USERNAME),
        (ratelimit.key(settings.secret_key, "login-addr", client), FAILURES_PER_ADDRESS),
    ]
    with session_scope(request.app.state.engine) as session:
        for key, limit in keys:
            wait = ratelimit.retry_after(session, key, limit, LOGIN_WINDOW)
            if wait:
                raise RateLimited(TOO_MANY, retry_after=wait)
        user = service.authenticate(session, username, data.password[:1024])
        if user is None:
            for key, _ in keys:
                ratelimit.hit(session, key, LOGIN_WINDOW)
        else:
            ratelimit.reset(session, keys[0][0])
            session_key = service.start_session(session, user)
    if user is None:
        return _login_page(request, WRONG_CREDENTIALS, 401, username, next_path)

    secure = settings.production
    response = Redirect(next_path, status_code=303)
    response.set_cookie(SESSION_COOKIE, session_key, httponly=True, samesite="lax", secure=secure, path="/")
    # A new CSRF secret per login: nothing planted before the login survives it.
    response.set_cookie(csrf.csrf_cookie(csrf.new_cookie_value(), secure))
    return response


@post("/logout", opt=allow(), sync_to_thread=True, include_in_schema=False)
def logout(request: Request) -> Redirect:
    key = request.cookies.get(SESSION_COOKIE)
    if key:
        with session_scope(request.app.state.engine) as session:
            service.end_session(session, key)
    response = Redirect("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.set_cookie(csrf.csrf_cookie(csrf.new_cookie_value(), request.app.state.settings.production))
    # Tell the browser to forget anything it may hold for this origin's pages.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@post("/language", opt=public(), sync_to_thread=True, include_in_schema=False)
def switch_language(request: Request, data: Annotated[LanguageForm, FORM]) -> Redirect:
    response = Redirect(safe_next(data.next), status_code=303)
    if data.lang not in LANGUAGES:
        return response
    user = request.scope.get("user")
    if user:
        with session_scope(request.app.state.engine) as session:
            service.set_language(session, user.id, data.lang)
    response.set_cookie(
        LANGUAGE_COOKIE,
        data.lang,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.production,
        path="/",
    )
    return response


@get("/api/v1/me", opt=allow())
async def me(request: Request) -> Response:
    user = request.scope["user"]
    return Response(
        {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "organisation": user.organisation_name,
            "language": request.state.locale,
            # The offline outbox sends its records with fetch from pages the service worker
            # cached without a token (and from the worker itself), so it asks here first.
            "csrf_token": request.state.csrf_token,
        }
    )


ROUTES = [login_page, login, logout, switch_language, me]
