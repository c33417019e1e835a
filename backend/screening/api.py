"""/api/v1/screenings: a whole screening as JSON, checked like the pages check it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, JSONBody

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.api_types import ID_UNUSABLE, checked_uuid, id_taken
from backend.db.engine import session_scope
from backend.errors import InvalidInput
from backend.screening import service
from backend.screening.models import Screening

NURSES = allow(Role.NURSE)


@dataclass
class ScreeningIn:
    client_id: str
    instrument_id: str
    instrument_version: str
    answers: dict[str, Any] = field(default_factory=dict)  # linkId → answer (code, [codes], bool, int, text)
    strengths: str | None = None
    status: str = "completed"  # or "draft"
    id: str | None = None


@dataclass
class ScreeningOut:
    id: str
    client_id: str
    instrument_id: str
    instrument_version: str
    status: str
    answers: dict[str, Any]
    needs: dict[str, str]  # need domain → urgent | needed | wish
    emergency: bool
    strengths: str | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, s: Screening) -> ScreeningOut:
        return cls(
            s.id,
            s.client_id,
            s.instrument_id,
            s.instrument_version,
            s.status,
            s.answers,
            s.needs,
            s.emergency,
            s.strengths,
            s.created_at,
            s.completed_at,
        )


def create_screening(session, user, data: JSONBody[ScreeningIn]) -> Screening:
    screening_id = checked_uuid(data.id)
    if screening_id and id_taken(session, Screening, screening_id):
        raise InvalidInput(ID_UNUSABLE, field="id")
    return service.record_whole(
        session,
        user,
        str(data.client_id),
        str(data.instrument_id),
        str(data.instrument_version),
        data.answers,
        data.strengths,
        completed=data.status != "draft",
        screening_id=screening_id,
    )


@post(
    "/api/v1/screenings",
    name="screening.api.create",
    opt=NURSES,
    sync_to_thread=True,
    tags=["Screening"],
    status_code=201,
)
def post_screening(request: Request, data: JSONBody[ScreeningIn]) -> ScreeningOut:
    """Creates a screening for one of the organisation's clients; completed ones get their needs."""
    with session_scope(request.app.state.engine) as session:
        return ScreeningOut.of(create_screening(session, request.scope["user"], data))


@get(
    "/api/v1/screenings/{screening_id:str}",
    name="screening.api.show",
    opt=NURSES,
    sync_to_thread=True,
    tags=["Screening"],
)
def get_screening(request: Request, screening_id: FromPath[str]) -> ScreeningOut:
    with session_scope(request.app.state.engine) as session:
        return ScreeningOut.of(service.open_screening(session, request.scope["user"], screening_id))


ROUTES = [post_screening, get_screening]
