"""Probes for load balancers and orchestrators, public and without detail in the body:

- GET /healthz: the process is alive and answers (no database: cheap, and a database outage
  does not make every app server look dead at once).
- GET /readyz: this process can serve: the database answers, its migrations are at head, and a
  worker round was seen within WORKER_STALE_SECONDS. 503 otherwise; which check failed is logged
  when the answer changes, never sent.

HEAD works on both (backend/system/head.py); neither is cached or in the OpenAPI schema."""

from __future__ import annotations

import logging
from datetime import timedelta

from litestar import Request, Response, get

from backend.accounts.access import public
from backend.db.migrate import serves_this_code
from backend.db.types import utcnow
from backend.deps import AppEngine
from backend.system import heartbeat

log = logging.getLogger("passerelle.health")
NO_STORE = {"Cache-Control": "no-store"}
_last_problem: list[str | None] = [None]  # per process: log a change of readiness once


@get("/healthz", name="system.healthz", opt=public(), include_in_schema=False)
async def healthz() -> Response:
    return Response({"status": "ok"}, headers=NO_STORE)


def _problem(engine: AppEngine, stale_after: timedelta) -> str | None:
    # DEFERRED on SQLite: a read must not queue behind writers for the write lock.
    with engine.execution_options(sqlite_begin="DEFERRED").connect() as connection:
        if not serves_this_code(connection):
            return "database behind the migrations' head"
        seen = heartbeat.last_seen(connection)
    if seen is None or utcnow() - seen > stale_after:
        return "no recent worker heartbeat"
    return None


@get("/readyz", name="system.readyz", opt=public(), sync_to_thread=True, include_in_schema=False)
def readyz(request: Request, engine: AppEngine) -> Response:
    """A connection of its own, outside any unit of work: it must answer while writers queue."""
    stale_after = timedelta(seconds=request.app.state.settings.worker_stale_seconds)
    try:
        problem = _problem(engine, stale_after)
    except Exception as error:
        problem = f"database unavailable ({type(error).__name__})"
    if problem != _last_problem[0]:
        _last_problem[0] = problem
        if problem:
            log.warning("not ready: %s", problem)
        else:
            log.info("ready")
    if problem:
        return Response({"status": "unavailable"}, status_code=503, headers=NO_STORE)
    return Response({"status": "ready"}, headers=NO_STORE)


ROUTES = [healthz, readyz]
