"""Load benchmarks (`make bench`, loopback only, bounded in time), issue 14.

1. SQLite, as `make run` serves it (one process, the worker inside): 50 people at once for
   60 s — 40 nurses (start page, directory search, a client page, a screening on the page with
   an answer saved and finished, a synced offline visit, and every fifth round a fresh login
   through the form) and 10 coordinators (inbox, start page), 0.2–1 s between actions.
   Reports throughput and p50/p95/p99 per endpoint; no 5xx allowed.
2. PostgreSQL, as the Procfile runs it (`serve --workers 2` and a separate `worker`): 200
   nurses and 10 coordinators for 3 minutes, arriving over the first 20 s: login through the
   form, start page, directory search, a synced visit per round ("a visit"), 1–3 s between
   actions; coordinators open the inbox. Afterwards every accepted record must exist exactly
   once. Goal: p95 of page views and sync under 1 s.
   For a sizing table the run takes LOAD_NURSES (200), LOAD_WEB_WORKERS (2: `serve --workers`)
   and LOAD_BACKGROUND_WORKERS (1: `worker` processes) from the environment; LOAD_SECONDS sets
   either run's length.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time

import httpx
import pytest

from tests.benchmarks import load
from tests.support import ROOT, Database, LiveServer, base_env, free_port

pytestmark = pytest.mark.bench
NURSE_ORG = "Spitex Demo Emmental"
COORDINATORS = ["koordination", "besuchsdienst"]
PAGE_VIEWS = ("GET /", "GET /directory", "GET /clients/{id}", "GET /inbox")


def add_nurses(database: Database, count: int) -> list[str]:
    """`count` nurses of the demo Spitex, with the demo password (its hash copied)."""
    names = [f"bench-nurse-{i}" for i in range(count)]
    org, password_hash = database.execute(
        "SELECT organisation_id, password_hash FROM user_account WHERE username = 'pflege'"
    )[0]
    for name in names:
        database.execute(
            "INSERT INTO user_account (username, display_name, password_hash, role, organisation_id, language,"
            " is_active, is_demo, created_at) VALUES (:u, :u, :h, 'nurse', :o, 'de', true, true, CURRENT_TIMESTAMP)",
            u=name,
            h=password_hash,
            o=org,
        )
    return names


def linked_offer(database: Database) -> str:
    """An offer whose organisation works in Passerelle: every referral notifies coordinators."""
    return database.execute(
        "SELECT s.id FROM directory_service s JOIN directory_service_tag t ON t.service_id = s.id "
        "JOIN directory_organization o ON o.id = s.organization_id WHERE t.kind = 'need_domain' "
        "AND t.value = 'loneliness' AND s.capacity_status = 'accepting' AND o.organisation_id IS NOT NULL "
        "ORDER BY s.id LIMIT 1"
    )[0][0]


async def nurse(base: str, rec: load.Recorder, username: str, offer: str, until: float, *, gap, pages: bool) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=load.connection_limits()) as http:
        token = await load.log_in(http, rec, username)
        client_id = await load.new_client(http, rec, token, "Bench Load") if pages else None
        rounds = 0
        while time.monotonic() < until:
            rounds += 1
            await rec.call("GET /", http.get("/"))
            await load.think(*gap)
            search = random.choice(load.SEARCHES)
            await rec.call("GET /directory", http.get("/directory", params={"q": search}))
            await load.think(*gap)
            if client_id:
                await rec.call("GET /clients/{id}", http.get(f"/clients/{client_id}"))
                await load.screen_on_the_page(http, rec, token, client_id)
                await load.think(*gap)
            await load.sync_visit(http, rec, token, offer, "Bench Visit")
            await load.think(*gap)
            if pages and rounds % 5 == 0:
                http.cookies.clear()
                token = await load.log_in(http, rec, username)


async def coordinator(base: str, rec: load.Recorder, username: str, until: float, *, gap) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=load.connection_limits()) as http:
        await load.log_in(http, rec, username)
        while time.monotonic() < until:
            await rec.call("GET /inbox", http.get("/inbox"))
            await load.think(*gap)
            await rec.call("GET /", http.get("/"))
            await load.think(*gap)


async def _run(base: str, nurses: list[str], offer: str, seconds: float, *, gap, ramp: float, pages: bool) -> load.Recorder:
    rec = load.Recorder()
    until = time.monotonic() + seconds

    async def later(delay: float, job):
        await asyncio.sleep(delay)
        while time.monotonic() < until:
            try:
                await job()
            except load.Dropped:  # counted; like a person, start over after a pause
                await asyncio.sleep(2)

    jobs = [
        later(ramp * i / len(nurses), lambda name=name: nurse(base, rec, name, offer, until, gap=gap, pages=pages))
        for i, name in enumerate(nurses)
    ]
    jobs += [
        later(ramp * i / 10, lambda i=i: coordinator(base, rec, COORDINATORS[i % 2], until, gap=gap)) for i in range(10)
    ]
    await asyncio.gather(*jobs)
    return rec


def _exactly_once(database: Database, rec: load.Recorder) -> None:
    ids = [record_id for record_id, _ in rec.accepted]
    assert len(ids) == len(set(ids))
    stored = database.execute("SELECT count(*), count(DISTINCT id) FROM sync_record")[0]
    assert stored[0] == stored[1] == len(ids), (stored, len(ids))
    clients = sum(1 for _, kind in rec.accepted if kind == "client")
    made = database.execute("SELECT count(*) FROM client WHERE display_name LIKE 'Bench Visit %'")[0][0]
    assert made == clients
    referrals = sum(1 for _, kind in rec.accepted if kind == "referral")
    sent = database.execute(
        "SELECT count(*) FROM referral r JOIN sync_record s ON s.id = r.id WHERE s.type = 'referral'"
    )[0][0]
    assert sent == referrals


def test_fifty_people_at_once_on_sqlite(make_server):
    server = make_server("sqlite")
    nurses = add_nurses(server.database, 40)
    seconds = float(os.environ.get("LOAD_SECONDS", "60"))
    rec = asyncio.run(
        _run(server.url, nurses, linked_offer(server.database), seconds, gap=(0.2, 1.0), ramp=2, pages=True)
    )
    print(rec.report(f"SQLite, 50 people (make run: one process, worker inside), {seconds:.0f} s"))
    _exactly_once(server.database, rec)
    assert not any(code >= 500 or code == 0 for codes in rec.errors.values() for code in codes), rec.errors


def _count(name: str, default: int) -> int:
    """A positive whole number from the environment (the sizing knobs), `default` when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        pytest.fail(f"{name}={raw!r}: a whole number of at least 1 is expected")
    return int(raw)


def web_workers() -> int:
    return _count("LOAD_WEB_WORKERS", 2)


def background_workers() -> int:
    return _count("LOAD_BACKGROUND_WORKERS", 1)


@pytest.fixture
def procfile_on_postgres(factories, tmp_path):
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set")
    database = factories["postgresql"].new()
    port = free_port()
    env = base_env(tmp_path, database.url, WORKER_IN_PROCESS="0")
    log = (tmp_path / "procfile.log").open("ab")
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(web_workers())]
    web = subprocess.Popen(
        [sys.executable, "-m", "backend", *serve], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    worker = [sys.executable, "-m", "backend", "worker"]
    workers = [
        subprocess.Popen(worker, cwd=ROOT, env=env, stdout=log, stderr=log) for _ in range(background_workers())
    ]
    live = LiveServer(database, tmp_path, port=port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(live.url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield live, database, tmp_path / "procfile.log"
    for process in (web, *workers):
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_two_hundred_nurses_on_postgresql(procfile_on_postgres):
    live, database, log = procfile_on_postgres
    count = _count("LOAD_NURSES", 200)
    nurses = add_nurses(database, count)
    seconds = float(os.environ.get("LOAD_SECONDS", "180"))
    try:
        rec = asyncio.run(
            _run(live.url, nurses, linked_offer(database), seconds, gap=(1.0, 3.0), ramp=20, pages=False)
        )
    finally:
        lines = log.read_text(errors="replace").splitlines()
        print("\n".join(line for line in lines if "Waiting for" not in line and "startup" not in line)[-4000:])
    setup = f"serve --workers {web_workers()} + {background_workers()} worker"
    setup += "s" if background_workers() > 1 else ""
    if (web_workers(), background_workers()) == (2, 1):
        setup = "Procfile: " + setup
    print(rec.report(f"PostgreSQL, {count} nurses + 10 coordinators ({setup}), {seconds:.0f} s"))
    _exactly_once(database, rec)
    assert not rec.errors, rec.errors
    for label in ("GET /", "GET /directory", "GET /inbox", "POST /api/v1/sync"):
        print(f"{label}: p95 {rec.p95(label):.0f} ms (goal < 1000)")
