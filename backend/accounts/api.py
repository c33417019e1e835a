"""GET /api/v1/me: who-am-I for API clients and the offline outbox (with the CSRF token)."""

from __future__ import annotations

from litestar import Request, Response, get

from backend.accounts.access import allow
from backend.deps import Caller


@get("/api/v1/me", name="accounts.api.me", opt=allow())
async def me(request: Request, user: Caller) -> Response:
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


ROUTES = [me]
