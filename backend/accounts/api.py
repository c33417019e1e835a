"""GET /api/v1/me: who-am-I for API clients and the offline outbox (with the CSRF token);
POST /api/v1/sync/credential: a device's own sync credential (device_credentials.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from litestar import Request, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody
from sqlmodel import Session

from backend.accounts import device_credentials, service
from backend.accounts.access import allow
from backend.accounts.auth import FORBIDDEN, SESSION_COOKIE
from backend.accounts.models import Organisation
from backend.accounts.service import CurrentUser
from backend.audit import models as audit
from backend.deps import AppEngine, AppSettings, Caller, run_unit
from backend.errors import RateLimited
from backend.i18n import N_
from backend.security import ratelimit
from backend.security.addresses import client_rate_key

# As for logins: a few per quarter hour per account, more per address (a ward's shared network).
CREDENTIAL_WINDOW = timedelta(minutes=15)
CREDENTIALS_PER_USER = 10
CREDENTIALS_PER_ADDRESS = 60
TOO_MANY_CREDENTIALS = N_("Too many requests for a sync credential. Please wait %(minutes)s minutes.")


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


@dataclass
class CredentialIn:
    replaces: str | None = None  # the device's current credential, revoked by the new one


@post(
    "/api/v1/sync/credential",
    name="accounts.api.sync_credential",
    opt=allow(*device_credentials.SYNCING_ROLES),
    tags=["Sync"],
    status_code=201,
)
async def sync_credential(
    request: Request, data: JSONBody[CredentialIn], user: Caller, settings: AppSettings, engine: AppEngine
) -> Response:
    """A credential of this device's own, so that its outbox sends without a UI session. Only
    from a logged-in page (a session cookie and its CSRF token; never with a token), only for
    nurses of a home-care organisation. The answer is the only place the credential is ever
    shown; it opens POST /api/v1/sync and the directory snapshot, nothing else."""
    session_key = request.cookies.get(SESSION_COOKIE)
    if user.via_token or user.via_device or not session_key:
        raise PermissionDeniedException(detail=FORBIDDEN)
    for kind, value, limit in (
        ("sync-credential-user", str(user.id), CREDENTIALS_PER_USER),
        ("sync-credential-addr", client_rate_key(request), CREDENTIALS_PER_ADDRESS),
    ):
        bucket = ratelimit.key(settings.secret_key, kind, value)
        wait = await run_unit(engine, ratelimit.count, bucket, limit, CREDENTIAL_WINDOW)
        if wait is not None:
            raise RateLimited(TOO_MANY_CREDENTIALS, retry_after=wait)
    label = device_credentials.device_label(request.headers.get("user-agent"))
    issued = await run_unit(
        engine,
        _issue,
        user,
        label,
        settings.sync_credential_hours,
        service.session_id(session_key),
        (data.replaces or "")[:200] or None,
    )
    if issued is None:
        raise PermissionDeniedException(detail=FORBIDDEN)
    return Response(
        {
            "token": issued.token,
            "username": user.username,
            "expires_at": issued.row.expires_at.isoformat(),
        },
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


def _issue(
    session: Session, user: CurrentUser, label: str, hours: int, login: str, replaces: str | None
) -> device_credentials.Issued | None:
    organisation = session.get(Organisation, user.organisation_id) if user.organisation_id else None
    if not device_credentials.may_hold(user, organisation.type if organisation else None):
        return None
    issued = device_credentials.issue(
        session, user, label=label, hours=hours, login_session=login, replaces=replaces
    )
    audit.record(session, user.id, user.organisation_id, "create", "sync_credential", str(issued.row.id))
    return issued


ROUTES = [me, sync_credential]
