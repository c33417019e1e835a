"""POST /api/v1/sync: a batch of records made offline; an answer per record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import anyio.to_thread
from litestar import Request, post
from litestar.params import JSONBody

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.api_types import checked_uuid
from backend.errors import InvalidInput
from backend.i18n import N_
from backend.sync.service import MAX_RECORDS, apply_batch


@dataclass
class SyncRecordIn:
    """`data` is what the online API takes: for a `client` ClientIn (display_name, birth_year,
    municipality as BFS number, language, phone); for a `screening` ScreeningIn (client_id,
    instrument_id, instrument_version, answers, strengths, status); for a `referral` one offer
    with its consent: screening_id, service_id, need_domain, consent (ConsentIn), note,
    accept_warnings. Ids inside `data` are the device's ids of other records."""

    id: str
    type: Literal["client", "screening", "referral"]
    data: dict[str, Any]
    created_at: str | None = None


@dataclass
class SyncBatch:
    records: list[SyncRecordIn] = field(default_factory=list)


@dataclass
class SyncResult:
    id: str
    status: Literal["accepted", "duplicate", "rejected"]
    error: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class SyncAnswer:
    results: list[SyncResult]


@post("/api/v1/sync", opt=allow(Role.NURSE), tags=["Sync"], status_code=200)
async def sync(request: Request, data: JSONBody[SyncBatch]) -> SyncAnswer:
    """Applies each record on its own, exactly once; replaying one answers `duplicate`."""
    if len(data.records) > MAX_RECORDS:
        raise InvalidInput(N_("Send at most 500 records at a time."), field="records")
    records = []
    for record in data.records:
        records.append(
            {
                "id": checked_uuid(record.id, "records.id"),
                "type": record.type,
                "data": record.data,
                "created_at": record.created_at,
            }
        )
    user, locale, engine = request.scope["user"], request.state.locale, request.app.state.engine
    outcomes = await anyio.to_thread.run_sync(apply_batch, engine, user, records, locale)
    return SyncAnswer([SyncResult(o.id, o.status, o.error, o.errors) for o in outcomes])  # type: ignore[arg-type]


ROUTES = [sync]
