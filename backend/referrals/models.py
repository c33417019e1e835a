"""Consent, referrals and their status history.

A referral carries `shared`: a copy, made when it is sent, of exactly the client data the
consent allows. The receiving organisation reads that copy and never the client record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, Session, SQLModel

from backend.db.rows import insert_rows
from backend.db.types import UTCDateTime, utcnow


class Consent(SQLModel, table=True):
    __tablename__ = "consent"

    id: str = Field(primary_key=True, max_length=36)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)  # that recorded it
    client_id: str = Field(foreign_key="client.id", index=True, max_length=36)
    screening_id: str | None = Field(default=None, foreign_key="screening.id", max_length=36)
    given_by: str = Field(max_length=20)  # client | representative
    method: str = Field(max_length=20)  # verbal | written
    given_on: date
    # Which data leave the organisation (referrals.consent.SCOPE_ITEMS) and to whom.
    scope: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Referral(SQLModel, table=True):
    __tablename__ = "referral"
    # A receiving organisation's FHIR search (Task?owner=…&status=requested, paged in order of
    # change): one index range, already in page order (backend/fhir/search.py).
    __table_args__ = (
        Index("ix_referral_owner_status_updated", "directory_organization_id", "status", "updated_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=36)  # uuid; made on the device when offline
    source: str = Field(default="nurse", max_length=20)  # nurse | self-check
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    client_id: str | None = Field(default=None, foreign_key="client.id", index=True, max_length=36)
    # Indexed: a screening's referrals are read when one closes (its follow-up, backend/followup).
    screening_id: str | None = Field(default=None, foreign_key="screening.id", max_length=36, index=True)
    consent_id: str | None = Field(default=None, foreign_key="consent.id", max_length=36)
    service_id: str = Field(foreign_key="directory_service.id", index=True, max_length=36)
    directory_organization_id: str = Field(foreign_key="directory_organization.id", max_length=36)
    # The Passerelle organisation that receives it (None until the directory entry is linked).
    receiving_organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    need_domain: str = Field(max_length=30)
    # Not personal on their own; kept as columns so that inbox filters and reports stay in SQL.
    district: str | None = Field(default=None, max_length=10, index=True)
    language: str | None = Field(default=None, max_length=5)
    status: str = Field(default="requested", max_length=20, index=True)
    status_reason: str | None = Field(default=None, max_length=1000)
    shared: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Case handling at the receiving organisation (cases.py).
    assigned_to: int | None = Field(default=None, foreign_key="user_account.id")
    outcome: str | None = Field(default=None, max_length=30)  # states.OUTCOME_LABELS
    reject_reason: str | None = Field(default=None, max_length=30)  # states.REJECT_REASONS
    forwarded_from: str | None = Field(default=None, foreign_key="referral.id", max_length=36)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)  # see deadlines.py
    overdue_reminded_on: date | None = Field(default=None)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReferralEvent(SQLModel, table=True):
    """One status change: who, when, from what to what, why."""

    __tablename__ = "referral_event"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=1000)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def add_event(
    session: Session,
    referral_id: str,
    to_status: str,
    from_status: str | None = None,
    reason: str | None = None,
    user_id: int | None = None,
    organisation_id: int | None = None,
) -> None:
    """One line of a referral's history, written at once. The referral must already be in the
    database."""
    insert_rows(
        session,
        ReferralEvent,
        {
            "referral_id": referral_id,
            "from_status": from_status,
            "to_status": to_status,
            "reason": reason,
            "user_id": user_id,
            "organisation_id": organisation_id,
        },
    )


class ContactAttempt(SQLModel, table=True):
    """The receiving organisation tried to reach the person: when, how, with what result."""

    __tablename__ = "contact_attempt"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    on: date
    channel: str = Field(max_length=20)  # cases.CHANNELS
    reached: bool
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CaseNote(SQLModel, table=True):
    """An internal note: only the receiving organisation sees it, never the referrer."""

    __tablename__ = "case_note"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    organisation_id: int = Field(foreign_key="organisation.id")
    text: str = Field(max_length=2000)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
