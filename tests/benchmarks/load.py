"""A load generator for the benchmarks: simulated people, each with a browser's cookies,
logging in through the form and working with think time between actions (asyncio + httpx,
one process, loopback only). Records the latency of every request by endpoint."""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import httpx

from tests.support import DEMO_PASSWORD

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
LONELY = {"ucla-companionship": "often", "ucla-left-out": "often", "ucla-isolated": "often"}
SEARCHES = ["Besuch", "Einsamkeit", "Entlastung", "Beratung", "Langnau", "Alter", "Finanzen", "Wohnen"]


class Dropped(Exception):
    """A request got no answer (connection refused, reset or timed out)."""


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    started: float = field(default_factory=time.perf_counter)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (record id, type) the server accepted

    async def call(self, label: str, request, ok=(200, 303)) -> httpx.Response:
        begin = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as error:  # counted as an error (status 0); the person goes on
            self.errors[label].append(0)
            raise Dropped(label) from error
        self.latencies[label].append(time.perf_counter() - begin)
        if response.status_code not in ok:
            self.errors[label].append(response.status_code)
        return response

    def report(self, title: str) -> str:
        elapsed = time.perf_counter() - self.started
        total = sum(len(v) for v in self.latencies.values())
        lines = [f"\n{title}: {total} requests in {elapsed:.0f} s = {total / elapsed:.1f} requests/s"]
        lines.append(f"{'endpoint':<22}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for label in sorted(self.latencies):
            values = sorted(self.latencies[label])
            lines.append(
                f"{label:<22}{len(values):>7}{percentile(values, 50):>9.0f}{percentile(values, 95):>9.0f}"
                f"{percentile(values, 99):>9.0f}{len(self.errors.get(label, [])):>8}"
            )
        bad = {label: sorted(set(codes)) for label, codes in self.errors.items() if codes}
        lines.append(f"errors by endpoint (status codes): {bad or 'none'}")
        return "\n".join(lines)

    def p95(self, label: str) -> float:
        return percentile(sorted(self.latencies[label]), 95)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1] * 1000


def visit(prefix: str, referrals: list[tuple[str, str]], answers: dict = LONELY) -> list[dict]:
    """One offline home visit as the tablet sends it: client, screening, and a referral for each
    (offer, need) in `referrals`."""
    client_id, screening_id = str(uuid.uuid4()), str(uuid.uuid4())
    return [
        {
            "id": client_id,
            "type": "client",
            "data": {"display_name": f"{prefix} {client_id[:8]}", "birth_year": 1941, "municipality": 902, "language": "de"},
        },
        {
            "id": screening_id,
            "type": "screening",
            "data": {
                "client_id": client_id,
                "instrument_id": "social-situation-short",
                "instrument_version": "1.0.0",
                "answers": answers,
                "status": "completed",
            },
        },
        *(
            {
                "id": str(uuid.uuid4()),
                "type": "referral",
                "data": {
                    "screening_id": screening_id,
                    "service_id": offer,
                    "need_domain": need,
                    "consent": {"confirmed": True, "given_by": "client", "method": "verbal", "scope": ["contact"]},
                    "accept_warnings": True,
                },
            }
            for offer, need in referrals
        ),
    ]


async def log_in(http: httpx.AsyncClient, rec: Recorder, username: str) -> str:
    page = await rec.call("GET /login", http.get("/login"))
    token = CSRF.search(page.text).group(1)
    data = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token}
    done = await rec.call("POST /login", http.post("/login", data=data))
    if done.status_code != 303:
        raise RuntimeError(f"login of {username} answered {done.status_code}")
    home = await rec.call("GET /", http.get("/"))
    return CSRF.search(home.text).group(1)


async def think(low: float, high: float) -> None:
    await asyncio.sleep(random.uniform(low, high))


async def sync_visit(http: httpx.AsyncClient, rec: Recorder, token: str, offer: str, prefix: str) -> None:
    records = visit(prefix, [(offer, "loneliness")])
    response = await rec.call(
        "POST /api/v1/sync",
        http.post("/api/v1/sync", json={"records": records}, headers={"X-CSRF-Token": token}),
        ok=(200,),
    )
    if response.status_code == 200:
        kinds = {r["id"]: r["type"] for r in records}
        for result in response.json()["results"]:
            if result["status"] in ("accepted", "duplicate"):
                rec.accepted.append((result["id"], kinds[result["id"]]))


async def screen_on_the_page(http: httpx.AsyncClient, rec: Recorder, token: str, client_id: str) -> None:
    """The online screening: start, save an answer (htmx), finish."""
    started = await rec.call(
        "POST screening", http.post(f"/clients/{client_id}/screenings", data={"csrf_token": token})
    )
    if started.status_code != 303:
        return
    path = started.headers["location"]
    answer = {"csrf_token": token, "a-housing-situation-present": "1", "a-housing-situation": "worried"}
    await rec.call("POST answers", http.post(f"{path}/answers", data=answer, headers={"HX-Request": "true"}))
    await rec.call("POST complete", http.post(f"{path}/complete", data={"csrf_token": token}))


async def new_client(http: httpx.AsyncClient, rec: Recorder, token: str, prefix: str) -> str:
    data = {
        "display_name": f"{prefix} {uuid.uuid4().hex[:6]}",
        "birth_year": "1944",
        "municipality": "Langnau im Emmental",
        "language": "de",
        "csrf_token": token,
    }
    created = await rec.call("POST /clients/new", http.post("/clients/new", data=data))
    return created.headers["location"].rsplit("/", 1)[1]


def connection_limits() -> httpx.Limits:
    """A new connection per request: with keep-alive, uvicorn may close an idle connection just
    as the client reuses it (a browser retries such a request; httpx does not). On loopback a
    connection costs little."""
    return httpx.Limits(max_connections=4, max_keepalive_connections=0)
