"""The audit log: one row per access to personal data. It names the record, never its content."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel

from backend.db.rows import insert_rows
from backend.db.types import UTCDateTime, utcnow
from backend.i18n import N_

ACTIONS = {
    "view": N_("Viewed"),
    "create": N_("Created"),
    "update": N_("Changed"),
    "export": N_("Exported"),
    "erase": N_("Erased"),
    "lockout": N_("Locked out after failed logins"),
    "revoke": N_("Revoked"),
}
SUBJECTS = {
    "client": N_("Client"),
    "referral": N_("Referral"),
    "screening": N_("Screening"),
    "follow_up": N_("Follow-up"),
    "user": N_("User account"),
    "sync_credential": N_("Sync credential of a device"),
}


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    action: str = Field(max_length=30)  # view | create | update | export | erase
    subject_type: str = Field(max_length=30)  # client | referral | screening
    subject_id: str = Field(max_length=36, index=True)


def record(
    session: Session,
    user_id: int | None,
    organisation_id: int | None,
    action: str,
    subject_type: str,
    subject_id: str,
) -> None:
    """One row, written at once in the caller's transaction."""
    insert_rows(
        session,
        AuditEvent,
        {
            "user_id": user_id,
            "organisation_id": organisation_id,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
        },
    )
