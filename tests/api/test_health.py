"""The probes a load balancer asks (issue 18, health): /healthz says the process answers, /readyz
that it can serve (database reachable, migrations at head, a worker seen lately); both public,
uncached, without detail, HEAD included, and absent from the OpenAPI schema."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import httpx
from sqlmodel import Session, update

from backend.db.types import utcnow
from backend.system.heartbeat import WorkerHeartbeat
from tests.support import Database, LiveServer, cli

PREVIOUS_REVISION = "5d2f8e1a9c37"  # the migration before worker_heartbeat


def _probe(http: httpx.Client, path: str) -> tuple[int, dict]:
    response = http.get(path)
    assert response.headers["cache-control"] == "no-store", path
    head = http.head(path)
    assert head.status_code == response.status_code and head.content == b"", path
    return response.status_code, response.json()


def _last_seen(server: LiveServer, moment: datetime) -> None:
    engine = server.database.engine()
    with Session(engine) as session:
        session.execute(update(WorkerHeartbeat).values(last_seen=moment))
        session.commit()
    engine.dispose()


def test_readyz_follows_the_worker_and_the_migrations(db_backend, make_server):
    server = make_server(db_backend, WORKER_IN_PROCESS="0")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert _probe(http, "/healthz") == (200, {"status": "ok"})
        # No worker has run against this database yet.
        assert _probe(http, "/readyz") == (503, {"status": "unavailable"})

        cli("worker", "--once", env=server.env)
        assert _probe(http, "/readyz") == (200, {"status": "ready"})
        assert len(server.database.execute("SELECT worker_id FROM worker_heartbeat")) == 1

        # The worker stopped a while ago (older than WORKER_STALE_SECONDS, 30 by default).
        _last_seen(server, utcnow() - timedelta(seconds=31))
        assert _probe(http, "/readyz")[0] == 503
        _last_seen(server, utcnow())  # it is back
        assert _probe(http, "/readyz")[0] == 200

        # A database behind the code (a deploy before `db upgrade`): not ready, worker or not.
        server.database.execute("UPDATE alembic_version SET version_num = :v", v=PREVIOUS_REVISION)
        status, body = _probe(http, "/readyz")
        assert (status, body) == (503, {"status": "unavailable"})
        assert _probe(http, "/healthz")[0] == 200  # alive all the same
        # Ahead of the code (a newer release's expand migration ran first in a rolling deploy):
        # this server still serves, as expand/contract promises.
        server.database.execute("UPDATE alembic_version SET version_num = 'f0f0f0f0f0f0'")
        assert _probe(http, "/readyz") == (200, {"status": "ready"})

        paths = http.get("/schema/openapi.json").json()["paths"]
        assert "/healthz" not in paths and "/readyz" not in paths
    # Which check failed is for the operator's log, never the body.
    log = server.log()
    assert "not ready: no recent worker heartbeat" in log
    assert "not ready: database behind the migrations' head" in log


def test_the_in_process_worker_makes_the_app_ready(server):
    """`make run` (WORKER_IN_PROCESS=1, the development default): ready within a round or two."""
    deadline = time.monotonic() + 15
    while (status := httpx.get(server.url + "/readyz", timeout=5).status_code) != 200:
        assert time.monotonic() < deadline, f"/readyz still {status}"
        time.sleep(0.2)


def test_healthz_answers_while_the_database_is_unreachable(tmp_path):
    # Nothing listens on port 1: every connection is refused at once.
    unreachable = Database("postgresql+psycopg://passerelle@127.0.0.1:1/passerelle")
    server = LiveServer(unreachable, tmp_path, WORKER_IN_PROCESS="0").start()  # waits for /healthz 200
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert _probe(http, "/healthz") == (200, {"status": "ok"})
            status, body = _probe(http, "/readyz")
            assert (status, body) == (503, {"status": "unavailable"})
    finally:
        server.stop()
    assert "not ready: database unavailable (OperationalError)" in server.log()
