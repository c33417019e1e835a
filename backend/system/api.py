"""GET /healthz: is the app up and can it reach its database?"""

from __future__ import annotations

from litestar import Response, get
from sqlalchemy import text

from backend.accounts.access import public
from backend.deps import AppEngine


@get("/healthz", name="system.healthz", opt=public(), sync_to_thread=True, include_in_schema=False)
def healthz(engine: AppEngine) -> Response:
    """A connection of its own, outside any unit of work: it must answer while writers queue."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception:
        database = "unavailable"
    status = "ok" if database == "ok" else "degraded"
    return Response(
        {"status": status, "database": database, "dialect": engine.dialect.name},
        status_code=200 if database == "ok" else 503,
    )


ROUTES = [healthz]
