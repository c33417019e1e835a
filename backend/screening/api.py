"""/api/v1/screenings: a whole screening as JSON, checked like the pages check it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import get, post
from litestar.params import FromPath, JSONBody

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import Caller, Unit
from backend.screening import service
from backend.screening.models import Screening
from backend.screening.service import ScreeningIn, create_screening

NURSES = allow(Role.NURSE)


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


@post(
    "/api/v1/screenings",
    name="screening.api.create",
    opt=NURSES,
    sync_to_thread=True,
    tags=["Screening"],
    status_code=201,
)
def post_screening(data: JSONBody[ScreeningIn], session: Unit, user: Caller) -> ScreeningOut:
    """Creates a screening for one of the organisation's clients; completed ones get their needs."""
    return ScreeningOut.of(create_screening(session, user, data))


@get(
    "/api/v1/screenings/{screening_id:str}",
    name="screening.api.show",
    opt=NURSES,
    sync_to_thread=True,
    tags=["Screening"],
)
def get_screening(screening_id: FromPath[str], session: Unit, user: Caller) -> ScreeningOut:
    return ScreeningOut.of(service.open_screening(session, user, screening_id))


ROUTES = [post_screening, get_screening]
