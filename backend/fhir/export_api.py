"""The client's data export as a FHIR Bundle (type collection), beside the JSON one on the client
page (clients.export). A page route for the logged-in nurse, not under /fhir (which takes
tokens only); the clients capability links to it by its name and never imports it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import Caller, Unit
from backend.fhir import export
from backend.fhir.api import base_url
from backend.fhir.outcome import FHIR_JSON

NURSES = allow(Role.NURSE)


@get(
    "/clients/{client_id:str}/export/fhir",
    name="fhir.client.export",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def export_client_fhir(
    request: Request[Any, Any, Any], client_id: FromPath[str], session: Unit, user: Caller
) -> Response[Any]:
    """Everything held about the client as a FHIR R4 Bundle file (the right of access); audited."""
    bundle = export.client_collection(session, user, client_id, base_url(request))
    return Response(
        bundle,
        media_type=FHIR_JSON,
        headers={"Content-Disposition": 'attachment; filename="passerelle-client.fhir.json"'},
    )


ROUTES = [export_client_fhir]
