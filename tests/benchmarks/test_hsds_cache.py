"""/hsds/services?per_page=200 over 1,000 generated services, on SQLite and PostgreSQL
(`make bench`): whole HTTP requests to the live server (one uvicorn process), anonymous, as an
open-data client makes them.

- cold: no validator sent, the server builds the page of 200 services;
- revalidated: the client sends the ETag it got (`If-None-Match`), the server answers 304
  after one aggregate query (and the anonymous rate-limit count).

Requests come from several loopback addresses (127.0.0.2, …) so that the per-address limit
(120 a minute) is counted on every request but never reached.
"""

from __future__ import annotations

import os
import statistics
import time

import httpx
import pytest

from tests.support import LiveServer, cli

pytestmark = pytest.mark.bench
SERVICES = 1_000
ROUNDS = 60  # per phase; each phase from its own address, under the limit
URL = "/hsds/services?per_page=200&page=2"


def _percentiles(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def _timed(server: LiveServer, address: str, headers: dict[str, str]) -> tuple[list[float], set[int]]:
    transport = httpx.HTTPTransport(local_address=address)
    timings, statuses = [], set()
    with httpx.Client(base_url=server.url, transport=transport, timeout=30) as client:
        client.get(URL)  # the first request of a process compiles and warms; not counted
        for _ in range(ROUNDS):
            start = time.perf_counter()
            response = client.get(URL, headers=headers)
            timings.append((time.perf_counter() - start) * 1000)
            statuses.add(response.status_code)
    return timings, statuses


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_hsds_services_latency(backend, factories, tmp_path):
    if backend == "postgresql" and not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set")
    server = LiveServer(factories[backend].new(), tmp_path / "var")
    cli("directory", "generate", "--count", str(SERVICES), env=server.env)
    server.start()
    try:
        first = httpx.get(server.url + URL, timeout=30)
        assert first.status_code == 200 and len(first.json()["contents"]) == 200
        cold, cold_statuses = _timed(server, "127.0.0.2", {})
        etag = first.headers.get("etag", '"none"')
        warm, warm_statuses = _timed(server, "127.0.0.3", {"If-None-Match": etag})
    finally:
        server.stop()
    c50, c95 = _percentiles(cold)
    w50, w95 = _percentiles(warm)
    print(
        f"\n{backend}: GET {URL} ({SERVICES} services, {ROUNDS} requests per phase)\n"
        f"  cold         p50 {c50:.1f} ms  p95 {c95:.1f} ms  statuses {sorted(cold_statuses)}\n"
        f"  If-None-Match p50 {w50:.1f} ms  p95 {w95:.1f} ms  statuses {sorted(warm_statuses)}"
    )
    assert cold_statuses == {200}
