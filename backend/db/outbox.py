"""Claiming due rows of an outbox (push notifications, FHIR subscription notifications) for one
delivery round, safely with any number of workers.

An outbox row has `id`, `status` ("pending" until delivered or given up), `next_attempt_at`,
`locked_until` (a lease) and `created_at`. A claim leases the oldest due rows for `lease`: a
worker that dies mid-round lets them fall due again when the lease ends. On PostgreSQL,
`FOR UPDATE SKIP LOCKED` lets workers claim side by side without waiting for each other; on
SQLite the writing unit's lock serialises them. A read comes first, since most rounds find
nothing and, on SQLite, a claim would take the write lock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, or_
from sqlmodel import col, select

from backend.db.engine import session_scope
from backend.db.types import utcnow


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
        return [row.id for row in rows]
