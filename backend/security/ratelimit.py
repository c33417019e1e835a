"""Fixed-window counters in the database, so that every web process shares them.

Keys never hold a username or an address in clear: callers pass them through `key()`.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, col, delete, update

from backend.db.rows import table_of
from backend.db.types import UTCDateTime, utcnow


class RateLimitBucket(SQLModel, table=True):
    __tablename__ = "rate_limit_bucket"

    key: str = Field(primary_key=True, max_length=80)
    window_start: datetime = Field(sa_type=UTCDateTime)
    hits: int = Field(default=0)


def key(secret_key: str, kind: str, value: str) -> str:
    digest = hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()[:40]
    return f"{kind}:{digest}"


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)


def seconds_left(window: timedelta) -> int:
    """Until the current window ends and its counts start again."""
    now = utcnow()
    return max(1, int((_window_start(now, window) + window - now).total_seconds()))


def count(session: Session, bucket_key: str, limit: int, window: timedelta) -> int | None:
    """Counts this request, then compares: seconds to wait when it is over the limit, else None.
    Counting first is what keeps parallel requests from all slipping under the limit."""
    return seconds_left(window) if hit(session, bucket_key, window) > limit else None


def hit(session: Session, bucket_key: str, window: timedelta) -> int:
    """Counts one hit in the current window with one atomic upsert (no read-modify-write) and
    returns the window's count including it: parallel requests each see their own number, so
    exactly `limit` of them pass a `count <= limit` check."""
    start = _window_start(utcnow(), window)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = table_of(RateLimitBucket)
    statement = insert(table).values(key=bucket_key, window_start=start, hits=1)
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            # A new window starts the count again.
            "hits": case((table.c.window_start == start, table.c.hits + 1), else_=1),
            "window_start": start,
        },
    ).returning(table.c.hits)
    hits = session.execute(upsert).scalar_one()
    session.expire_all()
    return int(hits)


def give_back(session: Session, bucket_key: str) -> None:
    """Takes back one hit (an attempt that turned out fine should not use up the budget)."""
    table = table_of(RateLimitBucket)
    session.execute(
        update(table).where(table.c.key == bucket_key, table.c.hits > 0).values(hits=table.c.hits - 1)
    )


def reset(session: Session, bucket_key: str) -> None:
    session.execute(delete(RateLimitBucket).where(col(RateLimitBucket.key) == bucket_key))


def purge(session: Session, older_than: datetime) -> None:
    session.execute(delete(RateLimitBucket).where(col(RateLimitBucket.window_start) < older_than))
