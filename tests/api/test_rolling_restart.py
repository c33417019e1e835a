"""A rolling restart under load (issue 18, graceful shutdown): app servers A and B on one
PostgreSQL, clients sending page views, directory searches, form posts and sync batches to them
in turn, as a proxy would. A gets SIGTERM, stops, starts again on its port; then B. A request
whose connection is refused goes to the other server (nginx's `proxy_next_upstream error`);
every request that was accepted gets an answer, none a 5xx, and every record answered as
accepted is stored exactly once."""

from __future__ import annotations

import copy
import itertools
import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from tests.api.test_multi_server import pair  # noqa: F401 (the fixture: servers A and B, one worker)
from tests.api.test_sync import visit
from tests.conftest import POSTGRES_URL
from tests.support import DEMO_PASSWORD, LiveServer, cli, csrf_from

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set: PostgreSQL only")

SHUTDOWN_TIMEOUT = 20  # the setting's default, which `pair` keeps
LOAD = 2.0  # seconds of load before, between and after the two restarts
SERVED = 10  # answers the server about to stop has given in its current life (it is under load)
PAUSE = 0.05  # between a client's rounds: a steady load that leaves the restarting server CPU


def fresh(template: list[dict]) -> list[dict]:
    """Another offline visit like `template`, under new record ids."""
    ids = {record["id"]: str(uuid.uuid4()) for record in template}
    records = copy.deepcopy(template)
    for record in records:
        record["id"] = ids[record["id"]]
        for key in ("client_id", "screening_id"):
            if key in record["data"]:
                record["data"][key] = ids[record["data"][key]]
    return records


@dataclass
class Proxy:
    """Sends each request to A or B in turn; a refused connection (the server is down, the
    request never reached it) is tried on the other one. Everything else is counted."""

    servers: list[LiveServer]
    turn: itertools.count = field(default_factory=itertools.count)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    refused: int = 0
    served: Counter[str] = field(default_factory=Counter)  # answers per server generation
    generation: dict[int, int] = field(default_factory=dict)  # port: how often it was started
    statuses: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    in_flight: Counter[int] = field(default_factory=Counter)  # per port: sent, not yet answered

    def send(self, http: httpx.Client, method: str, path: str, **kwargs: object) -> httpx.Response | None:
        first = next(self.turn) % 2
        deadline = time.monotonic() + 10
        attempt = 0
        while time.monotonic() < deadline:
            server = self.servers[(first + attempt) % 2]
            attempt += 1
            generation = self.generation.get(server.port, 0)
            with self.lock:
                self.in_flight[server.port] += 1
            try:
                answer = http.request(method, server.url + path, **kwargs)  # type: ignore[arg-type]
            except httpx.ConnectError:
                with self.lock:
                    self.refused += 1
                if attempt % 2 == 0:
                    time.sleep(0.05)  # both refused: a moment (not expected: one restarts at a time)
                continue
            except httpx.HTTPError as error:  # accepted, then cut off without an answer
                with self.lock:
                    self.sent += 1
                    self.problems.append(f"{method} {path} on {server.port}: no answer ({error!r})")
                return None
            finally:
                with self.lock:
                    self.in_flight[server.port] -= 1
            with self.lock:
                self.sent += 1
                self.statuses[answer.status_code] += 1
                self.served[f"{server.port}/{generation}"] += 1
                if answer.status_code >= 500:
                    self.problems.append(f"{method} {path} on {server.port}: {answer.status_code}")
            return answer
        with self.lock:
            self.problems.append(f"{method} {path}: both servers refused for 10 s")
        return None


def test_a_rolling_restart_under_load_loses_no_accepted_request(pair):  # noqa: F811 (the fixture)
    a, b = pair
    database = a.database
    token = cli("tokens", "create", "--user", "pflege", "--name", "rolling", env=a.env).stdout.strip()
    template = visit(a, "R. R.")
    proxy = Proxy([a, b])
    done = threading.Event()
    accepted_records: list[str] = []
    created_clients: list[str] = []
    referrals: list[str] = []  # of batches answered 200
    # Like nginx with `keepalive` to its upstreams (deploy/nginx/passerelle.conf): connections
    # are reused between requests.
    limits = httpx.Limits(max_keepalive_connections=4)

    def tablet() -> None:
        with httpx.Client(timeout=20, limits=limits, headers={"Authorization": f"Bearer {token}"}) as http:
            while not done.is_set():
                batch = fresh(template)
                answer = proxy.send(http, "POST", "/api/v1/sync", json={"records": batch})
                if answer is not None and answer.status_code == 200:
                    results = answer.json()["results"]
                    with proxy.lock:
                        accepted_records.extend(r["id"] for r in results if r["status"] == "accepted")
                        referrals.extend(r["id"] for r in batch if r["type"] == "referral")
                        if {r["status"] for r in results} != {"accepted"}:
                            proxy.problems.append(f"sync: {results}")
                proxy.send(http, "GET", "/api/v1/clients")
                time.sleep(PAUSE)

    def browser() -> None:
        with httpx.Client(timeout=20, limits=limits) as http:
            page = proxy.send(http, "GET", "/login")
            assert page is not None
            signed_in = proxy.send(
                http,
                "POST",
                "/login",
                data={"username": "pflege", "password": DEMO_PASSWORD, "csrf_token": csrf_from(page.text)},
            )
            assert signed_in is not None and signed_in.status_code == 303
            number = 0
            while not done.is_set():
                number += 1
                time.sleep(PAUSE)
                home = proxy.send(http, "GET", "/")
                proxy.send(http, "GET", "/directory", params={"q": "Besuch", "place": "Langnau im Emmental"})
                if home is None or home.status_code != 200:
                    continue
                created = proxy.send(
                    http,
                    "POST",
                    "/clients/new",
                    data={
                        "display_name": f"B. {number}.",
                        "birth_year": "1940",
                        "municipality": "Langnau im Emmental",
                        "language": "de",
                        "phone": "",
                        "csrf_token": csrf_from(home.text),
                    },
                )
                if created is not None and created.status_code == 303:
                    with proxy.lock:
                        created_clients.append(created.headers["location"].rsplit("/", 1)[1])
                elif created is not None:
                    with proxy.lock:
                        proxy.problems.append(f"form post: {created.status_code}")

    threads = [threading.Thread(target=tablet) for _ in range(2)] + [threading.Thread(target=browser)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    restarts: list[dict] = []
    try:
        for server in (a, b):
            time.sleep(LOAD)
            life = f"{server.port}/{proxy.generation.get(server.port, 0)}"
            deadline = time.monotonic() + 15
            while proxy.served[life] < SERVED and time.monotonic() < deadline:
                time.sleep(0.1)
            process = server.process
            assert process is not None
            sent_before, refused_before = proxy.sent, proxy.refused
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            in_flight = proxy.in_flight[server.port]
            code = process.wait(timeout=SHUTDOWN_TIMEOUT + 5)
            stopped = time.monotonic() - began
            with proxy.lock:  # what answers from now on is the new process
                proxy.generation[server.port] = proxy.generation.get(server.port, 0) + 1
            server.start()  # the same port, the same database
            restarts.append(
                {
                    "port": server.port,
                    "exit": code,
                    "in_flight_at_sigterm": in_flight,
                    "stopped_s": round(stopped, 2),
                    "down_s": round(time.monotonic() - began, 2),
                    "sent": proxy.sent - sent_before,
                    "refused": proxy.refused - refused_before,
                }
            )
        time.sleep(LOAD)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=30)
    took = time.monotonic() - started
    print(
        f"load {took:.1f} s, {proxy.sent} answers {dict(proxy.statuses)}, {proxy.refused} refused and retried"
    )
    print(f"restarts {restarts}; answers per server/generation {dict(proxy.served)}")

    assert not any(thread.is_alive() for thread in threads)
    assert not proxy.problems, proxy.problems[:10]
    for restart in restarts:
        # uvicorn ends by re-raising SIGTERM after its graceful shutdown (README, "Stopping and
        # restarting"): "killed by SIGTERM" is its clean exit, as systemd counts it.
        assert restart["exit"] in (0, -signal.SIGTERM), restarts
        assert restart["stopped_s"] < SHUTDOWN_TIMEOUT
        assert proxy.served[f"{restart['port']}/1"] > 0, proxy.served  # the new process served
    assert proxy.refused >= 1  # the restarts did refuse connections, and they were retried
    assert proxy.served[f"{a.port}/0"] >= SERVED and proxy.served[f"{b.port}/0"] >= SERVED

    # Exactly once: every record answered as accepted is stored, once (ids are unique keys).
    assert accepted_records and created_clients
    held = database.execute("SELECT id FROM sync_record WHERE id = ANY(:ids)", ids=accepted_records)
    assert sorted(row[0] for row in held) == sorted(accepted_records)
    stored = database.execute("SELECT id FROM referral WHERE id = ANY(:ids)", ids=referrals)
    assert sorted(row[0] for row in stored) == sorted(referrals)
    made = database.execute("SELECT id FROM client WHERE id = ANY(:ids)", ids=created_clients)
    assert sorted(row[0] for row in made) == sorted(created_clients)
    for server in (a, b):
        assert "Traceback" not in server.log()
