"""Append-only rows (audit entries, referral history, the notification outbox, received sync
records) written as plain inserts: nothing reads them back as objects, so there is no object
to build and track — which matters where an offline sync writes thousands."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, Table
from sqlmodel import Session, SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for statements that build no objects (inserts, upserts)."""
    table: Table = model.__table__  # type: ignore[attr-defined]  # set by SQLModel, not declared
    return table


def insert_rows(session: Session, model: type[SQLModel], *rows: dict[str, Any]) -> None:
    """Writes the rows at once, in the session's transaction. Columns left out get their
    defaults (timestamps, statuses) as with the ORM."""
    if rows:
        session.connection().execute(_insert(table_of(model)), list(rows))


@cache
def _insert(table: Table) -> Insert:
    return table.insert()  # built once per table: building a statement costs more than running it
