"""A device's own sync credential (issue 17, item 4): issued at login to nurses of a home-care
organisation, it sends the outbox without a UI session (POST /api/v1/sync as that nurse, audited
as her, exactly once as before) and opens nothing else; expired, revoked (logout, admin) ones
are refused. The real app, on both databases."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from backend.accounts.access import PUBLIC, ROLES_KEY
from backend.app import create_app
from backend.settings import load_settings
from tests.api.test_sync import visit
from tests.support import DEMO_PASSWORD, cli, csrf_from, login

CREDENTIAL = "/api/v1/sync/credential"
SYNC = "/api/v1/sync"
SNAPSHOT = "/api/v1/directory/snapshot"
TABLET = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@contextmanager
def logged_in(server, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=20, headers={"User-Agent": TABLET}) as http:
        assert login(http, username).status_code == 303
        yield http


def csrf(http: httpx.Client) -> str:
    return http.get("/api/v1/me").json()["csrf_token"]


def issue(http: httpx.Client, **body: object) -> httpx.Response:
    return http.post(CREDENTIAL, json=body, headers={"X-CSRF-Token": csrf(http)})


def device(server, token: str) -> httpx.Client:
    """The device without any cookie: only its credential."""
    return httpx.Client(base_url=server.url, timeout=20, headers={"Authorization": f"Bearer {token}"})


def row(server, token: str) -> dict:
    digest = hashlib.sha256(token.encode()).hexdigest()
    found = server.database.execute(
        "SELECT d.id, u.username, d.label, d.revoked_at, d.revoked_reason, d.last_used_at, d.organisation_id "
        "FROM device_credential d JOIN user_account u ON u.id = d.user_id WHERE d.token_hash = :h",
        h=digest,
    )
    assert len(found) == 1
    keys = ("id", "username", "label", "revoked_at", "revoked_reason", "last_used_at", "organisation_id")
    return dict(zip(keys, found[0], strict=True))


def sync_status(server, token: str, records: list[dict]) -> tuple[int, list[str]]:
    with device(server, token) as http:
        answer = http.post(SYNC, json={"records": records})
    return answer.status_code, [
        r["status"] for r in answer.json().get("results", [])
    ] if answer.is_success else []


def test_a_nurse_device_syncs_with_its_credential_alone(server):
    with logged_in(server, "pflege") as http:
        assert http.post(CREDENTIAL, json={}).status_code == 403  # no CSRF token
        issued = issue(http)
    assert issued.status_code == 201, issued.text
    assert issued.headers["cache-control"] == "no-store"
    token = issued.json()["token"]
    assert token.startswith("psd_") and len(token) > 40
    assert issued.json()["username"] == "pflege"
    stored = row(server, token)
    assert stored["username"] == "pflege" and stored["revoked_at"] is None
    assert stored["label"] == "Chrome / Android"  # the kind of device, nothing that identifies it
    assert server.database.execute(
        "SELECT count(*) FROM device_credential WHERE token_hash = :t", t=token
    ) == [(0,)]  # only the hash is kept

    records = visit(server, "Credential A.")
    assert sync_status(server, token, records) == (200, ["accepted"] * 3)
    first_use = row(server, token)["last_used_at"]
    assert first_use is not None
    assert sync_status(server, token, records) == (200, ["duplicate"] * 3)  # exactly once, as before
    # Its use is noted once a minute at most, not with a write on every sync (auth.py).
    assert row(server, token)["last_used_at"] == first_use
    client_id = records[0]["id"]
    org = server.database.execute("SELECT c.organisation_id FROM client c WHERE c.id = :c", c=client_id)[0][0]
    user_id = server.database.execute("SELECT id FROM user_account WHERE username = 'pflege'")[0][0]
    assert org == stored["organisation_id"]
    assert server.database.execute("SELECT user_id FROM sync_record WHERE id = :c", c=client_id) == [
        (user_id,)
    ]
    audited = server.database.execute(
        "SELECT user_id, action FROM audit_event WHERE subject_id = :c", c=client_id
    )
    assert (user_id, "create") in audited  # audited as the nurse
    assert row(server, token)["last_used_at"] is not None
    with device(server, token) as http:
        assert http.get(SNAPSHOT).status_code == 200
    assert token not in server.log()  # never logged


def route_samples() -> list[tuple[str, str]]:
    """Every route of the app that needs a user, with its parameters filled in."""
    app = create_app(load_settings({"PASSERELLE_ENV": "development", "SECRET_KEY": "x" * 40}))
    samples = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get(ROLES_KEY) == PUBLIC:
                continue
            path = re.sub(r"\{(\w+):int\}", "1", route.path)
            path = re.sub(r"\{(\w+):uuid\}", str(uuid.uuid4()), path)
            path = re.sub(r"\{(\w+):path\}", "x", path)
            path = re.sub(r"\{(\w+):str\}", "de", path)
            for method in handler.http_methods:
                if (method, path) != ("POST", SYNC):
                    samples.append((method, path))
    return sorted(set(samples))


def test_the_credential_opens_nothing_else(server):
    with logged_in(server, "pflege") as http:
        token = issue(http).json()["token"]
    samples = route_samples()
    assert ("GET", "/api/v1/me") in samples and ("GET", "/clients") in samples and len(samples) > 60
    opened = []
    with device(server, token) as http:
        for method, path in samples:
            answer = http.request(method, path, json={} if method in ("POST", "PUT", "PATCH") else None)
            # Pages answer a missing login by sending the browser to the login page.
            to_login = answer.status_code == 303 and answer.headers["location"].startswith("/login")
            if answer.status_code not in (401, 403) and not to_login:
                opened.append((method, path, answer.status_code, answer.headers.get("location")))
    assert opened == []
    assert sync_status(server, token, visit(server, "Still Works"))[0] == 200


def test_expired_and_revoked_credentials_are_refused(server):
    with logged_in(server, "pflege") as http:
        expired = issue(http).json()["token"]
        revoked = issue(http).json()["token"]
    server.database.execute(
        "UPDATE device_credential SET expires_at = created_at WHERE id = :i", i=row(server, expired)["id"]
    )
    server.database.execute(
        "UPDATE device_credential SET revoked_at = created_at WHERE id = :i", i=row(server, revoked)["id"]
    )
    for token in (expired, revoked, "psd_" + "x" * 43):
        with device(server, token) as http:
            answer = http.post(SYNC, json={"records": visit(server, "Refused")})
        assert answer.status_code == 401
    assert server.database.execute("SELECT count(*) FROM client WHERE display_name = 'Refused'") == [(0,)]


def test_logout_revokes_that_devices_credential_only(server):
    with logged_in(server, "pflege") as other:  # her second device, still logged in
        kept = issue(other).json()["token"]
    with logged_in(server, "pflege") as http:
        first = issue(http).json()["token"]
        # A new one for the same device (after another login) replaces the one it had.
        second = issue(http, replaces=first).json()["token"]
        assert row(server, first)["revoked_reason"] == "replaced"
        assert sync_status(server, second, visit(server, "Before Logout"))[0] == 200
        http.post("/logout", data={"csrf_token": csrf(http)})
    assert row(server, second)["revoked_reason"] == "logout"
    assert sync_status(server, second, visit(server, "After Logout"))[0] == 401
    assert sync_status(server, kept, visit(server, "Other Device"))[0] == 200


def test_the_admin_sees_devices_and_revokes_one(server):
    with logged_in(server, "pflege") as http:
        token = issue(http).json()["token"]
        assert http.get("/admin/devices").status_code == 403
    credential = row(server, token)["id"]
    with logged_in(server, "admin") as admin:
        page = admin.get("/admin/devices")
        assert page.status_code == 200
        assert "pflege" in page.text and "Chrome / Android" in page.text
        assert f"/admin/devices/{credential}/revoke" in page.text
        assert token not in page.text
        assert admin.post(f"/admin/devices/{credential}/revoke").status_code == 403  # no CSRF token
        assert sync_status(server, token, visit(server, "Not Yet Revoked"))[0] == 200
        done = admin.post(
            f"/admin/devices/{credential}/revoke",
            data={"csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert f"/admin/devices/{credential}/revoke" not in admin.get("/admin/devices").text
        again = admin.post(  # a second click (a stale list): nothing more happens, nothing more is audited
            f"/admin/devices/{credential}/revoke",
            data={"csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert again.status_code == 303
    assert row(server, token)["revoked_reason"] == "admin"
    assert sync_status(server, token, visit(server, "Revoked By Admin"))[0] == 401
    audited = server.database.execute(
        "SELECT a.action, u.username FROM audit_event a JOIN user_account u ON u.id = a.user_id "
        "WHERE a.subject_type = 'sync_credential' AND a.subject_id = :i",
        i=str(credential),
    )
    assert ("create", "pflege") in audited and audited.count(("revoke", "admin")) == 1


def test_another_organisations_credential_cannot_touch_her_records(server):
    records = visit(server, "Isolated")
    with logged_in(server, "pflege") as http:
        mine = issue(http).json()["token"]
    with logged_in(server, "soins") as http:
        theirs = issue(http).json()["token"]
    assert sync_status(server, mine, records) == (200, ["accepted"] * 3)
    # The same ids from another organisation: refused, not "duplicate", and nothing changes.
    assert sync_status(server, theirs, records) == (200, ["rejected"] * 3)
    # Her own new visit that points at the other organisation's screening is refused too.
    foreign = visit(server, "Foreign")
    foreign[2]["data"]["screening_id"] = records[1]["id"]
    assert sync_status(server, theirs, [foreign[2]])[1] == ["rejected"]
    assert server.database.execute("SELECT count(*) FROM referral WHERE id = :r", r=foreign[2]["id"]) == [
        (0,)
    ]


def test_only_nurses_of_home_care_get_one_and_only_from_a_page(server):
    for username in ("koordination", "admin", "analyse"):
        with logged_in(server, username) as http:
            assert issue(http).status_code == 403, username
    cli("organisations", "create", "Verein Sync Test", "--type", "support", env=server.env)
    for name, org in (("supportnurse", "Verein Sync Test"), ("ratelimit", "Spitex Demo Emmental")):
        cli(
            "users",
            "create",
            name,
            "--role",
            "nurse",
            "--organisation",
            org,
            env=server.env,
            input=DEMO_PASSWORD + "\n",
        )
    with logged_in(server, "supportnurse") as http:
        assert issue(http).status_code == 403  # a nurse, but not of a home-care organisation
    api_token = cli("tokens", "create", "--user", "pflege", "--name", "script", env=server.env).stdout.strip()
    with httpx.Client(
        base_url=server.url, timeout=20, headers={"Authorization": f"Bearer {api_token}"}
    ) as http:
        assert http.post(CREDENTIAL, json={}).status_code == 403  # a personal API token may not
    with logged_in(server, "pflege") as http:
        token = issue(http).json()["token"]
    with device(server, token) as http:
        assert http.post(CREDENTIAL, json={}).status_code == 401  # nor a credential itself
    with logged_in(server, "ratelimit") as http:
        statuses = [issue(http).status_code for _ in range(11)]
    assert statuses == [201] * 10 + [429]


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (TABLET, "Chrome / Android"),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Safari/604.1",
            "Safari / iPad",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox / Windows",
        ),
        ("", "?"),
    ],
)
def test_device_labels_name_the_kind_of_device_only(agent, label):
    from backend.accounts.device_credentials import device_label

    assert device_label(agent) == label


def test_housekeeping_forgets_credentials_ended_a_month_ago(server):
    from datetime import timedelta

    from backend.db.engine import make_engine
    from backend.jobs import housekeeping

    with logged_in(server, "spital") as http:  # pflege's hourly budget went to the tests above
        old, recent, live = (issue(http).json()["token"] for _ in range(3))
    server.database.execute(
        "UPDATE device_credential SET expires_at = :t WHERE id = :i",
        t=_days_ago(31),
        i=row(server, old)["id"],
    )
    server.database.execute(
        "UPDATE device_credential SET revoked_at = :t WHERE id = :i",
        t=_days_ago(2),
        i=row(server, recent)["id"],
    )
    engine = make_engine(server.database.url)
    try:
        housekeeping(engine, timedelta(minutes=30))
    finally:
        engine.dispose()
    digests = [hashlib.sha256(t.encode()).hexdigest() for t in (old, recent, live)]
    left = {r[0] for r in server.database.execute("SELECT token_hash FROM device_credential")}
    assert [d in left for d in digests] == [False, True, True]


def _days_ago(days: int):
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(days=days)
