"""What the server has received from devices, by the device's record id: the key to
exactly-once. Written in the same transaction as the record it applied."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.db.types import UTCDateTime, utcnow


class SyncRecord(SQLModel, table=True):
    __tablename__ = "sync_record"

    id: str = Field(primary_key=True, max_length=36)  # the device's UUID for the record
    type: str = Field(max_length=20)  # client | screening | referral
    digest: str = Field(max_length=64)  # sha256 of the record's type and data
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    device_created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
