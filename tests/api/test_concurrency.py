"""Many people at once: no 5xx from concurrent use, on SQLite (one writer at a time) and
PostgreSQL; a write that cannot get the lock in time is a 503 that wrote nothing."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.api.test_screening_flow import _client, _form
from tests.support import DEMO_PASSWORD, csrf_from, login

USERS = ["pflege", "soins", "koordination", "coordination", "besuchsdienst", "benevoles", "analyse", "admin"]


def _together(count: int, work) -> list:
    """Runs work(i) in `count` threads released at the same moment."""
    barrier = threading.Barrier(count)

    def run(i: int):
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_logins_at_the_same_moment_all_get_in(db_backend, make_server):
    server = make_server(db_backend)
    clients = [httpx.Client(base_url=server.url, timeout=60) for _ in range(16)]
    try:
        tokens = [csrf_from(c.get("/login").text) for c in clients]

        def log_in(i: int) -> int:
            data = {"username": USERS[i % len(USERS)], "password": DEMO_PASSWORD, "csrf_token": tokens[i]}
            return clients[i].post("/login", data=data).status_code

        statuses = _together(len(clients), log_in)
    finally:
        for c in clients:
            c.close()
    assert statuses == [303] * len(clients), Counter(statuses)
    sessions = server.database.execute("SELECT count(*) FROM login_session")[0][0]
    assert sessions == len(clients)


def test_nurses_screening_at_the_same_time_see_no_errors(db_backend, make_server):
    """Twelve nurses for a few seconds: open a client (audited), read it through the API,
    start a screening, save answers, finish it — each unit reads, then writes."""
    server = make_server(db_backend)
    completed = "SELECT count(*) FROM screening WHERE status = 'completed'"
    before = server.database.execute(completed)[0][0]  # the demo data's own
    nurses = [httpx.Client(base_url=server.url, timeout=60) for _ in range(12)]
    statuses: Counter[int] = Counter()
    started = Counter()
    lock = threading.Lock()
    try:
        for nurse in nurses:
            assert login(nurse, "pflege").status_code == 303
        client_ids = [_client(nurse, "Langnau im Emmental") for nurse in nurses]

        def work(i: int) -> None:
            nurse, client_id = nurses[i], client_ids[i]
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline:
                page = nurse.get(f"/clients/{client_id}")
                api = nurse.get(f"/api/v1/clients/{client_id}")
                token = csrf_from(page.text) if page.status_code == 200 else ""
                start = nurse.post(f"/clients/{client_id}/screenings", data={"csrf_token": token})
                codes = [page.status_code, api.status_code, start.status_code]
                if start.status_code == 303:
                    with lock:
                        started[i] += 1
                    path = start.headers["location"]
                    answers = {"housing-situation": "worried"}
                    codes.append(nurse.post(f"{path}/answers", data=_form(answers, token)).status_code)
                    codes.append(nurse.post(f"{path}/complete", data={"csrf_token": token}).status_code)
                with lock:
                    statuses.update(codes)

        _together(len(nurses), work)
    finally:
        for nurse in nurses:
            nurse.close()
    assert not [code for code in statuses if code >= 500], statuses
    assert set(statuses) <= {200, 303}, statuses
    made = server.database.execute(completed)[0][0] - before
    assert made == sum(started.values()) > len(nurses)
    views = server.database.execute(
        "SELECT count(*) FROM audit_event WHERE action = 'view' AND subject_type = 'client'"
    )[0][0]
    assert views >= 2 * sum(started.values())  # the page and the API each audited


def _hold_write_lock(path: str, seconds: float, held: threading.Event) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(seconds)
    connection.execute("ROLLBACK")
    connection.close()


def _new_client(nurse: httpx.Client, name: str) -> httpx.Response:
    token = csrf_from(nurse.get("/clients/new").text)
    data = {"display_name": name, "birth_year": "1950", "municipality": "Trub", "language": "de"}
    return nurse.post("/clients/new", data={**data, "csrf_token": token})


def test_a_write_waits_for_the_lock_then_a_busy_database_is_a_503_that_wrote_nothing(make_server):
    server = make_server("sqlite", DATABASE_LOCK_TIMEOUT="1")
    path = server.database.url.removeprefix("sqlite:///")
    with httpx.Client(base_url=server.url, timeout=30) as nurse:
        assert login(nurse, "pflege").status_code == 303

        # Held for less than the timeout: the write queues and goes through.
        held = threading.Event()
        holder = threading.Thread(target=_hold_write_lock, args=(path, 0.6, held))
        holder.start()
        held.wait()
        assert _new_client(nurse, "Q. W.").status_code == 303
        holder.join()

        # Held for longer than every attempt waits: a clear 503, nothing half-written.
        held = threading.Event()
        holder = threading.Thread(target=_hold_write_lock, args=(path, 6, held))
        holder.start()
        held.wait()
        began = time.monotonic()
        busy = _new_client(nurse, "Z. X.")
        waited = time.monotonic() - began
        holder.join()
        assert busy.status_code == 503
        assert "Nichts ging verloren" in busy.text
        assert int(busy.headers["retry-after"]) > 0
        assert 2.5 < waited < 6, waited  # three attempts of about a second each
        api = nurse.get("/api/v1/me", headers={"Accept-Language": "fr"})
        assert api.status_code == 200  # reading never waited
    names = [row[0] for row in server.database.execute("SELECT display_name FROM client")]
    assert "Q. W." in names and "Z. X." not in names


def test_finish_twice_at_once_completes_a_screening_once(db_backend, make_server):
    """Two "Finish" of one screening at the same moment (a double tap, two tabs): both lead to
    the summary, and it is completed once — one completion in the audit log, not two."""
    server = make_server(db_backend)
    tabs = [httpx.Client(base_url=server.url, timeout=60) for _ in range(2)]
    try:
        for tab in tabs:
            assert login(tab, "pflege").status_code == 303
        client_id = _client(tabs[0], "Langnau im Emmental")
        token = csrf_from(tabs[0].get(f"/clients/{client_id}").text)
        path = (
            tabs[0].post(f"/clients/{client_id}/screenings", data={"csrf_token": token}).headers["location"]
        )
        screening_id = path.rsplit("/", 1)[1]
        answers = _form(
            {"ucla-companionship": "often", "ucla-left-out": "often", "ucla-isolated": "often"}, token
        )
        updates = "SELECT count(*) FROM audit_event WHERE subject_type = 'screening' AND subject_id = :s AND action = 'update'"
        before = server.database.execute(updates, s=screening_id)[0][0]

        tokens = [csrf_from(tab.get(path).text) for tab in tabs]

        def finish(i: int) -> httpx.Response:
            return tabs[i].post(f"{path}/complete", data={**answers, "csrf_token": tokens[i]})

        done = _together(2, finish)
    finally:
        for tab in tabs:
            tab.close()
    assert [(r.status_code, r.headers.get("location")) for r in done] == [(303, f"{path}/summary")] * 2
    # One completion: its answers saved and the screening completed (two update rows), once.
    assert server.database.execute(updates, s=screening_id)[0][0] == before + 2
