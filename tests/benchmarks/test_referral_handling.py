"""Push fan-out and the coordinator's inbox at scale (`make bench`).

Fan-out: 1,000 queued notifications (distinct topics, so none collapse) delivered by one worker
(`deliver_due`, what `python -m backend worker` runs) to the local push-service stub, which
checks each VAPID signature and decrypts each body. Goal: >= 200 per second.

Inbox: 10,000 referrals addressed to one organisation; the inbox page query for every tab, with
and without filters, and the tab counts, server-side. Goal: p95 < 50 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, text
from sqlmodel import select

from backend.accounts.models import User
from backend.accounts.service import current_user
from backend.db.engine import make_engine, session_scope
from backend.db.types import utcnow
from backend.push import vapid
from backend.push.models import Notification, PushSubscription
from backend.push.sender import deliver_due
from backend.referrals import cases
from backend.referrals.models import Referral
from backend.settings import load_settings
from tests.push_stub import serve_in_process, start_push_stub

pytestmark = pytest.mark.bench
BACKENDS = ["sqlite", "postgresql"]


def _database(backend: str, factories):
    if backend == "postgresql" and not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set")
    return factories[backend].new()


def _percentiles(timings: list[float]) -> tuple[float, float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], timings[-1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_push_fan_out(backend, factories, tmp_path):
    database = _database(backend, factories)
    settings = load_settings({"PASSERELLE_VAR_DIR": str(tmp_path), "DATABASE_URL": database.url})
    vapid.init(settings.vapid_key_file)
    stub = start_push_stub(serve=False)
    engine = make_engine(database.url)
    count = 1000
    try:
        with session_scope(engine) as session:
            user = session.exec(select(User).where(User.username == "koordination")).one()
            device = stub.device()
            keys = device.subscription_json()["keys"]
            session.add(
                PushSubscription(
                    user_id=user.id, endpoint=device.endpoint, p256dh=keys["p256dh"], auth=keys["auth"]
                )
            )
            session.add_all(
                Notification(
                    id=str(uuid.uuid4()), user_id=user.id, kind="test", topic=f"bench:{i}", params={}
                )
                for i in range(count)
            )
        process, accepted, rejected = serve_in_process(stub)
        started = time.perf_counter()
        sent = 0
        while sent < count:
            result = deliver_due(engine, settings, limit=200)
            assert result.retried == 0 and result.failed == 0
            sent += result.sent
        elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    process.terminate()
    assert accepted.value == count and rejected.value == 0
    print(f"\n{backend}: {count} pushes in {elapsed:.2f} s = {count / elapsed:.0f} per second (one worker)")


@pytest.mark.parametrize("backend", BACKENDS)
def test_inbox_with_ten_thousand_referrals(backend, factories):
    database = _database(backend, factories)
    engine = make_engine(database.url)
    rng = random.Random(3)
    with session_scope(engine) as session:
        user_row = session.exec(select(User).where(User.username == "koordination")).one()
        user = current_user(session, user_row)
        services = [
            row[0]
            for row in session.exec(
                text(
                    "SELECT s.id, s.organization_id FROM directory_service s JOIN directory_organization o "
                    "ON o.id = s.organization_id WHERE o.organisation_id = :org"
                ).bindparams(org=user.organisation_id)
            ).all()
        ]
        org_of = dict(
            session.exec(text("SELECT id, organization_id FROM directory_service")).all()  # type: ignore[arg-type]
        )
    statuses = [
        "requested",
        "received",
        "accepted",
        "in-progress",
        "on-hold",
        "completed",
        "rejected",
        "cancelled",
    ]
    now = utcnow()
    rows = []
    for _ in range(10_000):
        status = rng.choice(statuses)
        created = now - timedelta(hours=rng.randint(1, 24 * 365))
        service = rng.choice(services)
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "source": "nurse",
                "service_id": service,
                "directory_organization_id": org_of[service],
                "receiving_organisation_id": user.organisation_id,
                "need_domain": rng.choice(["loneliness", "finances", "mobility", "caring_relatives"]),
                "district": rng.choice(["BM", "EM", "TH", "BB", "JB"]),
                "language": rng.choice(["de", "fr"]),
                "status": status,
                "shared": {
                    "need": {"domain": "loneliness", "severity": "needed"},
                    "municipality": 351,
                    "language": "de",
                },
                "due_at": created + timedelta(days=3) if status in ("requested", "accepted") else None,
                "created_at": created,
                "updated_at": created,
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(Referral), rows)
    if backend == "postgresql":
        from sqlalchemy import create_engine

        maintenance = create_engine(database.url, isolation_level="AUTOCOMMIT")
        with maintenance.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        maintenance.dispose()

    filters = [
        cases.InboxFilter(
            tab=tab, service_id=service, district=district, language=language, newest_first=newest
        )
        for tab in cases.TABS
        for service in (None, services[0])
        for district in (None, "EM")
        for language in (None, "fr")
        for newest in (False, True)
    ]
    timings, count_timings, shown = [], [], 0
    with session_scope(engine) as session:
        for f in filters[:10]:
            cases.inbox(session, user, f)
        for _ in range(3):
            for f in filters:
                start = time.perf_counter()
                shown += len(cases.inbox(session, user, f))
                timings.append((time.perf_counter() - start) * 1000)
            for _ in range(20):
                start = time.perf_counter()
                counts = cases.counts(session, user)
                count_timings.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    p50, p95, worst = _percentiles(timings)
    c50, c95, _ = _percentiles(count_timings)
    print(
        f"\n{backend}: inbox over 10,000 referrals, {len(timings)} page queries "
        f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {worst:.1f} ms; tab counts p50 {c50:.1f} ms  p95 {c95:.1f} ms"
    )
    assert shown > 0 and sum(counts.values()) >= 10_000
