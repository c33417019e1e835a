"""Claiming due rows of an outbox (push notifications, FHIR subscription notifications) for one
delivery round, safely with any number of workers.

An outbox row has `id`, `status` ("pending" until delivered or given up), `next_attempt_at`,
`locked_until` (a lease) and `created_at`. A claim leases the oldest due rows for `lease`: a
worker that dies mid-round lets them fall due again when the lease ends. On PostgreSQL,
`FOR UPDATE SKIP LOCKED` lets workers claim side by side without waiting for each other; on
SQLite the writing unit's lock serialises them. A read comes first, since most rounds find
nothing and, on SQLite, a claim would take the write lock.

A stopping worker (SIGTERM) gives its leases back: `STOPPING` tells a round under way to begin
no new delivery, and `release_held` makes the rows it claimed but did not finish due at once,
for the next worker, instead of after the lease."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlmodel import col, select

from backend.db.engine import session_scope
from backend.db.types import utcnow

STOPPING = threading.Event()
"""Set when the process is stopping: deliveries not yet begun wait for the next worker."""
_held: dict[Any, dict[str, datetime]] = {}  # outbox model → id → the end of this process's lease
_held_lock = threading.Lock()


def claim_due(engine: Engine, table: Any, limit: int, lease: timedelta) -> list[str]:
    """The ids of up to `limit` due rows of `table` (an outbox model), now leased to the caller."""
    now = utcnow()
    due = (table.status == "pending", table.next_attempt_at <= now)
    with session_scope(engine, writes=False) as session:
        if session.exec(select(table.id).where(*due).limit(1)).first() is None:
            return []
    with session_scope(engine, writes=True) as session:
        query = (
            select(table)
            .where(*due, or_(col(table.locked_until).is_(None), col(table.locked_until) < now))
            .order_by(col(table.created_at))
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(session.exec(query).all())
        for row in rows:
            row.locked_until = now + lease
        ids = [row.id for row in rows]
    with _held_lock:
        _held.setdefault(table, {}).update(dict.fromkeys(ids, now + lease))
    return ids


def forget_held() -> None:
    """After a round that ended normally: its rows were delivered or rescheduled, leases ended.
    (A round that failed keeps its leases, as a pause before the rows are tried again.)"""
    with _held_lock:
        _held.clear()


def release_held(engine: Engine) -> int:
    """Ends the leases this process still holds on pending rows: they are due again at once.
    A lease another worker took since ours ran out ends later than ours and is left alone."""
    with _held_lock:
        held = {table: dict(ids) for table, ids in _held.items() if ids}
        _held.clear()
    released = 0
    for table, ids in held.items():
        with session_scope(engine, writes=True) as session:
            connection = session.connection()
            for row_id, until in ids.items():
                result = connection.execute(
                    update(table)
                    .where(
                        col(table.id) == row_id,
                        col(table.status) == "pending",
                        col(table.locked_until).is_not(None),
                        col(table.locked_until) <= until,
                    )
                    .values(locked_until=None)
                )
                released += result.rowcount or 0
    return released
