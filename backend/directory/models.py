"""Directory tables. Columns follow HSDS 3 names where HSDS has the field; German and French
texts are Passerelle's extension (`*_de`, `*_fr`; either may be missing). One primary location
per service; tags and service areas are rows so that filters stay in SQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from backend.db.types import UTCDateTime, utcnow


class DirectoryOrganization(SQLModel, table=True):
    __tablename__ = "directory_organization"

    id: str = Field(primary_key=True, max_length=36)  # HSDS uuid
    name: str = Field(max_length=200, index=True)
    description_de: str | None = Field(default=None, max_length=4000)
    description_fr: str | None = Field(default=None, max_length=4000)
    email: str | None = Field(default=None, max_length=200)
    website: str | None = Field(default=None, max_length=500)
    # The Passerelle organisation whose staff keep this one's offers and receive its referrals.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    is_demo: bool = Field(default=False)
    modified_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DirectoryService(SQLModel, table=True):
    __tablename__ = "directory_service"

    id: str = Field(primary_key=True, max_length=36)  # HSDS uuid
    organization_id: str = Field(foreign_key="directory_organization.id", index=True, max_length=36)
    status: str = Field(default="active", max_length=20)  # HSDS: active|inactive|defunct|temporarily closed
    name_de: str | None = Field(default=None, max_length=200)
    name_fr: str | None = Field(default=None, max_length=200)
    description_de: str | None = Field(default=None, max_length=4000)
    description_fr: str | None = Field(default=None, max_length=4000)
    eligibility_de: str | None = Field(default=None, max_length=2000)
    eligibility_fr: str | None = Field(default=None, max_length=2000)
    how_to_access_de: str | None = Field(default=None, max_length=2000)
    how_to_access_fr: str | None = Field(default=None, max_length=2000)
    fees_de: str | None = Field(default=None, max_length=1000)
    fees_fr: str | None = Field(default=None, max_length=1000)
    hours_de: str | None = Field(default=None, max_length=1000)
    hours_fr: str | None = Field(default=None, max_length=1000)
    service_type: str = Field(max_length=30)  # vocab.SERVICE_TYPES
    free_of_charge: bool = Field(default=False)
    minimum_age: int | None = Field(default=None)
    maximum_age: int | None = Field(default=None)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=500)
    location_name: str | None = Field(default=None, max_length=200)
    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=10)
    city: str | None = Field(default=None, max_length=100)
    # Capacity (HSDS 3.1 service_capacity, kept flat): accepting | waitlist | not_accepting.
    capacity_status: str = Field(default="accepting", max_length=20)
    capacity_note: str | None = Field(default=None, max_length=500)
    capacity_until: date | None = Field(default=None)
    # Organisation name and tag labels in both languages, so that full-text search finds them.
    keywords: str = Field(default="", max_length=2000)
    # Needs, phases, languages, access, cost and areas as search tokens (fts.tags_of).
    search_tags: str = Field(default="", max_length=2000)
    last_reviewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    modified_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    is_demo: bool = Field(default=False)

    def text(self, field: str, locale: str) -> str | None:
        """A text in the locale, else in the other language (either may be missing)."""
        de: str | None = getattr(self, f"{field}_de")
        fr: str | None = getattr(self, f"{field}_fr")
        return (fr or de) if locale == "fr" else (de or fr)

    def name(self, locale: str) -> str:
        return self.text("name", locale) or ""


class DirectoryServiceArea(SQLModel, table=True):
    """Where a service is available: the whole canton, a district or one municipality."""

    __tablename__ = "directory_service_area"
    __table_args__ = (Index("ix_directory_service_area_scope_code", "scope", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(foreign_key="directory_service.id", index=True, max_length=36)
    scope: str = Field(max_length=15)  # canton | district | municipality
    code: str = Field(max_length=10)  # BE | district code | BFS number


class DirectoryServiceTag(SQLModel, table=True):
    """need_domain, life_phase, access_mode and language codes of a service."""

    __tablename__ = "directory_service_tag"
    __table_args__ = (Index("ix_directory_service_tag_kind_value", "kind", "value"),)

    service_id: str = Field(foreign_key="directory_service.id", primary_key=True, max_length=36)
    kind: str = Field(primary_key=True, max_length=20)
    value: str = Field(primary_key=True, max_length=30)


class DirectoryChange(SQLModel, table=True):
    """Who changed what, when: the visible history of an offer."""

    __tablename__ = "directory_change"

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(index=True, max_length=36)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    action: str = Field(max_length=20)  # create | update | capacity | review | import
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
