"""Operations (issue 18): JSON log lines without personal data, and stopping gracefully: a
web process finishes the requests in flight, a worker finishes its round and gives back its
outbox leases."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
import uuid

import httpx
import pytest

from backend.system.logs import user_hash
from tests.push_stub import start_push_stub
from tests.support import PYTHON, ROOT, api_referral, cli, csrf_from, login

NAME = "Quirinella Zwyssig-Obrecht"
PHONE = "031 765 98 12"
SEARCH = "Schwarzwurzelkurs"
SYNCED = "Ottiliana Brunnhofer"
HEX_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ACCESS_FIELDS = {"request_id", "method", "route", "status", "duration_ms"}


def client_record(name: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": "client",
        "created_at": "2026-11-28T09:12:00Z",
        "data": {"display_name": name, "birth_year": 1941, "municipality": 902, "language": "de"},
    }


def lines(server) -> list[dict]:
    return [json.loads(line) for line in server.log().splitlines() if line.strip()]


def test_a_journey_logs_json_lines_without_personal_data(db_backend, make_server):
    server = make_server(db_backend, LOG_FORMAT="json")
    token = cli("tokens", "create", "--user", "pflege", "--name", "sync", env=server.env).stdout.strip()
    record = client_record(SYNCED)
    paths: list[str] = []
    with httpx.Client(base_url=server.url, timeout=10) as nurse:
        assert login(nurse, "pflege").status_code == 303
        form = nurse.get("/clients/new")
        created = nurse.post(
            "/clients/new",
            data={
                "display_name": NAME,
                "birth_year": "1938",
                "municipality": "Langnau im Emmental",
                "language": "de",
                "phone": PHONE,
                "csrf_token": csrf_from(form.text),
            },
        )
        assert created.status_code == 303
        client_path = created.headers["location"]
        paths.append(client_path)
        assert NAME in nurse.get(client_path).text
        assert nurse.head(client_path).status_code == 200
        search = nurse.get("/directory", params={"q": SEARCH, "place": "Langnau im Emmental"})
        assert search.status_code == 200
        # The proxy's request id is kept and echoed; one that is not a plain token is replaced.
        given = nurse.get("/", headers={"X-Request-ID": "edge-7f3a9c21-proxy"})
        assert given.headers["x-request-id"] == "edge-7f3a9c21-proxy"
        made = nurse.get("/", headers={"X-Request-ID": f"Name {NAME}"})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
        assert nurse.get(f"/clients/{uuid.uuid4()}").status_code == 404
        assert nurse.post("/clients/new", data={"display_name": NAME}).status_code == 403  # no CSRF token
    synced = httpx.post(
        f"{server.url}/api/v1/sync",
        json={"records": [record]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert synced.status_code == 200 and synced.json()["results"][0]["status"] == "accepted"
    paths.append(f"/clients/{record['id']}")
    time.sleep(0.3)  # the access line is written after the answer went out

    text = server.log()
    for secret in (
        NAME,
        PHONE,
        PHONE.replace(" ", ""),
        "34 765 98 12",
        SEARCH,
        SYNCED,
        "passerelle-demo",
        "pflege",
    ):
        assert secret not in text, f"{secret!r} reached the log"
    assert token not in text
    for path in paths:
        assert path.rsplit("/", 1)[1] not in text
    assert "?" not in text and "q=" not in text

    logged = lines(server)  # every line is one JSON object
    access = [line for line in logged if line["logger"] == "passerelle.access"]
    assert access and all(ACCESS_FIELDS <= line.keys() for line in access)
    assert not [line for line in access if HEX_ID.search(line["route"])]
    routes = {(line["method"], line["route"], line["status"]) for line in access}
    assert {
        ("POST", "/login", 303),
        ("POST", "/clients/new", 303),
        ("GET", "/clients/{client_id}", 200),
        ("HEAD", "/clients/{client_id}", 200),
        ("GET", "/clients/{client_id}", 404),
        ("POST", "/clients/new", 403),
        ("GET", "/directory", 200),
        ("POST", "/api/v1/sync", 200),
    } <= routes, routes
    assert all(isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0 for line in access)
    by_id = {line["request_id"]: line for line in access}
    assert by_id["edge-7f3a9c21-proxy"]["route"] == "/"
    assert by_id[made.headers["x-request-id"]]["route"] == "/"
    # The user is a keyed hash of the id: the same for the session and the token, never a name.
    secret_key = (server.var_dir / "secret_key").read_text().strip()
    user_id = server.database.execute("SELECT id FROM user_account WHERE username = 'pflege'")[0][0]
    expected = user_hash(secret_key, user_id)
    users = {line.get("user") for line in access if line["route"] in ("/clients/{client_id}", "/api/v1/sync")}
    assert users == {expected}
    assert not [line for line in access if line["route"] == "/login" and "user" in line]


def test_an_error_line_carries_the_request_id_and_no_path(db_backend, make_server):
    """A failure inside a request: logged with the request's id and the route template."""
    server = make_server(db_backend, LOG_FORMAT="json")
    with httpx.Client(base_url=server.url, timeout=10) as nurse:
        login(nurse, "pflege")
        server.database.execute("ALTER TABLE client RENAME TO client_gone")
        client_id = str(uuid.uuid4())
        answer = nurse.get(f"/clients/{client_id}", headers={"X-Request-ID": "failing-request-0001"})
    assert answer.status_code >= 500
    time.sleep(0.3)
    errors = [line for line in lines(server) if line["level"] == "error"]
    assert errors and all(line.get("request_id") == "failing-request-0001" for line in errors), errors
    assert client_id not in server.log()
    assert errors[0]["error"] and errors[0]["stack"]


def test_the_text_format_leaves_the_error_message_out_too(make_server):
    """LOG_FORMAT=text (development, allowed in production): the stack and the error's type, not
    its message, which quotes the query's parameters."""
    server = make_server("sqlite", LOG_FORMAT="text")
    with httpx.Client(base_url=server.url, timeout=10) as nurse:
        login(nurse, "pflege")
        server.database.execute("ALTER TABLE client RENAME TO client_gone")
        client_id = str(uuid.uuid4())
        assert nurse.get(f"/clients/{client_id}").status_code >= 500
    time.sleep(0.3)
    log = server.log()
    assert "OperationalError (message not logged)" in log and "client_gone" not in log
    assert client_id not in log and client_id.replace("-", "") not in log


def test_sigterm_lets_a_slow_sync_batch_finish(db_backend, make_server):
    server = make_server(db_backend, LOG_FORMAT="json", SHUTDOWN_TIMEOUT="10")
    token = cli("tokens", "create", "--user", "pflege", "--name", "sync", env=server.env).stdout.strip()
    records = [client_record(f"Slow {n}") for n in range(5)]
    body = json.dumps({"records": records}).encode()
    sending = threading.Event()
    answer: list[httpx.Response | BaseException] = []

    def slowly():  # a tablet on a slow line: the batch arrives over two seconds
        yield body[:20]
        sending.set()
        time.sleep(2)
        yield body[20:]

    def post() -> None:
        try:
            answer.append(
                httpx.post(
                    f"{server.url}/api/v1/sync",
                    content=slowly(),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    timeout=30,
                )
            )
        except BaseException as error:
            answer.append(error)

    process = server.process
    assert process is not None
    thread = threading.Thread(target=post)
    thread.start()
    assert sending.wait(10)
    time.sleep(0.5)  # the server has the request's head and waits for the rest of its body
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    with pytest.raises(httpx.ConnectError):  # no new connection is accepted meanwhile
        httpx.get(f"{server.url}/healthz", timeout=2)
    thread.join(30)
    assert answer and isinstance(answer[0], httpx.Response), answer
    assert answer[0].status_code == 200, answer[0].text
    assert [r["status"] for r in answer[0].json()["results"]] == ["accepted"] * 5
    process.wait(20)  # stopped by itself, within the bound
    quoted = ", ".join(f"'{r['id']}'" for r in records)
    assert server.database.execute(f"SELECT count(*) FROM client WHERE id IN ({quoted})")[0][0] == 5


def test_sigterm_during_a_round_gives_back_the_leases(db_backend, make_server):
    """Ten devices, eight pushes travel at once: SIGTERM while they wait at the push service.
    The eight finish, the two not begun are left for the next worker, no lease stays held,
    the worker exits 0 and the next round sends the two: every device gets it exactly once."""
    stub = start_push_stub()
    try:
        server = make_server(db_backend, WORKER_IN_PROCESS="0", LOG_FORMAT="json")
        cli("vapid", "init", env=server.env)
        tokens = {
            user: cli("tokens", "create", "--user", user, "--name", "push", env=server.env).stdout.strip()
            for user in ("pflege", "koordination")
        }
        devices = [stub.device() for _ in range(10)]
        headers = {"Authorization": f"Bearer {tokens['koordination']}"}
        with httpx.Client(base_url=server.url, timeout=10, headers=headers) as http:
            for device in devices:
                assert (
                    http.post("/api/v1/push/subscriptions", json=device.subscription_json()).status_code
                    == 201
                )
        referral_id = api_referral(server, tokens["pflege"], "P. Q.", birth_year=1937)[1]
        stub.gate = threading.Event()
        worker = subprocess.Popen(
            [PYTHON, "-m", "backend", "worker", "--interval", "0.5"],
            cwd=ROOT,
            env=server.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while stub.held < 8 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert stub.held == 8, "the worker's pushes never reached the push service"
            leased = server.database.execute(
                "SELECT count(*) FROM notification WHERE locked_until IS NOT NULL AND referral_id = :r",
                r=referral_id,
            )[0][0]
            assert leased >= 1
            worker.send_signal(signal.SIGTERM)
            time.sleep(0.5)
        finally:
            stub.gate.set()
            output = worker.communicate(timeout=30)[0]
        assert worker.returncode == 0, output
        assert server.database.execute(
            "SELECT count(*) FROM notification WHERE locked_until IS NOT NULL"
        ) == [(0,)]
        reached = sum(len(stub.payloads(d)) for d in devices)
        assert reached == 8
        status, attempts = server.database.execute(
            "SELECT n.status, n.attempts FROM notification n JOIN user_account u ON u.id = n.user_id "
            "WHERE n.referral_id = :r AND u.username = 'koordination'",
            r=referral_id,
        )[0]
        assert (status, attempts) == ("pending", 0)  # due again at once, no attempt spent
        assert "lease" in output and all(json.loads(line) for line in output.splitlines() if line.strip())
        cli("worker", "--once", env=server.env)
        assert [len(stub.payloads(d)) for d in devices] == [1] * 10
    finally:
        stub.server.shutdown()
