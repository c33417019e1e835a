"""Latency of the pages everyone hits, against the real server on SQLite (`make bench`).

Sequential requests from one client on loopback; reports p50/p95 in milliseconds.
"""

from __future__ import annotations

import statistics
import time

import httpx
import pytest

from tests.support import login

pytestmark = pytest.mark.bench
ROUNDS = 300


def _measure(client: httpx.Client, path: str) -> tuple[float, float]:
    timings = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def test_page_latency(make_server):
    server = make_server("sqlite")
    with httpx.Client(base_url=server.url) as client:
        results = {"/healthz": _measure(client, "/healthz"), "/login": _measure(client, "/login")}
        login(client, "pflege")
        results["/ (nurse home)"] = _measure(client, "/")
    print()
    for path, (p50, p95) in results.items():
        print(f"{path:<18} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   ({ROUNDS} requests)")
