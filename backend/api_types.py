"""Small helpers the JSON APIs share."""

from __future__ import annotations

import uuid
from functools import cache

from sqlalchemy import Select, Table, bindparam, literal, select
from sqlmodel import Session, SQLModel

from backend.db.rows import table_of
from backend.errors import InvalidInput
from backend.i18n import N_

# A client-made id that is taken, whoever holds it: the answer never says a record exists.
ID_UNUSABLE = N_("This id cannot be used. Make a new one and send the record again.")


def checked_uuid(value: str | None, field: str = "id") -> str | None:
    """A client-made id (offline records bring their own), normalised; None stays None."""
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(N_("An id must be a UUID."), field=field) from None


def id_taken(session: Session, model: type[SQLModel], record_id: str) -> bool:
    """Whether a row of `model` has this id. A bare key lookup: loading the whole row to find
    out costs several times more, and offline syncs ask this for every record."""
    return session.connection().execute(_taken(table_of(model)), {"id": record_id}).first() is not None


@cache
def _taken(table: Table) -> Select[int]:
    return select(literal(1)).where(table.c.id == bindparam("id"))
