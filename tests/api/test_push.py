"""Web Push end to end against a local push service that checks VAPID and decrypts: the key,
subscriptions (with the SSRF guard), the outbox written with the referral, the worker's
delivery, retries, 410, a crashed worker, collapsing, and payloads without personal data."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import httpx
import pytest

from tests.push_stub import start_push_stub, unb64url
from tests.support import PYTHON, ROOT, api_referral, cli


@pytest.fixture
def stub():
    push = start_push_stub()
    yield push
    push.server.shutdown()


@pytest.fixture
def quiet_server(db_backend, make_server):
    """A server whose outbox is delivered only when the test runs the worker."""
    server = make_server(db_backend, WORKER_IN_PROCESS="0")
    cli("vapid", "init", env=server.env)
    server.tokens = {
        user: cli("tokens", "create", "--user", user, "--name", "push", env=server.env).stdout.strip()
        for user in ("pflege", "koordination")
    }
    return server


def api(server, user: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, timeout=10, headers={"Authorization": f"Bearer {server.tokens[user]}"}
    )


def worker(server) -> str:
    return cli("worker", "--once", env=server.env).stdout


def send_referral(server, name: str = "P. Q.") -> str:
    """pflege refers a client in Langnau to an offer of Pro Senectute Kanton Bern (koordination's)."""
    return api_referral(server, server.tokens["pflege"], name, birth_year=1937)[1]


def subscribe(server, stub, user: str = "koordination"):
    device = stub.device()
    with api(server, user) as http:
        assert http.post("/api/v1/push/subscriptions", json=device.subscription_json()).status_code == 201
    return device


def test_key_is_the_uncompressed_point_the_cli_printed(db_backend, make_server):
    server = make_server(db_backend, WORKER_IN_PROCESS="0")
    # coordination's saved language is French: the message follows it.
    token = cli("tokens", "create", "--user", "coordination", "--name", "k", env=server.env).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    missing = httpx.get(f"{server.url}/api/v1/push/key", headers=headers)
    assert missing.status_code == 422 and "pas encore configurées" in missing.json()["message"]
    printed = cli("vapid", "init", env=server.env).stdout
    key = httpx.get(f"{server.url}/api/v1/push/key", headers=headers).json()["public_key"]
    assert f"public key: {key}" in printed
    raw = unb64url(key)
    assert len(raw) == 65 and raw[0] == 4
    assert "kept existing" in cli("vapid", "init", env=server.env).stdout


def test_subscriptions_refuse_private_addresses_and_bad_keys(quiet_server, stub):
    device = stub.device()
    good = device.subscription_json()
    with api(quiet_server, "koordination") as http:
        for endpoint in (
            "https://169.254.169.254/latest/meta-data",
            "https://100.100.100.200/latest/meta-data",
            "https://[2002:7f00:1::1]/push",
            "https://10.1.2.3/push",
            "http://93.184.216.34/push",
            "https://user:pw@127.0.0.1/x",
            "file:///etc/passwd",
        ):
            refused = http.post("/api/v1/push/subscriptions", json={**good, "endpoint": endpoint})
            assert refused.status_code == 422, endpoint
            assert refused.json()["field"] == "endpoint"
        short = http.post(
            "/api/v1/push/subscriptions",
            json={**good, "keys": {"p256dh": "abc", "auth": good["keys"]["auth"]}},
        )
        assert short.status_code == 422 and short.json()["field"] == "keys.p256dh"
        assert http.post("/api/v1/push/subscriptions", json=good).status_code == 201
        assert http.post("/api/v1/push/subscriptions", json=good).status_code == 201  # idempotent
        rows = quiet_server.database.execute("SELECT count(*) FROM push_subscription")
        assert rows[0][0] == 1
        gone = http.request("DELETE", "/api/v1/push/subscriptions", json={"endpoint": good["endpoint"]})
        assert gone.status_code == 204
        assert quiet_server.database.execute("SELECT count(*) FROM push_subscription")[0][0] == 0


def test_new_referral_reaches_the_coordinators_device_without_personal_data(quiet_server, stub):
    device = subscribe(quiet_server, stub)
    second = subscribe(quiet_server, stub)  # several devices per user
    referral_id = send_referral(quiet_server, name="Hedwig Muster")
    queued = quiet_server.database.execute(
        "SELECT n.kind, n.status FROM notification n JOIN user_account u ON u.id = n.user_id "
        "WHERE n.referral_id = :r AND u.username = 'koordination'",
        r=referral_id,
    )
    assert queued == [("new_referral", "pending")]  # written with the referral, sent by the worker
    worker(quiet_server)
    assert stub.rejected == []
    for each in (device, second):
        [payload] = stub.payloads(each)
        assert payload["title"] == "Neue Zuweisung"
        assert payload["body"].startswith("Neue Zuweisung für ")
        assert payload["url"] == f"/inbox/{referral_id}"
        # The random ids (the notification's, the referral's) are not personal and may hold
        # any digits by chance: everything else in the payload is searched.
        text = json.dumps(payload, ensure_ascii=False).replace(referral_id, "").replace(payload["id"], "")
        for personal in ("Hedwig", "Muster", "1937", "Langnau", "902", "079", "765"):
            assert personal not in text, personal
    assert quiet_server.database.execute(
        "SELECT DISTINCT status FROM notification WHERE referral_id = :r", r=referral_id
    ) == [("sent",)]
    worker(quiet_server)
    assert len(stub.received) == 2  # nothing twice


def test_gone_subscription_is_removed_and_a_failing_service_is_retried_once(quiet_server, stub):
    gone = subscribe(quiet_server, stub)
    flaky = subscribe(quiet_server, stub)
    stub.script[gone.endpoint.removeprefix(stub.origin)] = [410]
    stub.script[flaky.endpoint.removeprefix(stub.origin)] = [503]
    referral_id = send_referral(quiet_server)
    worker(quiet_server)
    assert stub.payloads(flaky) == [] and stub.payloads(gone) == []
    endpoints = [r[0] for r in quiet_server.database.execute("SELECT endpoint FROM push_subscription")]
    assert endpoints == [flaky.endpoint]
    row = quiet_server.database.execute(
        "SELECT n.id, n.status, n.attempts FROM notification n JOIN user_account u ON u.id = n.user_id "
        "WHERE n.referral_id = :r AND u.username = 'koordination'",
        r=referral_id,
    )[0]
    assert row[1:] == ("pending", 1)
    # The backoff has not passed: another round sends nothing; once it has, one delivery.
    worker(quiet_server)
    assert stub.payloads(flaky) == []
    quiet_server.database.execute(
        "UPDATE notification SET next_attempt_at = :t WHERE id = :i", t="2000-01-01 00:00:00+00:00", i=row[0]
    )
    worker(quiet_server)
    assert len(stub.payloads(flaky)) == 1
    attempts = quiet_server.database.execute(
        "SELECT status_code FROM delivery_attempt WHERE notification_id = :i ORDER BY id", i=row[0]
    )
    assert [a[0] for a in attempts] == [410, 503, 201]
    worker(quiet_server)
    assert len(stub.payloads(flaky)) == 1


def test_a_worker_that_died_after_claiming_loses_nothing(quiet_server, stub):
    device = subscribe(quiet_server, stub)
    referral_id = send_referral(quiet_server)
    # As a worker leaves it when killed between claiming and sending: leased, never sent.
    quiet_server.database.execute(
        "UPDATE notification SET locked_until = :t WHERE referral_id = :r",
        t="2000-01-01 00:00:00+00:00",
        r=referral_id,
    )
    worker(quiet_server)
    worker(quiet_server)
    assert len(stub.payloads(device)) == 1


def test_a_round_survives_writes_made_while_its_pushes_travel(quiet_server, stub):
    """The web process commits while the worker waits for the push service: the round still
    records its deliveries (on SQLite a transaction kept open across the sends could no longer
    write, and the whole round was refused)."""
    device = subscribe(quiet_server, stub)
    referral_id = send_referral(quiet_server)
    stub.gate = threading.Event()
    round_ = subprocess.Popen(
        [PYTHON, "-m", "backend", "worker", "--once"],
        cwd=ROOT,
        env=quiet_server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while stub.held == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stub.held == 1, "the worker never reached the push service"
        later = send_referral(quiet_server, "R. S.")  # a commit by the web process meanwhile
    finally:
        stub.gate.set()
        output = round_.communicate(timeout=60)[0]
    assert round_.returncode == 0, output
    assert len(stub.payloads(device)) == 1
    assert quiet_server.database.execute(
        "SELECT n.status FROM notification n JOIN user_account u ON u.id = n.user_id "
        "WHERE n.referral_id = :r AND u.username = 'koordination'",
        r=referral_id,
    ) == [("sent",)]
    assert quiet_server.database.execute(
        "SELECT count(*) FROM delivery_attempt a JOIN notification n ON n.id = a.notification_id "
        "WHERE n.referral_id = :r",
        r=referral_id,
    )[0][0] == 1
    assert later != referral_id


def test_a_burst_collapses_into_one_summary(quiet_server, stub):
    device = subscribe(quiet_server, stub)
    for name in ("A. A.", "B. B.", "C. C."):
        send_referral(quiet_server, name)
    worker(quiet_server)
    [payload] = stub.payloads(device)
    assert payload["body"] == "3 neue Zuweisungen" and payload["count"] == 3 and payload["url"] == "/inbox"
    merged = quiet_server.database.execute(
        "SELECT count(*) FROM notification n JOIN user_account u ON u.id = n.user_id "
        "WHERE n.status = 'merged' AND u.username = 'koordination'"
    )
    assert merged[0][0] == 2


def test_status_change_notifies_the_nurse_and_test_push_reaches_own_devices(quiet_server, stub):
    nurse_device = subscribe(quiet_server, stub, "pflege")
    referral_id = send_referral(quiet_server)
    with httpx.Client(base_url=quiet_server.url, timeout=10) as browser:
        from tests.support import csrf_from, login

        login(browser, "koordination")
        assert browser.get(f"/inbox/{referral_id}").status_code == 200  # opening marks it received
        token = csrf_from(browser.get(f"/inbox/{referral_id}").text)
        assert browser.post(f"/inbox/{referral_id}/accept", data={"csrf_token": token}).status_code == 303
    worker(quiet_server)
    [payload] = stub.payloads(nurse_device)  # received and accepted collapse into the newest
    assert payload["title"] == "Neuigkeit zu einer Zuweisung" and payload["body"].endswith(": Angenommen")
    assert payload["url"] == f"/referrals/{referral_id}"
    with api(quiet_server, "pflege") as http:
        queued = http.post("/api/v1/push/test").json()
        assert queued["devices"] == 1
    worker(quiet_server)
    assert stub.payloads(nurse_device)[-1]["title"] == "Testbenachrichtigung"


def test_a_redirecting_push_service_is_not_followed(quiet_server, stub):
    """A push service answering 307 towards our own network: the worker does not call that
    address, and the subscription that redirected is removed rather than asked again."""
    inside = start_push_stub()  # stands for an internal admin endpoint on loopback
    try:
        device = subscribe(quiet_server, stub)
        stub.script[device.endpoint.removeprefix(stub.origin)] = [307]
        stub.location = f"{inside.origin}/internal/admin"
        referral_id = send_referral(quiet_server)
        worker(quiet_server)
        time.sleep(0.2)
        assert [call[0] for call in stub.calls] == ["POST"]
        assert inside.calls == []
    finally:
        inside.server.shutdown()
    attempts = quiet_server.database.execute(
        "SELECT a.status_code FROM delivery_attempt a JOIN notification n ON n.id = a.notification_id "
        "WHERE n.referral_id = :r",
        r=referral_id,
    )
    assert attempts == [(307,)]
    assert quiet_server.database.execute("SELECT count(*) FROM push_subscription")[0][0] == 0
