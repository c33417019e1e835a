"""A client holds the least that screening and referral need: no full name required, no
address, no insurance number."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.db.types import UTCDateTime, utcnow


class Client(SQLModel, table=True):
    __tablename__ = "client"

    id: str = Field(primary_key=True, max_length=36)  # uuid; made on the device when offline
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    display_name: str = Field(max_length=80)  # name or initials, as the nurse chooses
    birth_year: int
    municipality: int  # BFS number
    language: str = Field(max_length=5)
    phone: str | None = Field(default=None, max_length=30)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
