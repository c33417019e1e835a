"""Push subscriptions (one per device) and the transactional outbox of notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from backend.db.types import UTCDateTime, utcnow


class PushSubscription(SQLModel, table=True):
    __tablename__ = "push_subscription"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    endpoint: str = Field(max_length=1000, unique=True)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Notification(SQLModel, table=True):
    """One message for one user, written in the same transaction as the change that causes it.
    It holds no personal data: a kind, the referral's id and non-personal parameters."""

    __tablename__ = "notification"

    id: str = Field(primary_key=True, max_length=36)  # uuid; the service worker de-duplicates by it
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=30)  # messages.KINDS
    topic: str = Field(max_length=60)  # notifications of one topic collapse into one
    referral_id: str | None = Field(default=None, max_length=36)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=20, index=True)  # pending | sent | failed | merged
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_to: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryAttempt(SQLModel, table=True):
    """Every call to a push service, with its answer."""

    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: str = Field(foreign_key="notification.id", index=True, max_length=36)
    subscription_id: int | None = Field(default=None)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status_code: int | None = Field(default=None)
    error: str | None = Field(default=None, max_length=200)
