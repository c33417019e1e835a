"""Who is calling, in which language, and may they: one middleware and one guard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import Engine

from backend.accounts import device_credentials, service
from backend.accounts.access import PUBLIC, ROLES_KEY
from backend.accounts.service import CurrentUser
from backend.db.engine import session_scope
from backend.i18n import N_, negotiate

SESSION_COOKIE = "passerelle_session"
LANGUAGE_COOKIE = "passerelle_lang"
LOGIN_REQUIRED = N_("Please log in to continue.")
FORBIDDEN = N_("Your role does not give access to this page.")
# Where a bearer token is taken; under /fhir nothing else is (no cookie opens it).
TOKEN_PATHS = ("/api/", "/fhir")
FHIR = "/fhir"  # bearer tokens only
BAD_TOKEN = N_("The API token is invalid or has been revoked.")


class AuthMiddleware(ASGIMiddleware):
    """Sets `scope["user"]` (a CurrentUser or None) and `request.state.locale`."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, idle_minutes: int) -> None:
        self.idle = timedelta(minutes=idle_minutes)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request[Any, Any, Any] = Request(scope, receive)
        engine = request.app.state.engine
        authorization = request.headers.get("authorization", "")
        user: CurrentUser | None = None

        if authorization.lower().startswith("bearer "):
            # Tokens are for the API only, and a request bearing one ignores cookies (see csrf.py).
            secret = authorization[7:].strip()
            if secret.startswith(device_credentials.PREFIX):
                # A device's sync credential opens its few routes and nothing else: elsewhere
                # it is no one, and a route that needs someone answers 401.
                if (request.method, request.url.path) in device_credentials.ROUTES:
                    user = await anyio.to_thread.run_sync(_user_for_device, engine, secret)
            elif request.url.path.startswith(TOKEN_PATHS):
                user = await anyio.to_thread.run_sync(_user_for_token, engine, secret)
            request.state.bad_token = user is None
        elif (key := request.cookies.get(SESSION_COOKIE)) and not request.url.path.startswith(FHIR):
            user = await anyio.to_thread.run_sync(_user_for_session, engine, key, self.idle)
            request.state.session_expired = user is None

        scope["user"] = user
        if request.url.path.startswith(FHIR):
            # A system speaks for itself: its Accept-Language, else German (no saved preference).
            request.state.locale = negotiate(None, None, request.headers.get("accept-language"))
        else:
            request.state.locale = negotiate(
                user.language if user else None,
                request.cookies.get(LANGUAGE_COOKIE),
                request.headers.get("accept-language"),
            )
        await next_app(scope, receive, send)


def _user_for_session(engine: Engine, key: str, idle: timedelta) -> CurrentUser | None:
    with session_scope(engine, writes=False) as session:
        current, action = service.resume_session(session, key, idle)
    if action:  # now and then: a short write of its own, after the read
        with session_scope(engine) as session:
            service.note_session(session, key, action)
    return current


def _user_for_token(engine: Engine, secret: str) -> CurrentUser | None:
    with session_scope(engine, writes=False) as session:
        user, touch = service.user_for_token(session, secret)
        current = service.current_user(session, user, via_token=True) if user else None
    if touch:
        with session_scope(engine) as session:
            service.touch_token(session, secret)
    return current


def _user_for_device(engine: Engine, secret: str) -> CurrentUser | None:
    with session_scope(engine, writes=False) as session:
        current, touch = device_credentials.user_for_credential(session, secret)
    if touch:
        with session_scope(engine) as session:
            device_credentials.touch(session, secret)
    return current


def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Enforces the route's `roles` declaration; a route without one is closed (fail-safe)."""
    roles = handler.opt.get(ROLES_KEY)
    if roles == PUBLIC:
        return
    user: CurrentUser | None = connection.scope.get("user")
    if user is None:
        bad_token = getattr(connection.state, "bad_token", False)
        raise NotAuthorizedException(detail=BAD_TOKEN if bad_token else LOGIN_REQUIRED)
    if not roles or user.role not in roles:
        raise PermissionDeniedException(detail=FORBIDDEN)
