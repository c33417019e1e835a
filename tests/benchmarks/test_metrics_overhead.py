"""What counting and timing every request costs (`make bench`): a cheap route (/healthz)
against the real server with and without the request metrics, alternating runs of keep-alive
requests from one client on loopback; and the wrapper alone around an ASGI app that does nothing."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import time

import httpx
import pytest

from backend.system.metrics import RequestMetrics
from tests.support import PYTHON, ROOT, base_env, free_port

pytestmark = pytest.mark.bench
REQUESTS = 3000
RUNS = 3


def _serve(env: dict[str, str], factory: str, port: int, log) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "uvicorn", "--factory", factory, "--port", str(port), "--no-access-log"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _rate(url: str) -> tuple[float, float]:
    """Requests per second and median latency (ms) of REQUESTS sequential GETs."""
    timings = []
    with httpx.Client(base_url=url) as client:
        start = time.perf_counter()
        for _ in range(REQUESTS):
            began = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            timings.append(time.perf_counter() - began)
        elapsed = time.perf_counter() - start
    return REQUESTS / elapsed, statistics.median(timings) * 1000


def test_request_metrics_overhead(factories, tmp_path):
    env = base_env(tmp_path / "var", factories["sqlite"].new().url, WORKER_IN_PROCESS="0", LOG_FORMAT="json")
    servers = {}
    log = (tmp_path / "servers.log").open("ab")
    for name, factory in (
        ("with metrics", "backend.app:app_from_environment"),
        ("without metrics", "tests.benchmarks.metrics_app:without_metrics"),
    ):
        port = free_port()
        servers[name] = (_serve(env, factory, port, log), f"http://127.0.0.1:{port}")
    try:
        for _, url in servers.values():
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, log.name
                time.sleep(0.1)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in servers}
        for _ in range(RUNS):  # alternating, so that a busy moment hits both
            for name, (_, url) in servers.items():
                if not results[name]:
                    _rate(url)  # warm-up
                results[name].append(_rate(url))
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=20)

    async def nothing(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message):
        pass

    async def calls(app, n: int) -> float:
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/x",
            "path_template": "/x",
            "route_handler": object(),
        }
        start = time.perf_counter()
        for _ in range(n):
            await app(dict(scope), None, send)
        return (time.perf_counter() - start) / n * 1e6

    bare = asyncio.run(calls(nothing, 20000))
    wrapped = asyncio.run(calls(RequestMetrics(nothing), 20000))

    print()
    for name, runs in results.items():
        best = max(runs)
        print(
            f"{name:<16} best of {RUNS}: {best[0]:7.0f} req/s  median {best[1]:.2f} ms  ({REQUESTS} GET /healthz)"
        )
    print(f"wrapper alone: {wrapped - bare:.1f} µs a request (bare {bare:.1f} µs, wrapped {wrapped:.1f} µs)")
    with_rate, without_rate = max(results["with metrics"])[0], max(results["without metrics"])[0]
    assert with_rate > 0.8 * without_rate  # a tiny cost, well inside the run-to-run noise
