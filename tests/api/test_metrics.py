"""GET /metrics: Prometheus text behind METRICS_TOKEN, labelled by route template, never by a
path's ids or names; the write paths' counters (login, sync) move with what happened."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.api.test_sync import visit
from tests.support import cli, login

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
    first = httpx.post(f"{live.url}/api/v1/sync", json={"records": [client_record]}, headers=nurse, timeout=20)
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
    assert value(after, "passerelle_db_pool_size") >= 1
    assert "passerelle_db_pool_checked_out" in after

    # No label names a person, an id or a query string.
    labels = " ".join(re.findall(r"\{[^}]*\}", after))
    assert "Zora" not in after and "Quellmatt" not in after
    assert not UUID.search(labels), UUID.search(labels)
    assert "?" not in labels and "q=" not in labels and "nowhere" not in labels
    assert "pflege" not in labels
