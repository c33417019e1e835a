"""Prometheus metrics (prometheus-client): what the app counts, and the text a scrape reads.

Labels are bounded and carry no personal data: a request is labelled by its method, its route
*template* (`/inbox/{referral_id}`, never the path with its id), and its status class; a path
no route matches is `unmatched`. Counters are plain process memory: each app process exposes
its own `/metrics` and Prometheus scrapes each. When one `serve --workers N` runs several
processes behind one port, `serve` sets PROMETHEUS_MULTIPROC_DIR and a scrape sums them all
(prometheus-client's multiprocess mode). What the database knows (outbox depth and age) is
read at scrape time, with one cheap query per outbox."""

from __future__ import annotations

import atexit
import hmac
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, String, case, column, event, func, select, table
from sqlalchemy.pool import Pool
from sqlalchemy.sql import TableClause

from backend.db.types import UTCDateTime, utcnow

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REGISTRY = CollectorRegistry()
"""This process's metrics (single-process mode); multiprocess mode reads the shared directory."""

REQUESTS = Counter(
    "passerelle_http_requests",
    "HTTP requests answered, by method, route template and status class.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "passerelle_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by method, route template and status class.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
SYNC_RECORDS = Counter(
    "passerelle_sync_records",
    "Offline records received through POST /api/v1/sync, by outcome (accepted, duplicate, rejected).",
    ["outcome"],
    registry=REGISTRY,
)
PUSH_NOTIFICATIONS = Counter(
    "passerelle_push_notifications",
    "Push notifications leaving the outbox, by outcome (sent, retried, failed: given up, merged).",
    ["outcome"],
    registry=REGISTRY,
)
PUSH_SUBSCRIPTIONS_REMOVED = Counter(
    "passerelle_push_subscriptions_removed",
    "Push subscriptions removed because the push service said they are gone (404, 410) or unsafe.",
    registry=REGISTRY,
)
LOGIN_FAILURES = Counter(
    "passerelle_login_failures",
    "Refused logins: wrong_credentials (unknown name or wrong password) or rate_limited.",
    ["reason"],
    registry=REGISTRY,
)
LOGIN_LOCKOUTS = Counter(
    "passerelle_login_lockouts",
    "Usernames locked out for the login window after too many failures.",
    registry=REGISTRY,
)
WORKER_ROUNDS = Histogram(
    "passerelle_worker_round_duration_seconds",
    "Duration of one worker round (outbox delivery, and housekeeping when due).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
WORKER_ROUND_FAILURES = Counter(
    "passerelle_worker_round_failures", "Worker rounds that ended with an error.", registry=REGISTRY
)
POOL_CHECKED_OUT = Gauge(
    "passerelle_db_pool_checked_out",
    "Database connections in use (checked out of SQLAlchemy's pool), by database (primary, replica).",
    ["database"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "passerelle_db_pool_size",
    "Connections SQLAlchemy's pool keeps (pool_size; overflow comes on top), by database (primary, replica).",
    ["database"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
POOL_CHECKOUTS = Counter(
    "passerelle_db_pool_checkouts",
    "Connections lent out of SQLAlchemy's pool (about one per unit of work), by database (primary, replica).",
    ["database"],
    registry=REGISTRY,
)
POOL_CONNECTS = Counter(
    "passerelle_db_connections_opened",
    "New database connections opened (a steady rise under load means the pool is too small: "
    "DATABASE_POOL_SIZE), by database (primary, replica).",
    ["database"],
    registry=REGISTRY,
)
POOL_CLOSES = Counter(
    "passerelle_db_connections_closed",
    "Database connections the pool closed (given back to a full pool, or found broken), by database.",
    ["database"],
    registry=REGISTRY,
)
if not os.environ.get(MULTIPROCESS_ENV):
    ProcessCollector(registry=REGISTRY)  # memory, CPU, open files: of this process only


def status_class(status: int) -> str:
    return f"{status // 100}xx"


_children: dict[tuple[str, str | None, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """Counts and times one request. The labelled children are looked up once per label set
    (a few hundred at most: templates × methods × status classes), not on every request."""
    key = (method if method in METHODS else "other", route, status)  # no client-made key
    children = _children.get(key)
    if children is None:
        labels = (key[0], route or UNMATCHED, status_class(status))
        children = _children.setdefault(key, (REQUESTS.labels(*labels), LATENCY.labels(*labels)))
    children[0].inc()
    children[1].observe(seconds)


def count_sync(outcomes: Iterable[str]) -> None:
    tally: dict[str, int] = {}
    for outcome in outcomes:
        tally[outcome] = tally.get(outcome, 0) + 1
    for outcome, n in tally.items():
        SYNC_RECORDS.labels(outcome).inc(n)


def count_push(sent: int, retried: int, failed: int, merged: int, removed: int) -> None:
    for outcome, n in (("sent", sent), ("retried", retried), ("failed", failed), ("merged", merged)):
        if n:
            PUSH_NOTIFICATIONS.labels(outcome).inc(n)
    if removed:
        PUSH_SUBSCRIPTIONS_REMOVED.inc(removed)


class RequestMetrics:
    """ASGI wrapper around the app: counts and times every HTTP request. Litestar's router
    writes the matched route's template into the scope (`path_template`) on the way in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # an exception that escapes everything is answered 500 by the server

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = scope.get("path_template") if scope.get("route_handler") is not None else None
            observe_request(scope["method"], route, status, time.perf_counter() - start)


class WorkerRound:
    """`with WorkerRound():` times a round and counts one that raised."""

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, kind: Any, *_: Any) -> None:
        WORKER_ROUNDS.observe(time.perf_counter() - self.start)
        if kind is not None:
            WORKER_ROUND_FAILURES.inc()


def watch_pool(engine: Engine, database: str = "primary") -> None:
    """Connections in use, lent out, and the pool's size, kept by the pool's own events (exact
    in every process; in multiprocess mode the live processes' values are summed). `database`
    is `primary` (DATABASE_URL) or `replica` (DATABASE_REPLICA_URL): each engine has its own pool."""
    pool: Pool = engine.pool
    in_use = POOL_CHECKED_OUT.labels(database)
    lent = POOL_CHECKOUTS.labels(database)
    opened = POOL_CONNECTS.labels(database)
    closed = POOL_CLOSES.labels(database)
    size = getattr(pool, "size", None)
    kept = POOL_SIZE.labels(database)  # the series exists (0) even for a pool without a size
    if callable(size):
        kept.inc(size())

    def checked_out(*_: Any) -> None:
        in_use.inc()
        lent.inc()

    event.listen(pool, "connect", lambda *_: opened.inc())
    event.listen(pool, "close", lambda *_: closed.inc())
    event.listen(pool, "checkout", checked_out)
    event.listen(pool, "checkin", lambda *_: in_use.dec())


def _outbox(name: str) -> TableClause:
    """The columns every outbox has (backend/db/outbox.py), without importing its model: the
    outboxes belong to capabilities above this module."""
    return table(name, column("status", String()), column("next_attempt_at", UTCDateTime()))


OUTBOXES = {"push": _outbox("notification"), "fhir": _outbox("fhir_notification")}


class OutboxCollector(Collector):
    """At scrape time: rows waiting in each outbox and how late the oldest due one is."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "passerelle_outbox_pending", "Outbox rows not yet delivered or given up.", labels=["outbox"]
        )
        age = GaugeMetricFamily(
            "passerelle_outbox_oldest_due_seconds",
            "Seconds the oldest due outbox row has waited (0: none due; a worker keeping up stays near 0).",
            labels=["outbox"],
        )
        now = utcnow()
        with self.engine.connect() as connection:
            for name, table in OUTBOXES.items():
                due = case((table.c.next_attempt_at <= now, table.c.next_attempt_at))
                query = select(func.count(), func.min(due)).where(table.c.status == "pending")
                pending, oldest = connection.execute(query).one()
                depth.add_metric([name], pending)
                age.add_metric([name], _seconds_since(oldest, now))
        yield depth
        yield age


def _seconds_since(value: Any, now: datetime) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):  # SQLite hands back min() of the stored text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=now.tzinfo)
    return max(0.0, float((now - value).total_seconds()))


def exposition(extra: Collector | None = None) -> bytes:
    """The text of one scrape: this process's (or all processes') metrics, then `extra`."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    text = generate_latest(registry)
    if extra is not None:
        scrape = CollectorRegistry()
        scrape.register(extra)
        text += generate_latest(scrape)
    return text


def share_between_processes(workers: int) -> None:
    """`serve --workers N` (N > 1): uvicorn's processes share one port, so a scrape lands on
    any of them and must report them all. They inherit PROMETHEUS_MULTIPROC_DIR, a fresh
    directory (counters restart with the server, as Prometheus expects), removed at exit."""
    if workers <= 1 or os.environ.get(MULTIPROCESS_ENV):
        return
    directory = tempfile.mkdtemp(prefix="passerelle-metrics-")
    os.environ[MULTIPROCESS_ENV] = directory
    atexit.register(shutil.rmtree, directory, ignore_errors=True)


if os.environ.get(MULTIPROCESS_ENV):  # a web process that stops drops out of the live gauges
    atexit.register(multiprocess.mark_process_dead, os.getpid())


def authorised(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def serve_scrapes(host: str, port: int, token: str, engine: Engine) -> ThreadingHTTPServer:
    """The worker process's own /metrics (push, worker rounds, its pool, the outboxes), on a
    port of its own, behind the same token; served from a daemon thread."""
    watch_pool(engine)

    class Scrapes(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/metrics":
                self.send_error(404)
            elif not authorised(self.headers.get("Authorization", ""), token):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Bearer realm="metrics"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                body = exposition(OutboxCollector(engine))
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # no access log: scrapes every few seconds would drown the worker's own lines

    server = ThreadingHTTPServer((host, port), Scrapes)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
