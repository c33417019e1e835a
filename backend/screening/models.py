"""A screening: one instrument answered for one client, saved as a draft after every answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from backend.db.types import UTCDateTime, utcnow


class Screening(SQLModel, table=True):
    __tablename__ = "screening"

    id: str = Field(primary_key=True, max_length=36)  # uuid; made on the device when offline
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    client_id: str = Field(foreign_key="client.id", index=True, max_length=36)
    instrument_id: str = Field(max_length=60)
    instrument_version: str = Field(max_length=20)
    status: str = Field(default="draft", max_length=20)  # draft | completed
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    needs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    emergency: bool = Field(default=False)
    strengths: str | None = Field(default=None, max_length=2000)  # who helps already
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
