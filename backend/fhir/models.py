"""FHIR Subscriptions (R4 Subscriptions Backport IG 1.1.0): an organisation's rest-hook
subscriptions to Task changes and their outbox of notifications.

A notification row holds no personal data: the subscription, the Task (referral) id, the event's
number and kind. The worker (notifications.py) sends it; subscriptions.py writes it in the same
transaction as the referral change that causes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from backend.db.types import UTCDateTime, utcnow


class FhirSubscription(SQLModel, table=True):
    """One Subscription resource. It belongs to the organisation whose token created it and only
    ever matches that organisation's Tasks (sent or received)."""

    __tablename__ = "fhir_subscription"
    __table_args__ = (Index("ix_fhir_subscription_org_status", "organisation_id", "status"),)

    id: str = Field(primary_key=True, max_length=36)  # uuid
    organisation_id: int = Field(foreign_key="organisation.id")
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    status: str = Field(default="active", max_length=20)  # active | error | off
    topic: str = Field(max_length=200)
    # The filter-criteria strings as given, and their parsed form (parameter -> allowed values).
    criteria: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    filters: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reason: str = Field(max_length=500)
    endpoint: str = Field(max_length=1000)
    headers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    payload: str = Field(default="application/fhir+json", max_length=50)
    content: str = Field(default="id-only", max_length=20)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    events_count: int = Field(default=0)  # events-since-subscription-start
    error: str | None = Field(default=None, max_length=200)  # why it is in `error` (no personal data)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FhirNotification(SQLModel, table=True):
    """One event for one subscription, waiting to be posted (or sent, or given up)."""

    __tablename__ = "fhir_notification"

    id: str = Field(primary_key=True, max_length=36)  # uuid; also the notification Bundle's id
    subscription_id: str = Field(foreign_key="fhir_subscription.id", index=True, max_length=36)
    task_id: str = Field(max_length=36)  # the referral's id: Task/<id>
    event_number: int
    event: str = Field(max_length=20)  # sent | status | contact
    status: str = Field(default="pending", max_length=20, index=True)  # pending | sent | failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
