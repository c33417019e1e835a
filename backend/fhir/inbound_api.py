"""POST /fhir: a transaction Bundle from a referring organisation's system (a hospital's discharge
team, a GP practice) becomes a referral (inbound.py does the work).

Only a referring professional's token (role nurse) may send; coordinators and analysts get 403.
A body over 1 MB is refused before it is read to the end (413, as an OperationOutcome: the
limit is this route's, and system/errors.py shapes every error under /fhir)."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response, post
from litestar.params import RawBody

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import AppSettings, Caller, Unit
from backend.fhir import inbound
from backend.fhir.outcome import FHIR_JSON
from backend.i18n import translate
from backend.web import request_locale


@post(
    "/fhir",
    name="fhir.transaction",
    opt=allow(Role.NURSE),
    sync_to_thread=True,
    request_max_body_size=inbound.MAX_BYTES,
    status_code=200,
)
def transaction(
    request: Request[Any, Any, Any], body: RawBody, session: Unit, user: Caller, settings: AppSettings
) -> Response[Any]:
    """A referral Bundle: 200 with a transaction-response (201 Created per entry; 200 OK when
    the same Bundle came before and nothing new was made), or an OperationOutcome (4xx)."""
    today = date.today()
    assert user.organisation_id is not None  # a nurse belongs to an organisation
    wanted = inbound.read(inbound.decode(body), user.organisation_id, today)
    received = inbound.receive(session, user, wanted, settings.secret_key, today)
    not_stored = translate(request_locale(request), inbound.NOT_STORED)
    return Response(
        inbound.response_bundle(wanted, received, not_stored), status_code=200, media_type=FHIR_JSON
    )


ROUTES = [transaction]
