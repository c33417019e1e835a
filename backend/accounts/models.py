"""Tables of the accounts capability."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.db.types import UTCDateTime, utcnow


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    type: str = Field(max_length=20)  # OrgType
    district: str | None = Field(default=None, max_length=2)  # geo district code
    language: str = Field(default="de", max_length=5)
    is_demo: bool = Field(default=False)
    # Weeks after its screening's last referral closed that a follow-up falls due (issue 19).
    follow_up_weeks: int = Field(default=8, sa_column_kwargs={"server_default": "8"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)  # Role
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    language: str | None = Field(default=None, max_length=5)  # saved preference
    is_active: bool = Field(default=True)
    is_demo: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginSession(SQLModel, table=True):
    """A server-side session: the cookie holds a random key, the table only its hash."""

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie value
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ApiToken(SQLModel, table=True):
    """A personal token for scripts and integrations, stored as a hash; revocable."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)  # shown in listings so a token can be recognised
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeviceCredential(SQLModel, table=True):
    """A device's own credential for sending its outbox without a UI session (issue 17, item 4).
    It opens POST /api/v1/sync and the directory snapshot only (auth.py), as the nurse it was
    issued to, for the organisation she had then. Stored as a hash; the device keeps it sealed.
    The label names the kind of device from its user agent ("Chrome on Android"), nothing personal."""

    __tablename__ = "device_credential"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    label: str = Field(max_length=80)
    token_hash: str = Field(max_length=64, unique=True)
    session_hash: str | None = Field(default=None, max_length=64, index=True)  # the login it came from
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: int | None = Field(default=None, foreign_key="user_account.id")
    revoked_reason: str | None = Field(default=None, max_length=20)  # logout | admin | replaced
