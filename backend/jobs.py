"""Background jobs run by `python -m backend worker`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from backend.accounts.service import purge_idle_sessions
from backend.db.engine import session_scope
from backend.db.types import utcnow
from backend.security import ratelimit


def housekeeping(engine: Engine, idle: timedelta) -> dict[str, int]:
    """Forget what is no longer needed: idle sessions and old rate-limit counters."""
    with session_scope(engine) as session:
        sessions = purge_idle_sessions(session, idle)
        ratelimit.purge(session, utcnow() - timedelta(days=1))
    return {"sessions_removed": sessions}
