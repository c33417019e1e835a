"""Login and logout pages and the language switcher (who-am-I for API clients: api.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import anyio
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from backend.accounts import device_credentials, devices, passwords, service
from backend.accounts.access import allow, public
from backend.accounts.auth import LANGUAGE_COOKIE, SESSION_COOKIE
from backend.accounts.devices import DEVICE_COOKIE
from backend.accounts.models import User
from backend.audit import models as audit
from backend.deps import AppEngine, AppSettings, Caller, MaybeCaller, Unit, run_unit
from backend.errors import RateLimited
from backend.i18n import LANGUAGES, N_, translate
from backend.security import csrf, ratelimit
from backend.security.addresses import client_rate_key
from backend.system import metrics
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


def _has_demo(session: Session) -> bool:
    return session.exec(select(User.id).where(User.is_demo == True)).first() is not None  # noqa: E712


def _login_page(
    request: Request,
    demo: bool,
    error: str | None,
    status: int,
    username: str = "",
    next_path: str = "/",
    **params: Any,
) -> Template:
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
def login_page(
    request: Request, reader: Unit, user: MaybeCaller, next: FromQuery[str] = "/"
) -> Template | Redirect:
    if user:
        return Redirect(safe_next(next), status_code=303)
    expired = getattr(request.state, "session_expired", False)
    message = SESSION_EXPIRED if expired else None
    return _login_page(request, _has_demo(reader), message, 200, next_path=safe_next(next))


@dataclass(frozen=True)
class _Attempt:
    """What a login attempt counted and read, before its password is checked."""

    user_hits: int
    address_hits: int
    user_id: int | None
    password_hash: str | None


@post("/login", name="accounts.authenticate", opt=public(), include_in_schema=False)
async def login(
    request: Request, data: Annotated[LoginForm, FORM], settings: AppSettings, engine: AppEngine
) -> Template | Redirect:
    """Three steps, so that no transaction is open while the password is hashed: count the
    attempt (atomically, before the check: parallel guesses cannot slip past the limit), check
    the password, then write down the outcome. Async, each step a unit of its own (`run_unit`)."""
    next_path = safe_next(data.next)
    username = data.username.strip()[:80]
    if not username or not data.password:
        demo = await run_unit(engine, _has_demo, writes=False)
        return _login_page(request, demo, MISSING, 400, username, next_path)

    device_cookie = request.cookies.get(DEVICE_COOKIE)
    device = devices.known_device(device_cookie, settings.secret_key, username)
    # A device the user logged in on before has a budget of its own: strangers guessing her
    # password elsewhere do not lock her out of her tablet, and her address is no brake.
    user_key = service.login_key(settings.secret_key, username, device)
    address_key = ratelimit.key(settings.secret_key, "login-addr", client_rate_key(request))
    attempt = await run_unit(engine, _count_attempt, username, user_key, address_key, device)

    if attempt.user_hits > FAILURES_PER_USERNAME or attempt.address_hits > ADDRESS_CEILING:
        metrics.LOGIN_FAILURES.labels("rate_limited").inc()
    if attempt.user_hits > FAILURES_PER_USERNAME:
        if attempt.user_hits == FAILURES_PER_USERNAME + 1:
            metrics.LOGIN_LOCKOUTS.inc()
        if attempt.user_hits == FAILURES_PER_USERNAME + 1 and attempt.user_id:
            await run_unit(engine, _record_lockout, attempt.user_id)
        raise RateLimited(TOO_MANY, retry_after=ratelimit.seconds_left(LOGIN_WINDOW))
    if attempt.address_hits > ADDRESS_CEILING:
        raise RateLimited(TOO_MANY, retry_after=ratelimit.seconds_left(LOGIN_WINDOW))
    if attempt.address_hits > FAILURES_PER_ADDRESS:
        # Past its budget an address is slowed, not refused: behind one proxy, others' typos
        # must not lock out everyone with a correct password.
        await anyio.sleep(min(5.0, 0.1 * (attempt.address_hits - FAILURES_PER_ADDRESS)))

    ok, new_hash = await passwords.check(attempt.password_hash, data.password[:1024])
    # After a correct password the attempt's hits are given back; else they stay (the failures).
    session_key = (
        await run_unit(engine, _start_session, attempt.user_id, attempt, new_hash, user_key, address_key)
        if ok and attempt.user_id is not None
        else None
    )
    if session_key is None:
        metrics.LOGIN_FAILURES.labels("wrong_credentials").inc()
        demo = await run_unit(engine, _has_demo, writes=False)
        return _login_page(request, demo, WRONG_CREDENTIALS, 401, username, next_path)

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
        path=request.app.route_reverse("accounts.login"),
    )
    # A new CSRF secret per login: nothing planted before the login survives it.
    response.set_cookie(csrf.csrf_cookie(csrf.new_cookie_value(), secure))
    return response


def _count_attempt(
    session: Session, username: str, user_key: str, address_key: str, device: str | None
) -> _Attempt:
    user_hits = ratelimit.hit(session, user_key, LOGIN_WINDOW)
    address_hits = 0 if device else ratelimit.hit(session, address_key, LOGIN_WINDOW)
    user = service.active_user(session, username)
    if user is None:
        return _Attempt(user_hits, address_hits, None, None)
    return _Attempt(user_hits, address_hits, user.id, user.password_hash)


def _start_session(
    session: Session, user_id: int, attempt: _Attempt, new_hash: str | None, user_key: str, address_key: str
) -> str:
    """The session's key after a correct password; the attempt's hits are given back."""
    ratelimit.reset(session, user_key)
    if attempt.address_hits:  # a known device's login was not counted against its address
        ratelimit.give_back(session, address_key)
    return service.start_session_for(session, user_id, new_hash)


def _record_lockout(session: Session, user_id: int) -> None:
    audit.record(session, None, None, "lockout", "user", str(user_id))


@post("/logout", name="accounts.logout", opt=allow(), sync_to_thread=True, include_in_schema=False)
def logout(request: Request, session: Unit, settings: AppSettings, user: Caller) -> Redirect:
    key = request.cookies.get(SESSION_COOKIE)
    if key:
        service.end_session(session, key)
        # The sync credential this login gave the device ends with it (issue 17, item 4).
        login = service.session_id(key)
        for revoked in device_credentials.revoke_for_login(session, login, user.id):
            audit.record(session, user.id, user.organisation_id, "revoke", "sync_credential", str(revoked))
    response = Redirect(request.app.route_reverse("accounts.login"), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.set_cookie(csrf.csrf_cookie(csrf.new_cookie_value(), settings.production))
    # Tell the browser to forget anything it may hold for this origin's pages.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@post("/language", name="accounts.language", opt=public(), sync_to_thread=True, include_in_schema=False)
def switch_language(
    data: Annotated[LanguageForm, FORM], session: Unit, user: MaybeCaller, settings: AppSettings
) -> Redirect:
    response = Redirect(safe_next(data.next), status_code=303)
    if data.lang not in LANGUAGES:
        return response
    if user:
        service.set_language(session, user.id, data.lang)
    response.set_cookie(
        LANGUAGE_COOKIE,
        data.lang,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.production,
        path="/",
    )
    return response


ROUTES = [login_page, login, logout, switch_language]
