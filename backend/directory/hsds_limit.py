"""A budget for anonymous callers of the open HSDS API, per client address (IPv6 by its /64).

A page of 200 services costs a few hundred milliseconds to build, so a few anonymous callers
could keep every web process busy. People logged in (a session) and API clients with a valid
token are not counted: they are known and few. Each counted request is one short write unit
of its own (the counter), never part of the read that builds the answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import Engine

from backend.accounts import service
from backend.db.engine import session_scope
from backend.errors import RateLimited
from backend.i18n import N_
from backend.security import ratelimit
from backend.security.addresses import client_rate_key

LIMIT = 120
WINDOW = timedelta(minutes=1)
TOO_MANY = N_(
    "Too many requests from this connection. Please wait a minute, and ask again with the "
    "ETag of the answers you already have."
)


async def anonymous_limit(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """Route guard: 429 with Retry-After once an anonymous address used up its minute."""
    if connection.scope.get("user") is not None:
        return
    state = connection.app.state
    bucket = ratelimit.key(state.settings.secret_key, "hsds", client_rate_key(connection))
    authorization = connection.headers.get("authorization", "")
    token = authorization[7:].strip() if authorization.lower().startswith("bearer ") else None
    wait = await anyio.to_thread.run_sync(_count, state.engine, bucket, token)
    if wait is not None:
        raise RateLimited(TOO_MANY, retry_after=wait)


def _count(engine: Engine, bucket: str, token: str | None) -> int | None:
    """Seconds to wait, or None. A presented token must be valid to skip the count."""
    if token and _valid_token(engine, token):
        return None
    with session_scope(engine) as session:
        return ratelimit.count(session, bucket, LIMIT, WINDOW)


def _valid_token(engine: Engine, token: str) -> bool:
    with session_scope(engine, writes=False) as session:
        user, _touch = service.user_for_token(session, token)  # noting its use is the API's business
    return user is not None
