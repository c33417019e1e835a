"""Through PgBouncer in transaction mode (issue 18, "PgBouncer-compatible"): Debian's pgbouncer
in front of a private PostgreSQL cluster; psycopg's server-side prepared statements break it
unless DATABASE_POOLER=transaction turns them off; the app, so configured, serves a journey
and concurrent sync batches through it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from backend.db.engine import make_engine
from tests.api.test_sync import visit
from tests.conftest import POSTGRES_URL
from tests.pg_cluster import PGBOUNCER, PgBouncer, PrivateCluster, available
from tests.support import Database, LiveServer, cli, csrf_from, login

pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and available() and Path(PGBOUNCER).exists()),
    reason="needs TEST_DATABASE_URL, PostgreSQL's binaries and pgbouncer (make pgbouncer)",
)


@pytest.fixture(scope="module")
def bouncer() -> Iterator[PgBouncer]:
    cluster = PrivateCluster().start()
    pooler = None
    try:
        pooler = PgBouncer(cluster, pool_size=1).start()  # one server connection: every client shares it
        yield pooler
    finally:
        if pooler is not None:
            pooler.stop()
        cluster.remove()


def _twice_six_times(url: str, pooler: str) -> None:
    """Two pooled connections, each running one query six times in transactions of its own:
    psycopg prepares it on the server from the fifth time."""
    engine = make_engine(url, pooler=pooler, pool_size=2)
    try:
        first, second = engine.connect(), engine.connect()
        for connection in (first, second):
            for _ in range(6):
                with connection.begin():
                    assert connection.execute(text("SELECT 1 + :n"), {"n": 1}).scalar() == 2
        first.close()
        second.close()
    finally:
        engine.dispose()


def test_prepared_statements_break_transaction_pooling_unless_the_setting_is_on(bouncer):
    url = bouncer.cluster.url(port=bouncer.port)
    with pytest.raises(Exception, match="prepared statement"):
        _twice_six_times(url, pooler="")
    _twice_six_times(url, pooler="transaction")


def test_the_app_works_through_pgbouncer_in_transaction_mode(bouncer, factories, tmp_path_factory):
    cluster = bouncer.cluster
    name = f"passerelle_{uuid.uuid4().hex[:8]}"
    cluster.copy_database(factories["postgresql"].new().url, name)
    through = Database(cluster.url(name, port=bouncer.port))
    server = LiveServer(
        through, tmp_path_factory.mktemp("var"), DATABASE_POOLER="transaction", WORKER_IN_PROCESS="0"
    ).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as nurse:
            assert login(nurse, "pflege").status_code == 303
            for _ in range(3):  # the same queries again and again: no statement prepared on the server
                assert nurse.get("/clients").status_code == 200
            token = csrf_from(nurse.get("/clients/new").text)
            data = {"display_name": "P. B.", "birth_year": "1942", "municipality": "Langnau im Emmental"}
            created = nurse.post(
                "/clients/new", data={**data, "language": "de", "phone": "", "csrf_token": token}
            )
            assert created.status_code == 303
            assert "P. B." in nurse.get(created.headers["location"]).text

        sync_token = cli(
            "tokens", "create", "--user", "pflege", "--name", "bouncer", env=server.env
        ).stdout.strip()
        tablets = [sum((visit(server, f"B. {t}{v}.") for v in range(2)), []) for t in range(4)]
        answers: list[tuple[int, list[str]]] = []

        def send(records: list[dict]) -> None:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                for _ in range(2):  # the second time: duplicates
                    answer = http.post(
                        "/api/v1/sync",
                        json={"records": records},
                        headers={"Authorization": f"Bearer {sync_token}"},
                    )
                    ok = answer.status_code == 200
                    answers.append(
                        (answer.status_code, [r["status"] for r in answer.json()["results"]] if ok else [])
                    )

        threads = [threading.Thread(target=send, args=(records,)) for records in tablets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sorted(answers) == sorted(
            [(200, ["accepted"] * 6)] * len(tablets) + [(200, ["duplicate"] * 6)] * len(tablets)
        )
        ids = [record["id"] for records in tablets for record in records]
        assert through.execute("SELECT count(*) FROM sync_record WHERE id = ANY(:ids)", ids=ids)[0][0] == len(
            ids
        )
        assert "prepared statement" not in server.log() and "Traceback" not in server.log()
    finally:
        server.stop()
