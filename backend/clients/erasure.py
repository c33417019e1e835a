"""A client's right of access and to erasure (revDSG art. 25, 32): everything we hold about
one client as JSON, and erasing it. Erasure keeps the anonymous statistics a referral carries
(need, district, language, status and its timestamps) and removes everything personal:
the client, the screenings' answers, consents, what was shared and internal notes.

The client's screenings and referrals belong to capabilities above this one: they add their
part of the export (`provide_export`) and erase or anonymise their rows when the event
ClientErasing is recorded, both wired at start-up (backend/capabilities.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from backend import events
from backend.accounts.service import CurrentUser
from backend.audit.models import record
from backend.clients.models import Client
from backend.clients.service import open_client
from backend.i18n import N_

ERASED = N_("The client asked for erasure.")

ExportPart = Callable[[Session, Client], dict[str, Any]]
_export_parts: list[ExportPart] = []


@dataclass(frozen=True)
class ClientErasing:
    """The client is about to be erased, in this transaction: whoever holds rows about them
    removes or anonymises them now (the client's row goes once every handler has run)."""

    client: Client
    user: CurrentUser


def provide_export(part: ExportPart) -> None:
    """Adds a capability's part (e.g. {"screenings": [...]}) to every export, in the order
    provided; idempotent."""
    if part not in _export_parts:
        _export_parts.append(part)


def as_row(obj: Any) -> dict[str, Any]:
    """A table row as JSON-ready values."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in obj.model_dump().items()}


def export(session: Session, user: CurrentUser, client_id: str) -> dict[str, Any]:
    client = open_client(session, user, client_id)
    data = {"client": as_row(client)}
    for part in _export_parts:
        data.update(part(session, client))
    record(session, user.id, user.organisation_id, "export", "client", client.id)
    return data


def erase(session: Session, user: CurrentUser, client_id: str) -> None:
    client = open_client(session, user, client_id)
    events.record(session, ClientErasing(client, user))
    session.flush()
    session.delete(client)
    record(session, user.id, user.organisation_id, "erase", "client", client_id)
