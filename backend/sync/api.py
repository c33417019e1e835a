"""POST /api/v1/sync: a batch of records made offline; an answer per record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import anyio.to_thread
from litestar import Request, post
from litestar.params import JSONBody
from sqlalchemy.exc import OperationalError

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.db.engine import is_unavailable
from backend.deps import AppEngine, Caller
from backend.errors import DatabaseUnavailable
from backend.sync.schema import RawBatch, SyncDTO
from backend.sync.service import apply_batch


@dataclass
class SyncResult:
    id: str
    status: Literal["accepted", "duplicate", "rejected"]
    error: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class SyncAnswer:
    results: list[SyncResult]


@post(
    "/api/v1/sync",
    name="sync.api.batch",
    opt=allow(Role.NURSE),
    tags=["Sync"],
    status_code=200,
    dto=SyncDTO,
    return_dto=None,
)
async def sync(request: Request, data: JSONBody[RawBatch], user: Caller, engine: AppEngine) -> SyncAnswer:
    """Applies each record on its own, exactly once; replaying one answers `duplicate`. Each
    record is checked against its type's schema (`SyncBatch`): one that does not fit, or
    that fails in any other way, is answered `rejected` with the reason, and never stops the
    others. `data` inside a record is what the online API takes; ids inside it are the
    device's ids of other records. Async: each record is a unit of its own (`apply_batch`)."""
    locale = request.state.locale
    try:
        outcomes = await anyio.to_thread.run_sync(apply_batch, engine, user, data.records, locale)
    except OperationalError as error:  # the database, not a record: the device tries again later
        raise DatabaseUnavailable() from error
    except Exception as error:
        if is_unavailable(error):  # a connection lost mid-batch: what was committed answers duplicate
            raise DatabaseUnavailable() from error
        raise
    return SyncAnswer([SyncResult(o.id, o.status, o.error, o.errors) for o in outcomes])


ROUTES = [sync]
