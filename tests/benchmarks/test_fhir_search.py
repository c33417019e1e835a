"""FHIR Task search over 10,000 referrals of one owner, on SQLite and PostgreSQL (`make bench`).

What a receiving organisation's script runs: `GET /fhir/Task?owner=Organization/<id>&status=
requested&_count=50` (half of the time with `_include=Task:focus`), following `next` through
every page. Server-side: the handler's work in-process (search.tasks — the count and the page,
visibility in SQL — the mapping to Task/ServiceRequest, the Bundle, and the audit rows of the
page, committed), 300 queries per backend. Then the same searches as whole HTTP requests to the
live server. Goal: p95 < 50 ms server-side.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import insert, text
from sqlmodel import select

from backend.accounts.models import User
from backend.accounts.service import current_user
from backend.db.engine import make_engine, session_scope
from backend.db.types import utcnow
from backend.fhir import bundle, search
from backend.fhir import task as tasks
from backend.fhir.api import audit_views
from backend.referrals.models import Referral
from tests.support import LiveServer, cli

pytestmark = pytest.mark.bench
REFERRALS = 10_000
ROUNDS = 300
STATUSES = [
    "requested",
    "received",
    "accepted",
    "in-progress",
    "on-hold",
    "completed",
    "rejected",
    "cancelled",
]


def _percentiles(timings: list[float]) -> tuple[float, float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], timings[-1]


def _seed(engine, rng: random.Random) -> tuple[str, int]:
    """10,000 referrals from pflege's Spitex to koordination's directory organisation."""
    with session_scope(engine) as session:
        receiver = session.exec(select(User).where(User.username == "koordination")).one()
        sender = session.exec(select(User).where(User.username == "pflege")).one()
        services = session.exec(
            text(
                "SELECT s.id, s.organization_id FROM directory_service s JOIN directory_organization o "
                "ON o.id = s.organization_id WHERE o.organisation_id = :org"
            ).bindparams(org=receiver.organisation_id)
        ).all()
    owner = services[0][1]
    services = [s for s, org in services if org == owner]
    now = utcnow()
    rows = []
    for _ in range(REFERRALS):
        status = rng.choice(STATUSES)
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 365))
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "source": "nurse",
                "organisation_id": sender.organisation_id,
                "service_id": rng.choice(services),
                "directory_organization_id": owner,
                "receiving_organisation_id": receiver.organisation_id,
                "need_domain": rng.choice(["loneliness", "finances", "mobility", "caring_relatives"]),
                "district": rng.choice(["BM", "EM", "TH", "BB", "JB"]),
                "language": rng.choice(["de", "fr"]),
                "status": status,
                "shared": {
                    "need": {"domain": "loneliness", "severity": "needed"},
                    "municipality": 351,
                    "language": "de",
                    "display_name": "B. M.",
                    "birth_year": 1941,
                },
                "created_at": created,
                "updated_at": created + timedelta(minutes=rng.randint(0, 600)),
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(Referral), rows)
    return owner, receiver.id or 0


def _searches(owner: str) -> list[list[tuple[str, str]]]:
    """First pages, with and without _include; the cursors come from the pages read."""
    base = [("owner", f"Organization/{owner}"), ("status", "requested"), ("_count", "50")]
    return [base, [*base, ("_include", "Task:focus")]]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_task_search_latency(backend, factories, tmp_path):
    if backend == "postgresql" and not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set")
    database = factories[backend].new()
    engine = make_engine(database.url)
    owner, receiver_id = _seed(engine, random.Random(5))
    if backend == "postgresql":
        from sqlalchemy import create_engine

        maintenance = create_engine(database.url, isolation_level="AUTOCOMMIT")
        with maintenance.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        maintenance.dispose()

    with session_scope(engine) as session:
        user = current_user(session, session.get(User, receiver_id))

    def run(pairs: list[tuple[str, str]]) -> tuple[dict, str | None]:
        """What GET /fhir/Task does, in one committed unit."""
        with session_scope(engine) as session:
            found, include = search.tasks(session, user, pairs)
            matches = [tasks.task(r, False) for r in found.referrals]
            included = [tasks.service_request(r, False) for r in found.referrals] if include else None
            audit_views(session, user, "referral", [r.id for r in found.referrals])
            following = search.next_params(pairs, found.next_cursor) if found.next_cursor else None
            result = bundle.searchset(
                "http://x/fhir", "Task", matches, pairs, found.total, following, included
            )
        return result, found.next_cursor

    timings: list[float] = []
    pages = total = 0
    seen: set[str] = set()
    for _ in range(3):  # warm the caches as a running server would have them
        run(_searches(owner)[0])
    while len(timings) < ROUNDS:
        for first in _searches(owner):
            pairs = first
            while len(timings) < ROUNDS:
                start = time.perf_counter()
                result, cursor = run(pairs)
                timings.append((time.perf_counter() - start) * 1000)
                pages += 1
                total = result["total"]
                seen |= {e["resource"]["id"] for e in result["entry"] if e["search"]["mode"] == "match"}
                if cursor is None:
                    break
                pairs = search.next_params(first, cursor)
    engine.dispose()
    p50, p95, worst = _percentiles(timings)

    server = LiveServer(database, tmp_path / "var").start()
    http: list[float] = []
    try:
        token = cli(
            "tokens", "create", "--user", "koordination", "--name", "bench", env=server.env
        ).stdout.strip()
        with httpx.Client(
            base_url=server.url + "/fhir", headers={"Authorization": f"Bearer {token}"}
        ) as client:
            url: str | None = f"/Task?owner=Organization/{owner}&status=requested&_count=50"
            while len(http) < 100:
                start = time.perf_counter()
                response = client.get(url or "")
                http.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.text
                links = {link["relation"]: link["url"] for link in response.json()["link"]}
                url = links.get("next") or f"/Task?owner=Organization/{owner}&status=requested&_count=50"
    finally:
        server.stop()
    h50, h95, _ = _percentiles(http)
    print(
        f"\n{backend}: Task search over {REFERRALS} referrals of one owner, {total} requested "
        f"({pages} pages of 50 read)\n"
        f"  server-side (search, mapping, Bundle, audit, commit) p50 {p50:.1f} ms  p95 {p95:.1f} ms  "
        f"max {worst:.1f} ms\n"
        f"  HTTP GET /fhir/Task p50 {h50:.1f} ms  p95 {h95:.1f} ms  (100 requests, one uvicorn process)"
    )
    assert total > 1000 and len(seen) == total  # every page read, none twice or skipped
    assert p95 < 50, f"p95 {p95:.1f} ms"
