"""/api/v1/follow-ups: the nurse organisation's follow-ups as JSON (cookie session with CSRF,
or a bearer token): an API client's view of the start page's due list. No names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from litestar import get
from litestar.params import FromQuery

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import Caller, Unit
from backend.errors import DomainError
from backend.followup import service
from backend.followup.models import FollowUp
from backend.i18n import N_

NURSES = allow(Role.NURSE)


@dataclass
class FollowUpOut:
    id: str
    client_id: str
    screening_id: str
    needs: list[str]  # the referred need domains (vocabulary codes)
    due_on: date
    status: str  # due | done | skipped
    reason: str  # after-help | no-help

    @classmethod
    def of(cls, f: FollowUp) -> FollowUpOut:
        return cls(f.id, f.client_id, f.screening_id, list(f.needs), f.due_on, f.status, f.reason)


@get("/api/v1/follow-ups", name="followup.api.list", opt=NURSES, sync_to_thread=True, tags=["Follow-ups"])
def list_follow_ups(
    reader: Unit, user: Caller, due: FromQuery[str | None] = None, client_id: FromQuery[str | None] = None
) -> list[FollowUpOut]:
    """The organisation's follow-ups, oldest due date first (at most 200). `?due=1`: only those
    due now (due today or earlier and neither recorded nor skipped). `?client_id=`: one client's
    (a tablet taking her along asks for hers only)."""
    if due not in (None, "0", "1"):
        raise DomainError(N_("The parameter “due” must be 0 or 1."))
    return [FollowUpOut.of(f) for f in service.listed(reader, user, due_only=due == "1", client_id=client_id)]


ROUTES = [list_follow_ups]
