"""Directory search over 10,000 generated services, on SQLite and PostgreSQL (`make bench`).

Server-side latency: `search()` in-process against the database (one SQL round trip returns
the page, its tags and the total), 300 filtered full-text queries per backend: a word, a
municipality, a need, and often a language and an age. Then the same queries as whole HTTP
requests to the live server's results fragment. Goal: p95 < 15 ms server-side. The
generated texts are adversarial: each search word occurs in about 40 % of the offers.
"""

from __future__ import annotations

import random
import statistics
import time

import httpx
import pytest

from backend.db.engine import make_engine, session_scope
from backend.directory.search import SearchQuery, search
from backend.geo.reference import MUNICIPALITIES
from tests.support import LiveServer, cli, login

pytestmark = pytest.mark.bench
SERVICES = 10_000
ROUNDS = 300
WORDS = [
    "Beratung",
    "Besuch",
    "Entlastung",
    "Budget",
    "Einsamkeit",
    "repas",
    "soutien",
    "proches aidants",
    "Fahrdienst",
    "Familie",
]
NEEDS = ["loneliness", "finances", "caring_relatives", "mobility", "food", "housing"]


def _queries(seed: int = 1) -> list[SearchQuery]:
    rng = random.Random(seed)
    municipalities = list(MUNICIPALITIES)
    return [
        SearchQuery(
            text=rng.choice(WORDS),
            municipality=rng.choice(municipalities),
            need_domains=(rng.choice(NEEDS),),
            language=rng.choice(["de", "fr", None]),
            age=rng.choice([None, 34, 72, 85]),
        )
        for _ in range(ROUNDS)
    ]


def _percentiles(timings: list[float]) -> tuple[float, float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], timings[-1]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_search_latency(backend, factories, tmp_path):
    import os

    if backend == "postgresql" and not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set")
    database = factories[backend].new()
    server = LiveServer(database, tmp_path / "var")
    started = time.perf_counter()
    cli("directory", "generate", "--count", str(SERVICES), env=server.env)
    generated = time.perf_counter() - started
    if backend == "postgresql":
        # A live database has been through autovacuum; a freshly bulk-loaded one has not.
        from sqlalchemy import create_engine, text

        maintenance = create_engine(database.url, isolation_level="AUTOCOMMIT")
        with maintenance.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        maintenance.dispose()

    engine = make_engine(database.url)
    queries = _queries()
    hits = []
    with session_scope(engine) as session:
        for query in queries[:20]:  # warm the caches as a running server would have them
            search(session, query)
        timings = []
        for query in queries:
            start = time.perf_counter()
            page = search(session, query)
            timings.append((time.perf_counter() - start) * 1000)
            hits.append(page.total)
    engine.dispose()
    p50, p95, worst = _percentiles(timings)

    server.start()
    try:
        with httpx.Client(base_url=server.url) as client:
            login(client, "pflege")
            http = []
            for query in queries[:100]:
                params = {
                    "q": query.text,
                    "place": str(query.municipality),
                    "need": query.need_domains[0],
                    "language": query.language or "",
                    "age": query.age or "",
                }
                start = time.perf_counter()
                response = client.get(
                    "/directory", params=params, headers={"HX-Request": "true", "HX-Target": "results"}
                )
                http.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
    finally:
        server.stop()
    h50, h95, _ = _percentiles(http)
    print(
        f"\n{backend}: {SERVICES} services generated in {generated:.0f} s; "
        f"median {statistics.median(hits):.0f} matches per query\n"
        f"  search() server-side  p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {worst:.1f} ms  ({ROUNDS} queries)\n"
        f"  HTTP results fragment p50 {h50:.1f} ms  p95 {h95:.1f} ms  (100 requests, one uvicorn process)"
    )
    assert sum(hits) > 0
