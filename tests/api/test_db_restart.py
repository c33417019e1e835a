"""The database goes away (issue 18, "Database failover and restarts"): on a private PostgreSQL
cluster, requests while it is down answer 503 in the person's language with Retry-After (a
page, JSON), never a 500; the pool reconnects by itself when it is back; a restart under a
load of sync batches loses and duplicates nothing, since tablets resend on 503."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.api.test_sync import visit
from tests.conftest import POSTGRES_URL
from tests.pg_cluster import PrivateCluster, available
from tests.support import Database, LiveServer, cli, login

pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and available()), reason="needs TEST_DATABASE_URL and PostgreSQL's binaries"
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    private = PrivateCluster().start()
    try:
        yield private
    finally:
        private.remove()


@pytest.fixture
def live(cluster, factories, tmp_path_factory) -> Iterator[LiveServer]:
    url = cluster.copy_database(factories["postgresql"].new().url, f"passerelle_{uuid.uuid4().hex[:8]}")
    server = LiveServer(Database(url), tmp_path_factory.mktemp("var"), WORKER_IN_PROCESS="0").start()
    yield server
    server.stop()


def test_requests_while_the_database_is_down_answer_503_and_the_pool_recovers(cluster, live):
    with httpx.Client(base_url=live.url, timeout=20) as browser:
        assert login(browser, "pflege").status_code == 303
        assert browser.get("/clients").status_code == 200  # a pooled connection now exists
        token = cli("tokens", "create", "--user", "pflege", "--name", "down", env=live.env).stdout.strip()
        cluster.stop()
        try:
            page = browser.get("/clients", headers={"Accept-Language": "fr-CH"})
            assert page.status_code == 503 and page.headers["Retry-After"] == "5"
            assert "text/html" in page.headers["content-type"]
            assert "Veuillez réessayer dans un instant." in page.text
            assert "Traceback" not in page.text and "psycopg" not in page.text
            api = httpx.get(
                f"{live.url}/api/v1/clients",
                headers={"Authorization": f"Bearer {token}", "Accept-Language": "de-CH"},
                timeout=20,
            )
            assert api.status_code == 503 and api.headers["Retry-After"] == "5"
            assert api.json()["message"] == "Bitte versuchen Sie es in einem Moment erneut."
            batch = httpx.post(
                f"{live.url}/api/v1/sync",
                json={"records": []},
                headers={"Authorization": f"Bearer {token}"},
                timeout=20,
            )
            assert batch.status_code == 503 and batch.headers["Retry-After"] == "5"
        finally:
            cluster.resume()
        # The same process, the same pool: it reconnects without a restart of the app.
        assert browser.get("/clients").status_code == 200
    assert "Traceback" not in live.log()


def test_a_restart_under_sync_load_loses_and_duplicates_nothing(cluster, live):
    token = cli("tokens", "create", "--user", "pflege", "--name", "load", env=live.env).stdout.strip()
    tablets = [sum((visit(live, f"T. {t}{v}.") for v in range(3)), []) for t in range(4)]
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    done = threading.Event()
    restarted = threading.Event()
    lock = threading.Lock()

    def tablet(records: list[dict]) -> None:
        """Sends its outbox until every record is answered accepted or duplicate, as the tablet's
        outbox does (503: wait and resend the whole batch); then keeps sending until the end."""
        settled = False
        with httpx.Client(
            base_url=live.url, timeout=20, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            while not (done.is_set() and settled):
                try:
                    answer = http.post("/api/v1/sync", json={"records": records})
                except httpx.HTTPError as error:
                    with lock:
                        problems.append(f"no answer: {error!r}")
                    continue
                with lock:
                    statuses[answer.status_code] += 1
                if answer.status_code == 200:
                    results = [r["status"] for r in answer.json()["results"]]
                    if set(results) - {"accepted", "duplicate"}:
                        with lock:
                            problems.append(f"rejected: {answer.json()['results']}")
                    settled = restarted.is_set()  # settled only by a batch answered after the restart
                elif answer.status_code == 503:
                    if answer.headers.get("Retry-After") != "5":
                        with lock:
                            problems.append("503 without Retry-After")
                    time.sleep(0.1)  # (the tablet waits longer; here the test is bounded)
                else:
                    with lock:
                        problems.append(f"{answer.status_code}: {answer.text[:300]}")
                    return

    threads = [threading.Thread(target=tablet, args=(records,)) for records in tablets]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # batches in flight
    took = cluster.restart()
    restarted.set()
    time.sleep(1.0)  # and still sending afterwards
    done.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert not problems, problems[:5]
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[200] >= len(tablets)
    print(f"restart took {took:.2f} s; answers {dict(statuses)}")

    ids = [record["id"] for records in tablets for record in records]
    held = live.database.execute("SELECT id FROM sync_record WHERE id = ANY(:ids)", ids=ids)
    assert sorted(row[0] for row in held) == sorted(ids)  # each record exactly once
    referrals = [r["id"] for records in tablets for r in records if r["type"] == "referral"]
    assert (
        live.database.execute("SELECT count(*) FROM referral WHERE id = ANY(:ids)", ids=referrals)[0][0] == 12
    )
    assert "Traceback" not in live.log()
