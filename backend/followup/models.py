"""A follow-up: one per nurse screening whose referrals have all closed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from backend.db.types import UTCDateTime, utcnow


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_up"
    # The due list: an organisation's follow-ups in one status, by due date (start page, API).
    __table_args__ = (Index("ix_follow_up_org_status_due", "organisation_id", "status", "due_on"),)

    id: str = Field(primary_key=True, max_length=36)  # uuid; may be made on a device later
    organisation_id: int = Field(foreign_key="organisation.id")
    client_id: str = Field(foreign_key="client.id", index=True, max_length=36)
    # The baseline screening: one follow-up per screening.
    screening_id: str = Field(foreign_key="screening.id", unique=True, max_length=36)
    reason: str = Field(max_length=20)  # due.AFTER_HELP | due.NO_HELP
    needs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    due_on: date
    status: str = Field(default="due", max_length=20)  # due | done | skipped
    skip_reason: str | None = Field(default=None, max_length=20)  # due.SKIP_REASONS
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    instrument_version: str | None = Field(default=None, max_length=20)
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
