"""Login limits that hold against guessing and cannot be turned against the owner: counted
before the password is checked, a budget of its own for a device she logged in on before,
the address a brake (not a wall), forwarded headers believed only from named proxies."""

from __future__ import annotations

from collections import Counter

import httpx

from backend.security.addresses import rate_key
from tests.api.test_concurrency import _together
from tests.support import DEMO_PASSWORD, cli, csrf_from


def _attempt(client: httpx.Client, username: str, password: str, **headers: str) -> httpx.Response:
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, headers=headers
    )


def test_parallel_guesses_cannot_slip_past_the_limit(db_backend, make_server):
    server = make_server(db_backend)
    clients = [httpx.Client(base_url=server.url, timeout=60) for _ in range(40)]
    try:
        tokens = [csrf_from(c.get("/login").text) for c in clients]

        def guess(i: int) -> int:
            data = {"username": "pflege", "password": f"guess-{i}", "csrf_token": tokens[i]}
            return clients[i].post("/login", data=data).status_code

        statuses = Counter(_together(len(clients), guess))
    finally:
        for c in clients:
            c.close()
    assert statuses == {401: 5, 429: 35}, statuses  # 5 checked, as the limit says
    lockouts = server.database.execute(
        "SELECT a.subject_id, a.user_id FROM audit_event a WHERE a.action = 'lockout'"
    )
    pflege = server.database.execute("SELECT id FROM user_account WHERE username = 'pflege'")[0][0]
    assert lockouts == [(str(pflege), None)]  # recorded once, naming the account, not the guesser


def test_the_owner_still_gets_in_on_her_own_device_while_a_stranger_is_locked_out(make_server):
    server = make_server("sqlite")
    with httpx.Client(base_url=server.url) as tablet, httpx.Client(base_url=server.url) as stranger:
        assert _attempt(tablet, "pflege", DEMO_PASSWORD).status_code == 303
        assert "passerelle_device" in tablet.cookies
        tablet.post("/logout", data={"csrf_token": csrf_from(tablet.get("/").text)})

        for i in range(5):
            assert _attempt(stranger, "pflege", f"wrong-{i}").status_code == 401
        assert _attempt(stranger, "pflege", DEMO_PASSWORD).status_code == 429

        # Her tablet has a budget of its own: she gets in, and her typos count there only.
        assert _attempt(tablet, "pflege", "a-typo-of-hers").status_code == 401
        assert _attempt(tablet, "pflege", DEMO_PASSWORD).status_code == 303
        # A device cookie for another username, or a forged one, opens nothing.
        forged = httpx.Client(base_url=server.url, cookies={"passerelle_device": "A" * 22 + "~" + "0" * 32})
        with forged:
            assert _attempt(forged, "pflege", DEMO_PASSWORD).status_code == 429


def test_others_typos_behind_one_address_do_not_lock_out_a_correct_password(make_server):
    server = make_server("sqlite")
    with httpx.Client(base_url=server.url, timeout=60) as office:
        # 33 failed logins with many usernames from one address (the limit was 30, then 429).
        for i in range(33):
            assert _attempt(office, f"nobody{i}", "wrong-password").status_code == 401
    with httpx.Client(base_url=server.url, timeout=60) as colleague:
        assert _attempt(colleague, "koordination", DEMO_PASSWORD).status_code == 303


def test_a_rotated_forwarded_header_does_not_make_a_new_address(make_server):
    server = make_server("sqlite")
    with httpx.Client(base_url=server.url) as client:
        for i in range(6):
            _attempt(client, f"nobody{i}", "wrong-password", **{"X-Forwarded-For": f"203.0.113.{i}"})
    addresses = server.database.execute(
        "SELECT hits FROM rate_limit_bucket WHERE key LIKE 'login-addr:%'"
    )
    assert addresses == [(6,)]  # one address: the peer's own, whatever the header claims


def test_named_proxies_are_believed(make_server):
    server = make_server("sqlite", TRUSTED_PROXIES="127.0.0.1")
    with httpx.Client(base_url=server.url) as client:
        for i in range(3):
            _attempt(client, f"nobody{i}", "wrong-password", **{"X-Forwarded-For": f"203.0.113.{i}"})
    addresses = server.database.execute("SELECT hits FROM rate_limit_bucket WHERE key LIKE 'login-addr:%'")
    assert sorted(addresses) == [(1,), (1,), (1,)]


def test_ipv6_addresses_count_by_their_64():
    assert rate_key("2001:db8:1:2:aaaa::1") == rate_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert rate_key("2001:db8:1:3::1") != rate_key("2001:db8:1:2::1")
    assert rate_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert rate_key("198.51.100.7") == "198.51.100.7"


def test_a_hash_of_older_parameters_is_renewed_at_login(make_server):
    from argon2 import PasswordHasher

    server = make_server("sqlite")
    server.database.execute(
        "UPDATE user_account SET password_hash = :h WHERE username = 'pflege'", h=PasswordHasher().hash(DEMO_PASSWORD)
    )
    with httpx.Client(base_url=server.url) as client:
        assert _attempt(client, "pflege", DEMO_PASSWORD).status_code == 303
    renewed = server.database.execute("SELECT password_hash FROM user_account WHERE username = 'pflege'")[0][0]
    assert renewed.startswith("$argon2id$") and "m=19456,t=2,p=1" in renewed
    with httpx.Client(base_url=server.url) as client:
        assert _attempt(client, "pflege", DEMO_PASSWORD).status_code == 303


def test_an_admin_can_lift_a_lockout(make_server):
    server = make_server("sqlite")
    with httpx.Client(base_url=server.url) as client:
        for i in range(5):
            _attempt(client, "soins", f"wrong-{i}")
        assert _attempt(client, "soins", DEMO_PASSWORD).status_code == 429
        assert "soins may log in again" in cli("users", "unlock", "SOINS", env=server.env).stdout
        assert _attempt(client, "soins", DEMO_PASSWORD).status_code == 303
