"""/fhir/Practitioner and /fhir/PractitionerRole: a colleague of the caller's own organisation,
read by id (another organisation's people, and unknown ids, answer 404)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.params import FromPath
from sqlmodel import Session

from backend.accounts.models import User
from backend.accounts.service import CurrentUser
from backend.deps import Caller, Unit
from backend.errors import NotFound
from backend.fhir import staff
from backend.fhir.api import NO_SUCH, PEOPLE, resource_response


def colleague(session: Session, user: CurrentUser, ident: str) -> User:
    found = session.get(User, int(ident)) if ident.isdecimal() and len(ident) < 10 else None
    if found is None or user.organisation_id is None or found.organisation_id != user.organisation_id:
        raise NotFound(NO_SUCH)
    return found


@get("/fhir/Practitioner/{id:str}", name="fhir.practitioner.read", opt=PEOPLE, sync_to_thread=True)
def read_practitioner(id: FromPath[str], reader: Unit, user: Caller) -> Response[Any]:
    return resource_response(staff.practitioner(colleague(reader, user, id)))


@get("/fhir/PractitionerRole/{id:str}", name="fhir.practitioner_role.read", opt=PEOPLE, sync_to_thread=True)
def read_practitioner_role(id: FromPath[str], reader: Unit, user: Caller) -> Response[Any]:
    return resource_response(staff.practitioner_role(colleague(reader, user, id)))


ROUTES = [read_practitioner, read_practitioner_role]
