"""The worker's heartbeat: each round of `python -m backend worker` (or the in-process worker)
stamps its row, and /readyz answers 503 when no worker has been seen for WORKER_STALE_SECONDS."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func
from sqlmodel import Field, SQLModel, col, delete, select

from backend.db.engine import session_scope
from backend.db.types import UTCDateTime, utcnow

FORGET_AFTER = timedelta(days=1)  # rows of workers long gone (restarts, `worker --once`)


class WorkerHeartbeat(SQLModel, table=True):
    __tablename__ = "worker_heartbeat"

    worker_id: str = Field(primary_key=True, max_length=120)
    """host:pid of the worker process."""
    last_seen: datetime = Field(sa_type=UTCDateTime, index=True)


def worker_id() -> str:
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def beat(engine: Engine, worker: str | None = None) -> None:
    """Stamp this worker's row (one short write) and forget workers gone for a day."""
    now = utcnow()
    worker = worker or worker_id()
    with session_scope(engine, writes=True) as session:
        row = session.get(WorkerHeartbeat, worker)
        if row is None:
            session.add(WorkerHeartbeat(worker_id=worker, last_seen=now))
        else:
            row.last_seen = now
        session.execute(delete(WorkerHeartbeat).where(col(WorkerHeartbeat.last_seen) < now - FORGET_AFTER))


def last_seen(connection: Connection) -> datetime | None:
    """The most recent heartbeat of any worker."""
    value = connection.execute(select(func.max(WorkerHeartbeat.last_seen))).scalar()
    if value is None:
        return None
    return UTCDateTime().process_result_value(value, connection.dialect)
