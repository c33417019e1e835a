"""/fhir: the FHIR R4 REST API (bearer tokens only). Handlers stay thin: they read the request,
call the services and map rows to resources; errors become OperationOutcomes (outcome.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import Caller, Unit
from backend.errors import NotFound
from backend.fhir import task as tasks
from backend.fhir.outcome import FHIR_JSON
from backend.fhir.version import etag
from backend.i18n import N_
from backend.referrals import service as referrals

# Who may use /fhir at all; each interaction narrows it to what the UI would show them.
PEOPLE = allow(Role.NURSE, Role.COORDINATOR, Role.ORG_STAFF)
NO_SUCH = N_("No such resource, or not one your organisation may see.")


def base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def resource_response(resource: dict[str, Any], status: int = 200, tag: str | None = None) -> Response[Any]:
    headers = {"ETag": tag} if tag else {}
    return Response(resource, status_code=status, media_type=FHIR_JSON, headers=headers)


@get("/fhir/Task/{id:str}", name="fhir.task.read", opt=PEOPLE, sync_to_thread=True)
def read_task(id: FromPath[str], session: Unit, user: Caller) -> Response[Any]:
    """A referral the caller's organisation sent or receives (another's: 404); audited."""
    try:
        referral, as_sender = referrals.open_for(session, user, id)
    except NotFound:
        raise NotFound(NO_SUCH) from None
    return resource_response(tasks.task(referral, as_sender), tag=etag(referral.updated_at))


ROUTES = [read_task]
