"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from backend.i18n import TIMEZONE


def utcnow() -> datetime:
    return datetime.now(UTC)


def month_of(moment: datetime | None = None) -> str:
    """The local month (YYYY-MM) of a moment, by default now: what the anonymous counts are
    kept by (the reports' tallies, the self-check's)."""
    return (moment or utcnow()).astimezone(ZoneInfo(TIMEZONE)).strftime("%Y-%m")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out; SQLite would otherwise hand back naive datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
