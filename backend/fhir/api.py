"""/fhir: the FHIR R4 REST API (bearer tokens only) — the read and search side of referrals.
Handlers stay thin: they read the request, call the services and map rows to resources
(task.py, patient.py, consent.py, procedure.py; search.py turns search parameters into SQL);
errors become OperationOutcomes (outcome.py).

Every read of personal data is audited like a page view: a read one row, a search one row per
match (written in one statement). Another organisation's ids answer 404, as unknown ones do."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath
from sqlmodel import Session, col, select

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.audit.models import AuditEvent
from backend.clients.models import Client
from backend.db.rows import insert_rows
from backend.deps import Caller, Unit
from backend.errors import NotFound
from backend.fhir import bundle, procedure, search
from backend.fhir import consent as consents
from backend.fhir import patient as patients
from backend.fhir import task as tasks
from backend.fhir.outcome import FHIR_JSON
from backend.fhir.version import etag
from backend.i18n import N_
from backend.referrals import service as referrals
from backend.referrals import states
from backend.referrals.models import Consent, Referral
from backend.web import request_locale

# Who may use /fhir at all; each interaction narrows it to what the UI would show them.
PEOPLE = allow(Role.NURSE, Role.COORDINATOR, Role.ORG_STAFF)
NO_SUCH = N_("No such resource, or not one your organisation may see.")


def base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def resource_response(resource: dict[str, Any], status: int = 200, tag: str | None = None) -> Response[Any]:
    headers = {"ETag": tag} if tag else {}
    return Response(resource, status_code=status, media_type=FHIR_JSON, headers=headers)


def query_pairs(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def audit_views(session: Session, user: CurrentUser, subject_type: str, ids: list[str]) -> None:
    """One audit row per record shown, in one statement (a page of 200 stays cheap)."""
    rows = [
        {
            "user_id": user.id,
            "organisation_id": user.organisation_id,
            "action": "view",
            "subject_type": subject_type,
            "subject_id": ident,
        }
        for ident in dict.fromkeys(ids)
    ]
    insert_rows(session, AuditEvent, *rows)


def opened(session: Session, user: CurrentUser, ident: str) -> tuple[Referral, bool]:
    """A referral the caller's organisation sent (True) or receives (False); audited."""
    try:
        return referrals.open_for(session, user, ident)
    except NotFound:
        raise NotFound(NO_SUCH) from None


def searchset(
    request: Request[Any, Any, Any],
    resource_type: str,
    matches: list[dict[str, Any]],
    found: search.Page,
    included: list[dict[str, Any]] | None = None,
) -> Response[Any]:
    pairs = query_pairs(request)
    following = search.next_params(pairs, found.next_cursor) if found.next_cursor else None
    result = bundle.searchset(
        base_url(request), resource_type, matches, pairs, found.total, following, included
    )
    return resource_response(result)


# --- Task and ServiceRequest (a referral) --------------------------------------------------


@get("/fhir/Task/{id:str}", name="fhir.task.read", opt=PEOPLE, sync_to_thread=True)
def read_task(id: FromPath[str], session: Unit, user: Caller) -> Response[Any]:
    """A referral the caller's organisation sent or receives (another's: 404); audited."""
    referral, as_sender = opened(session, user, id)
    return resource_response(tasks.task(referral, as_sender), tag=etag(referral.updated_at))


@get("/fhir/Task", name="fhir.task.search", opt=PEOPLE, sync_to_thread=True)
def search_tasks(request: Request[Any, Any, Any], session: Unit, user: Caller) -> Response[Any]:
    """Tasks the caller's organisation sent or receives; `_include=Task:focus` adds their
    ServiceRequests. E.g. GET /fhir/Task?owner=Organization/<id>&status=requested."""
    found, include = search.tasks(session, user, query_pairs(request))
    org = user.organisation_id
    sender = [r.organisation_id == org for r in found.referrals]
    matches = [tasks.task(r, s) for r, s in zip(found.referrals, sender, strict=True)]
    included = (
        [tasks.service_request(r, s) for r, s in zip(found.referrals, sender, strict=True)]
        if include
        else None
    )
    audit_views(session, user, "referral", [r.id for r in found.referrals])
    return searchset(request, "Task", matches, found, included)


@get("/fhir/ServiceRequest/{id:str}", name="fhir.service_request.read", opt=PEOPLE, sync_to_thread=True)
def read_service_request(id: FromPath[str], session: Unit, user: Caller) -> Response[Any]:
    referral, as_sender = opened(session, user, id)
    return resource_response(tasks.service_request(referral, as_sender), tag=etag(referral.updated_at))


@get("/fhir/ServiceRequest", name="fhir.service_request.search", opt=PEOPLE, sync_to_thread=True)
def search_service_requests(request: Request[Any, Any, Any], session: Unit, user: Caller) -> Response[Any]:
    found = search.service_requests(session, user, query_pairs(request))
    org = user.organisation_id
    matches = [tasks.service_request(r, r.organisation_id == org) for r in found.referrals]
    audit_views(session, user, "referral", [r.id for r in found.referrals])
    return searchset(request, "ServiceRequest", matches, found)


@get("/fhir/Procedure/{id:str}", name="fhir.procedure.read", opt=PEOPLE, sync_to_thread=True)
def read_procedure(id: FromPath[str], session: Unit, user: Caller) -> Response[Any]:
    """What the receiving organisation did: only once the referral has an outcome."""
    referral, as_sender = opened(session, user, id)
    if not procedure.exists(referral):
        raise NotFound(NO_SUCH)
    return resource_response(procedure.procedure(referral, as_sender), tag=etag(referral.updated_at))


# --- Patient -------------------------------------------------------------------------------


@get("/fhir/Patient/{id:str}", name="fhir.patient.read", opt=PEOPLE, sync_to_thread=True)
def read_patient(id: FromPath[str], session: Unit, user: Caller) -> Response[Any]:
    """The referring organisation's client (Patient/<client id>), or for the receiving
    organisation the referral's shared copy (Patient/<referral id>); audited as a view."""
    client = session.get(Client, id)
    if (
        client is not None
        and user.organisation_id is not None
        and client.organisation_id == user.organisation_id
    ):
        audit_views(session, user, "client", [client.id])
        return resource_response(patients.for_sender(client), tag=etag(client.updated_at))
    referral = session.get(Referral, id)
    if (
        referral is None
        or user.organisation_id is None
        or referral.receiving_organisation_id != user.organisation_id
        or referral.status == states.Status.DRAFT
    ):
        raise NotFound(NO_SUCH)
    audit_views(session, user, "referral", [referral.id])
    return resource_response(patients.for_receiver(referral), tag=etag(referral.updated_at))


# --- Consent -------------------------------------------------------------------------------


def received_with(session: Session, user: CurrentUser, consent_ids: list[str]) -> dict[str, list[Referral]]:
    """The referrals carrying these consents that the caller's organisation receives."""
    if not consent_ids or user.organisation_id is None:
        return {}
    query = (
        select(Referral)
        .where(
            col(Referral.consent_id).in_(consent_ids),
            col(Referral.receiving_organisation_id) == user.organisation_id,
            col(Referral.status) != states.Status.DRAFT.value,
        )
        .order_by(col(Referral.created_at), col(Referral.id))
    )
    found: dict[str, list[Referral]] = {}
    for referral in session.exec(query).all():
        found.setdefault(referral.consent_id or "", []).append(referral)
    return found


def consent_view(
    row: Consent, user: CurrentUser, received: list[Referral], locale: str
) -> dict[str, Any] | None:
    """The recording organisation sees it whole; a receiver as the patient of its (first)
    referral, with only itself among the recipients. None: not the caller's to see."""
    if user.organisation_id is not None and row.organisation_id == user.organisation_id:
        return consents.consent(row, row.client_id, locale=locale)
    if not received:
        return None
    mine = {r.directory_organization_id for r in received}
    recipients = [org for org in row.recipients if org in mine]
    return consents.consent(row, received[0].id, recipients, locale=locale)


@get("/fhir/Consent/{id:str}", name="fhir.consent.read", opt=PEOPLE, sync_to_thread=True)
def read_consent(
    request: Request[Any, Any, Any], id: FromPath[str], session: Unit, user: Caller
) -> Response[Any]:
    """For the organisation that recorded it and for receivers of referrals carrying it."""
    row = session.get(Consent, id)
    resource = None
    if row is not None:
        received = received_with(session, user, [row.id]).get(row.id, [])
        resource = consent_view(row, user, received, request_locale(request))
    if row is None or resource is None:
        raise NotFound(NO_SUCH)
    audit_views(session, user, "consent", [row.id])
    return resource_response(resource)


@get("/fhir/Consent", name="fhir.consent.search", opt=PEOPLE, sync_to_thread=True)
def search_consents(request: Request[Any, Any, Any], session: Unit, user: Caller) -> Response[Any]:
    """`_id` (comma: any of them); without it, every consent the caller may see."""
    pairs = query_pairs(request)
    found = search.consents(session, user, pairs)
    received = received_with(session, user, [row.id for row in found.rows])
    locale = request_locale(request)
    matches = [consent_view(row, user, received.get(row.id, []), locale) for row in found.rows]
    shown = [m for m in matches if m is not None]
    audit_views(session, user, "consent", [m["id"] for m in shown])
    following = search.next_params(pairs, found.next_cursor) if found.next_cursor else None
    result = bundle.searchset(base_url(request), "Consent", shown, pairs, found.total, following)
    return resource_response(result)


ROUTES = [
    read_task,
    search_tasks,
    read_service_request,
    search_service_requests,
    read_procedure,
    read_patient,
    read_consent,
    search_consents,
]
