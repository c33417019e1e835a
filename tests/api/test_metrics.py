"""GET /metrics: Prometheus text behind METRICS_TOKEN, labelled by route template, never by a
path's ids or names; the write paths' counters (login, sync) move with what happened."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api.test_sync import visit
from tests.push_stub import start_push_stub
from tests.support import PYTHON, ROOT, api_referral, base_env, cli, free_port, login

TOKEN = "metrics-" + "s3cret-" * 4
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request, make_server):
    if request.param == "postgresql":
        from tests.conftest import POSTGRES_URL

        if not POSTGRES_URL:
            pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    return make_server(request.param, METRICS_TOKEN=TOKEN)


def scrape(server) -> str:
    response = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` (labels in any order), 0 when absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name + ("{" if labels else " ")):
            continue
        head, _, number = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', head))
        if found == labels:
            return float(number)
    return 0.0


def test_metrics_is_closed_without_the_token(make_server):
    closed = make_server("sqlite")
    assert httpx.get(f"{closed.url}/metrics").status_code == 404  # no METRICS_TOKEN: no route
    opened = make_server("sqlite", METRICS_TOKEN=TOKEN)
    assert httpx.get(f"{opened.url}/metrics").status_code == 401
    wrong = {"Authorization": "Bearer " + TOKEN[:-1] + "x"}
    assert httpx.get(f"{opened.url}/metrics", headers=wrong).status_code == 401
    basic = {"Authorization": f"Basic {TOKEN}"}
    assert httpx.get(f"{opened.url}/metrics", headers=basic).status_code == 401
    assert "passerelle" not in httpx.get(f"{opened.url}/metrics", headers=wrong).text
    assert "passerelle_http_requests_total" in scrape(opened)


def test_a_journey_moves_the_counters_by_route_template(live):
    before = scrape(live)
    name = f"Zora Quellmatt-{uuid.uuid4().hex[:6]}"

    # A login failure, then a nurse's session and pages, some with ids in their paths.
    with httpx.Client(base_url=live.url, timeout=20) as browser:
        assert login(browser, "pflege", "not-the-password").status_code == 401
        assert login(browser, "pflege").status_code == 303
        assert browser.get("/clients", params={"q": name}).status_code == 200
        missing = str(uuid.uuid4())
        assert browser.get(f"/clients/{missing}").status_code == 404
        assert browser.get(f"/nowhere/{missing}", params={"name": name}).status_code == 404

    # One sync batch: one accepted, one duplicate (sent before), one rejected.
    token = cli("tokens", "create", "--user", "pflege", "--name", "metrics", env=live.env).stdout.strip()
    client_record = visit(live, name)[0]
    nurse = {"Authorization": f"Bearer {token}"}
    first = httpx.post(
        f"{live.url}/api/v1/sync", json={"records": [client_record]}, headers=nurse, timeout=20
    )
    assert first.status_code == 200, first.text
    bad = {**visit(live, name)[0], "data": {"display_name": "", "birth_year": 1700}}
    fresh = visit(live, name)[0]
    batch = httpx.post(
        f"{live.url}/api/v1/sync", json={"records": [fresh, client_record, bad]}, headers=nurse, timeout=20
    )
    assert [r["status"] for r in batch.json()["results"]] == ["accepted", "duplicate", "rejected"], batch.text
    client_id = fresh["id"]
    with httpx.Client(base_url=live.url, timeout=20) as browser:
        login(browser, "pflege")
        assert browser.get(f"/clients/{client_id}").status_code == 200

    after = scrape(live)

    def grew(name_: str, by: float = 1, **labels: str) -> None:
        assert value(after, name_, **labels) - value(before, name_, **labels) >= by, (name_, labels)

    grew("passerelle_login_failures_total", reason="wrong_credentials")
    grew("passerelle_sync_records_total", 2, outcome="accepted")
    grew("passerelle_sync_records_total", outcome="duplicate")
    grew("passerelle_sync_records_total", outcome="rejected")
    grew("passerelle_http_requests_total", method="GET", route="/clients/{client_id}", status="4xx")
    grew("passerelle_http_requests_total", method="GET", route="/clients/{client_id}", status="2xx")
    grew("passerelle_http_requests_total", method="GET", route="/clients", status="2xx")
    grew("passerelle_http_requests_total", 2, method="POST", route="/api/v1/sync", status="2xx")
    grew("passerelle_http_requests_total", method="POST", route="/login", status="4xx")
    grew("passerelle_http_requests_total", method="GET", route="unmatched", status="4xx")
    grew("passerelle_http_request_duration_seconds_count", method="GET", route="/clients", status="2xx")
    assert value(after, "passerelle_outbox_pending", outbox="push") >= 0
    assert 'passerelle_outbox_oldest_due_seconds{outbox="fhir"}' in after
    assert value(after, "passerelle_db_pool_size", database="primary") >= 1
    assert 'passerelle_db_pool_checked_out{database="primary"}' in after
    grew("passerelle_db_pool_checkouts_total", database="primary")
    assert 'database="replica"' not in after  # no DATABASE_REPLICA_URL: no replica pool

    # No label names a person, an id or a query string.
    labels = " ".join(re.findall(r"\{[^}]*\}", after))
    assert "Zora" not in after and "Quellmatt" not in after
    assert not UUID.search(labels), UUID.search(labels)
    assert "?" not in labels and "q=" not in labels and "nowhere" not in labels
    assert "pflege" not in labels


def test_the_replicas_pool_is_reported_apart_from_the_primarys(factories, make_server):
    """DATABASE_REPLICA_URL: the replica's pool has its own series (`database="replica"`), and
    only the routes that read from it lend its connections. A second database stands in for the
    standby here (the pool does not care; tests/api/test_replica.py runs a real one)."""
    from tests.conftest import POSTGRES_URL

    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    replica = factories["postgresql"].new()
    live = make_server("postgresql", METRICS_TOKEN=TOKEN, DATABASE_REPLICA_URL=replica.url)

    def lent(text: str, database: str) -> float:
        return value(text, "passerelle_db_pool_checkouts_total", database=database)

    with httpx.Client(base_url=live.url, timeout=20) as nurse:
        assert login(nurse, "pflege").status_code == 303
        assert nurse.get("/clients").status_code == 200
        before = scrape(live)
        assert value(before, "passerelle_db_pool_size", database="replica") >= 1
        assert value(before, "passerelle_db_pool_size", database="primary") >= 1
        assert lent(before, "replica") == 0  # login and a client list read the primary
        assert lent(before, "primary") >= 2

        search = nurse.get("/directory", params={"q": "Einsamkeit", "place": "Langnau im Emmental"})
        assert search.status_code == 200 and "/directory/services/" in search.text
        after = scrape(live)
    assert lent(after, "replica") >= 1
    assert value(after, "passerelle_db_pool_checked_out", database="replica") == 0  # given back
    assert 'passerelle_db_pool_checked_out{database="primary"}' in after


def _bursts(live, token: str, bursts: int = 3, at_once: int = 12) -> list[float]:
    """`bursts` rounds of `at_once` API reads at the same moment; then the connections the
    primary's pool opened and closed."""
    headers = {"Authorization": f"Bearer {token}"}

    def read(_: int) -> int:
        with httpx.Client(base_url=live.url, timeout=30, headers=headers) as http:
            return http.get("/api/v1/clients").status_code

    with ThreadPoolExecutor(at_once) as pool:
        for _ in range(bursts):
            assert set(pool.map(read, range(at_once))) == {200}
    text = scrape(live)
    return [
        value(text, f"passerelle_db_connections_{what}_total", database="primary")
        for what in ("opened", "closed")
    ]


@pytest.mark.parametrize("pool_size", ["default", "1"])
def test_busy_processes_reuse_their_postgresql_connections(pool_size, make_server):
    """A connection given back to a full pool is closed, and the next request pays for a new
    PostgreSQL backend. The default pool (DATABASE_POOL_SIZE=20) keeps what a burst opened, so
    later bursts open nothing; a pool of one keeps opening (the setting is honoured, and the
    counter shows the churn)."""
    from tests.conftest import POSTGRES_URL

    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    env = {"METRICS_TOKEN": TOKEN} | ({} if pool_size == "default" else {"DATABASE_POOL_SIZE": pool_size})
    live = make_server("postgresql", **env)
    token = cli("tokens", "create", "--user", "pflege", "--name", "pool", env=live.env).stdout.strip()
    opened, closed = _bursts(live, token)
    assert opened >= 1
    if pool_size == "default":
        assert closed == 0 and opened <= 12 + 2, (opened, closed)  # at most one per request at once
    else:
        assert closed >= 1 and opened > closed, (opened, closed)


def started(args: list[str], env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "backend", *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_for(check, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def test_one_scrape_sums_the_processes_of_serve_workers(factories, tmp_path):
    """`serve --workers 2`: both processes answer on one port, and any scrape counts them all."""
    port = free_port()
    env = base_env(
        tmp_path / "var", factories["sqlite"].new().url, METRICS_TOKEN=TOKEN, WORKER_IN_PROCESS="0"
    )
    log = (tmp_path / "serve.log").open("ab")
    process = started(["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(f"{url}/healthz", timeout=1).status_code == 200)
        with httpx.Client(base_url=url, timeout=10) as http:
            for _ in range(60):  # new connections: the kernel spreads them over both processes
                with httpx.Client(base_url=url, timeout=10) as once:
                    assert once.get("/manifest.webmanifest").status_code == 200
            for _ in range(4):
                text = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
                assert (
                    value(
                        text,
                        "passerelle_http_requests_total",
                        method="GET",
                        route="/manifest.webmanifest",
                        status="2xx",
                    )
                    == 60
                )
        pids = {f.name.rsplit("_", 1)[-1] for f in Path(env_dir(process)).glob("counter_*.db")}
        assert len(pids) == 2, pids  # both processes counted
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert not Path(env_dir(process)).exists()  # the shared directory goes with the server


def env_dir(process: subprocess.Popen) -> str:
    """The PROMETHEUS_MULTIPROC_DIR that `serve` made, from its worker processes' environment
    (read once, while they run)."""
    if not hasattr(process, "metrics_dir"):
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        found = {
            entry.split(b"=", 1)[1].decode()
            for child in children
            for entry in Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
            if entry.startswith(b"PROMETHEUS_MULTIPROC_DIR=")
        }
        assert len(found) == 1, found
        process.metrics_dir = found.pop()
    return process.metrics_dir


@pytest.fixture
def stub():
    push = start_push_stub()
    yield push
    push.server.shutdown()


def test_the_worker_counts_pushes_on_its_own_port(db_backend, make_server, stub, tmp_path):
    server = make_server(db_backend, WORKER_IN_PROCESS="0", METRICS_TOKEN=TOKEN)
    cli("vapid", "init", env=server.env)
    tokens = {
        user: cli("tokens", "create", "--user", user, "--name", "push", env=server.env).stdout.strip()
        for user in ("pflege", "koordination")
    }
    gone, kept = stub.device(), stub.device()
    stub.script[gone.endpoint.removeprefix(stub.origin)] = [410]
    for device in (gone, kept):
        answer = httpx.post(
            f"{server.url}/api/v1/push/subscriptions",
            json=device.subscription_json(),
            headers={"Authorization": f"Bearer {tokens['koordination']}"},
        )
        assert answer.status_code == 201
    api_referral(server, tokens["pflege"], "P. Q.", birth_year=1937)
    assert value(scrape(server), "passerelle_outbox_pending", outbox="push") >= 1

    port = free_port()
    worker = started(
        ["worker", "--interval", "0.2", "--metrics-port", str(port)],
        server.env,
        (tmp_path / "worker.log").open("ab"),
    )
    url = f"http://127.0.0.1:{port}/metrics"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        wait_for(
            lambda: (
                value(httpx.get(url, headers=auth).text, "passerelle_push_subscriptions_removed_total") >= 1
            )
        )
        text = httpx.get(url, headers=auth).text
        assert value(text, "passerelle_push_notifications_total", outcome="sent") >= 1
        assert value(text, "passerelle_worker_round_duration_seconds_count") >= 1
        assert value(text, "passerelle_db_pool_size", database="primary") >= 1
        assert value(text, "passerelle_db_pool_checkouts_total", database="primary") >= 1
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx.get(url.removesuffix("/metrics") + "/other", headers=auth).status_code == 404
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    assert value(scrape(server), "passerelle_outbox_pending", outbox="push") == 0
    assert stub.payloads(kept)
