"""Login, logout, the language switcher, and who-am-I for API clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import anyio
import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from backend.accounts import devices, passwords, service
from backend.accounts.access import allow, public
from backend.accounts.auth import LANGUAGE_COOKIE, SESSION_COOKIE
from backend.accounts.devices import DEVICE_COOKIE
from backend.accounts.models import User
from backend.audit import models as audit
from backend.db.engine import session_scope
from backend.errors import RateLimited
from backend.i18n import LANGUAGES, N_, translate
from backend.security import csrf, ratelimit
from backend.security.addresses import client_rate_key
from backend.web import render, safe_next

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
LOGIN_WINDOW = timedelta(minutes=15)
FAILURES_PER_USERNAME = 5
FAILURES_PER_ADDRESS = 30  # then each attempt from that address is slowed
ADDRESS_CEILING = 300  # then refused: guessing across many usernames from one place
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
    with session_scope(engine, writes=False) as session:
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


@get("/login", name="accounts.login", opt=public(), sync_to_thread=True, include_in_schema=False)
def login_page(request: Request, next: FromQuery[str] = "/") -> Template | Redirect:
    if request.scope.get("user"):
        return Redirect(safe_next(next), status_code=303)
    expired = getattr(request.state, "session_expired", False)
    return _login_page(request, SESSION_EXPIRED if expired else None, 200, next_path=safe_next(next))


@dataclass(frozen=True)
class _Attempt:
    """What a login attempt counted and read, before its password is checked."""

    user_hits: int
    address_hits: int
    user_id: int | None
    password_hash: str | None


@post("/login", name="accounts.authenticate", opt=public(), include_in_schema=False)
async def login(request: Request, data: Annotated[LoginForm, FORM]) -> Template | Redirect:
    """Three steps, so that no transaction is open while the password is hashed: count the
    attempt (atomically, before the check: parallel guesses cannot slip past the limit), check
    the password, then write down the outcome."""
    settings = request.app.state.settings
    engine = request.app.state.engine
    next_path = safe_next(data.next)
    username = data.username.strip()[:80]
    if not username or not data.password:
        return await anyio.to_thread.run_sync(_login_page, request, MISSING, 400, username, next_path)

    device_cookie = request.cookies.get(DEVICE_COOKIE)
    device = devices.known_device(device_cookie, settings.secret_key, username)
    # A device the user logged in on before has a budget of its own: strangers guessing her
    # password elsewhere do not lock her out of her tablet, and her address is no brake.
    user_key = ratelimit.key(
        settings.secret_key,
        "login-device" if device else "login-user",
        f"{username.lower()}|{device}" if device else username.lower(),
    )
    address_key = ratelimit.key(settings.secret_key, "login-addr", client_rate_key(request))
    attempt = await anyio.to_thread.run_sync(_count_attempt, engine, username, user_key, address_key, device)

    if attempt.user_hits > FAILURES_PER_USERNAME:
        if attempt.user_hits == FAILURES_PER_USERNAME + 1 and attempt.user_id:
            await anyio.to_thread.run_sync(_record_lockout, engine, attempt.user_id)
        raise RateLimited(TOO_MANY, retry_after=ratelimit.seconds_left(LOGIN_WINDOW))
    if attempt.address_hits > ADDRESS_CEILING:
        raise RateLimited(TOO_MANY, retry_after=ratelimit.seconds_left(LOGIN_WINDOW))
    if attempt.address_hits > FAILURES_PER_ADDRESS:
        # Past its budget an address is slowed, not refused: behind one proxy, others' typos
        # must not lock out everyone with a correct password.
        await anyio.sleep(min(5.0, 0.1 * (attempt.address_hits - FAILURES_PER_ADDRESS)))

    ok, new_hash = await passwords.check(attempt.password_hash, data.password[:1024])
    session_key = await anyio.to_thread.run_sync(
        _finish_attempt, engine, attempt, ok, new_hash, user_key, address_key
    )
    if session_key is None:
        return await anyio.to_thread.run_sync(
            _login_page, request, WRONG_CREDENTIALS, 401, username, next_path
        )

    secure = settings.production
    response = Redirect(next_path, status_code=303)
    response.set_cookie(SESSION_COOKIE, session_key, httponly=True, samesite="lax", secure=secure, path="/")
    response.set_cookie(
        DEVICE_COOKIE,
        devices.remember(device_cookie, settings.secret_key, username),
        max_age=devices.MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/login",
    )
    # A new CSRF secret per login: nothing planted before the login survives it.
    response.set_cookie(csrf.csrf_cookie(csrf.new_cookie_value(), secure))
    return response


def unlock(session: Session, secret_key: str, username: str) -> None:
    """Forgets a username's failed logins (the admin's way to let its owner in at once)."""
    ratelimit.reset(session, ratelimit.key(secret_key, "login-user", username.lower()))


def _count_attempt(engine, username: str, user_key: str, address_key: str, device: str | None) -> _Attempt:
    with session_scope(engine) as session:
        user_hits = ratelimit.hit(session, user_key, LOGIN_WINDOW)
        address_hits = 0 if device else ratelimit.hit(session, address_key, LOGIN_WINDOW)
        user = service.active_user(session, username)
        if user is None:
            return _Attempt(user_hits, address_hits, None, None)
        return _Attempt(user_hits, address_hits, user.id, user.password_hash)


def _finish_attempt(
    engine, attempt: _Attempt, ok: bool, new_hash: str | None, user_key: str, address_key: str
) -> str | None:
    """The session's key after a correct password (the attempt's hits given back), else None
    (the hits stay: they were the failures)."""
    if not ok or attempt.user_id is None:
        return None
    with session_scope(engine) as session:
        ratelimit.reset(session, user_key)
        if attempt.address_hits:  # a known device's login was not counted against its address
            ratelimit.give_back(session, address_key)
        return service.start_session_for(session, attempt.user_id, new_hash)


def _record_lockout(engine, user_id: int) -> None:
    with session_scope(engine) as session:
        audit.record(session, None, None, "lockout", "user", str(user_id))


@post("/logout", name="accounts.logout", opt=allow(), sync_to_thread=True, include_in_schema=False)
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


@post("/language", name="accounts.language", opt=public(), sync_to_thread=True, include_in_schema=False)
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


@get("/api/v1/me", name="accounts.api.me", opt=allow())
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
