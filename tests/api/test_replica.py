"""A read replica (issue 18, DATABASE_REPLICA_URL): a private primary with a streaming hot
standby made by pg_basebackup. Directory search, the offline snapshot, HSDS and reports read
from the standby; every write and every other page uses the primary (a standby refuses
writes, so one sent there would fail); with the standby stopped only its routes answer 503."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import POSTGRES_URL
from tests.pg_cluster import PrivateCluster, available
from tests.support import Database, LiveServer, csrf_from, login

pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and available()), reason="needs TEST_DATABASE_URL and PostgreSQL's binaries"
)


@pytest.fixture
def pair(factories, tmp_path_factory) -> Iterator[tuple[PrivateCluster, PrivateCluster, LiveServer]]:
    primary = PrivateCluster().start()
    try:
        name = f"passerelle_{uuid.uuid4().hex[:8]}"
        primary.copy_database(factories["postgresql"].new().url, name)
        standby = primary.standby()
        server = LiveServer(
            Database(primary.url(name)),
            tmp_path_factory.mktemp("var"),
            DATABASE_REPLICA_URL=standby.url(name),
            WORKER_IN_PROCESS="0",
        ).start()
        try:
            yield primary, standby, server
        finally:
            server.stop()
    finally:
        primary.remove()


def _new_client(nurse: httpx.Client, name: str) -> httpx.Response:
    token = csrf_from(nurse.get("/clients/new").text)
    data = {"display_name": name, "birth_year": "1943", "municipality": "Langnau im Emmental"}
    return nurse.post("/clients/new", data={**data, "language": "de", "phone": "", "csrf_token": token})


def test_read_only_routes_use_the_standby_and_writes_the_primary(pair):
    primary, standby, server = pair
    assert standby.psql("SELECT pg_is_in_recovery()").strip() == "t"
    with (
        httpx.Client(base_url=server.url, timeout=30) as nurse,
        httpx.Client(base_url=server.url, timeout=30) as analyst,
    ):
        assert login(nurse, "pflege").status_code == 303
        assert login(analyst, "analyse").status_code == 303
        search = nurse.get("/directory", params={"q": "Einsamkeit", "place": "Langnau im Emmental"})
        assert search.status_code == 200 and "/directory/services/" in search.text
        assert nurse.get("/api/v1/directory/snapshot").status_code == 200
        assert httpx.get(f"{server.url}/hsds/services", timeout=30).status_code == 200
        assert analyst.get("/reports/needs").status_code == 200
        created = _new_client(nurse, "R. P.")  # a write: the standby would refuse it
        assert created.status_code == 303
        assert "R. P." in nurse.get(created.headers["location"]).text  # read back at once: primary

        standby.stop()
        try:
            # The standby's routes fail cleanly; the rest of the app does not notice.
            down = nurse.get("/directory", params={"q": "Einsamkeit"})
            assert down.status_code == 503 and down.headers["Retry-After"] == "5"
            assert analyst.get("/reports/needs").status_code == 503
            assert nurse.get("/clients").status_code == 200
            assert _new_client(nurse, "S. P.").status_code == 303
        finally:
            standby.resume()
        # Back, and caught up with the primary: the client written meanwhile is there.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            database = server.database.url.rsplit("/", 1)[1]
            if (
                standby.psql("SELECT count(*) FROM client WHERE display_name = 'S. P.'", database).strip()
                == "1"
            ):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the standby did not catch up")
        assert nurse.get("/directory", params={"q": "Einsamkeit"}).status_code == 200
    log = server.log()
    assert "read-only transaction" not in log and "Traceback" not in log
