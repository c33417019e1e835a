"""Background jobs run by `python -m backend worker`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from backend.accounts.service import purge_idle_sessions
from backend.db.engine import session_scope
from backend.db.types import utcnow
from backend.directory.upkeep import release_ended_pauses
from backend.security import ratelimit


def housekeeping(engine: Engine, idle: timedelta) -> dict[str, int]:
    """Forget idle sessions and old rate-limit counters; reopen offers whose pause has ended."""
    with session_scope(engine) as session:
        sessions = purge_idle_sessions(session, idle)
        ratelimit.purge(session, utcnow() - timedelta(days=1))
        released = release_ended_pauses(session)
    return {"sessions_removed": sessions, "pauses_ended": released}
