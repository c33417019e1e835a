"""Task updates through the state machine on SQLite (`make bench`): a receiving organisation's
system works through 250 new referrals from 4 threads at once, each referral read (GET, for its
ETag), accepted (PUT with If-Match: opened → received → accepted) and set in progress (PUT with
the new ETag) — 500 updates, each with its status events, audit rows, report counters and push
notification rows in one transaction, against the live server (loopback, one process). Goal:
>= 500 updates per minute; reports the rate and the update latencies.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import insert, text

from backend.db.engine import make_engine
from backend.db.types import utcnow
from backend.referrals.models import Referral
from tests.support import cli

pytestmark = pytest.mark.bench
REFERRALS = 250
THREADS = 4
FHIR_JSON = "application/fhir+json"


def _seed(url: str) -> list[str]:
    """250 new referrals from pflege's Spitex to koordination's organisation, as if sent."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            sender_org, nurse = connection.execute(
                text("SELECT organisation_id, id FROM user_account WHERE username = 'pflege'")
            ).one()
            receiver_org = connection.execute(
                text("SELECT organisation_id FROM user_account WHERE username = 'koordination'")
            ).scalar_one()
            service_id, organization_id = connection.execute(
                text(
                    "SELECT s.id, s.organization_id FROM directory_service s JOIN directory_organization o "
                    "ON o.id = s.organization_id WHERE o.organisation_id = :org ORDER BY s.id LIMIT 1"
                ),
                {"org": receiver_org},
            ).one()
            now = utcnow()
            rows = [
                {
                    "id": str(uuid.uuid4()),
                    "source": "nurse",
                    "organisation_id": sender_org,
                    "service_id": service_id,
                    "directory_organization_id": organization_id,
                    "receiving_organisation_id": receiver_org,
                    "need_domain": "loneliness",
                    "district": "EM",
                    "language": "de",
                    "status": "requested",
                    "shared": {"need": {"domain": "loneliness", "severity": "needed"}, "municipality": 902},
                    "created_by": nurse,
                    "created_at": now,
                    "updated_at": now,
                }
                for _ in range(REFERRALS)
            ]
            connection.execute(insert(Referral), rows)
    finally:
        engine.dispose()
    return [row["id"] for row in rows]


def _work(base: str, token: str, referral_ids: list[str]) -> list[float]:
    """One thread of the organisation's system: read, accept, set in progress; update latencies (ms)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": FHIR_JSON, "Content-Type": FHIR_JSON}
    timings = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as fhir:
        for referral_id in referral_ids:
            read = fhir.get(f"/Task/{referral_id}")
            assert read.status_code == 200, read.text
            task, etag = read.json(), read.headers["etag"]
            for status in ("accepted", "in-progress"):
                start = time.perf_counter()
                answer = fhir.put(
                    f"/Task/{referral_id}",
                    content=json.dumps({**task, "status": status}),
                    headers={"If-Match": etag},
                )
                timings.append((time.perf_counter() - start) * 1000)
                assert answer.status_code == 200, answer.text
                task, etag = answer.json(), answer.headers["etag"]
    return timings


def test_five_hundred_task_updates_a_minute_on_sqlite(make_server):
    server = make_server("sqlite")
    referral_ids = _seed(server.database.url)
    token = cli(
        "tokens", "create", "--user", "koordination", "--name", "bench", env=server.env
    ).stdout.strip()
    shares = [referral_ids[i::THREADS] for i in range(THREADS)]

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        timings = [
            t for part in pool.map(lambda ids: _work(server.url + "/fhir", token, ids), shares) for t in part
        ]
    elapsed = time.perf_counter() - started

    updates = len(timings)
    per_minute = updates / elapsed * 60
    timings.sort()
    p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95) - 1]
    print(
        f"\nsqlite: {updates} Task updates (+{REFERRALS} reads) from {THREADS} threads in {elapsed:.1f} s "
        f"= {per_minute:.0f} updates/min; update p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {timings[-1]:.1f} ms"
    )
    ours = set(referral_ids)
    statuses = [s for i, s in server.database.execute("SELECT id, status FROM referral") if i in ours]
    assert statuses == ["in-progress"] * REFERRALS
    events = server.database.execute("SELECT referral_id FROM referral_event")
    assert sum(1 for (i,) in events if i in ours) == 3 * REFERRALS  # received, accepted, in progress
    pushes = server.database.execute("SELECT referral_id FROM notification WHERE kind = 'status'")
    assert sum(1 for (i,) in pushes if i in ours) == 3 * REFERRALS  # the nurse is told of each change
    assert per_minute >= 500
