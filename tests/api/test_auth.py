"""Login, sessions, CSRF and rate limits over real HTTP against the real server."""

from __future__ import annotations

import httpx
import pytest

from tests.support import csrf_from, login


def test_login_sets_secure_session_cookie_and_lands_home(client):
    response = login(client, "pflege")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("passerelle_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    home = client.get("/")
    assert home.status_code == 200
    assert "Petra Pflege" in home.text
    assert home.headers["cache-control"] == "no-store"


def test_wrong_password_is_401_with_message_in_the_users_language(client):
    page = client.get("/login", headers={"Accept-Language": "fr-CH"})
    response = client.post(
        "/login",
        data={"username": "soins", "password": "wrong-password", "csrf_token": csrf_from(page.text)},
        headers={"Accept-Language": "fr-CH"},
    )
    assert response.status_code == 401
    assert "Le nom d’utilisateur ou le mot de passe est incorrect" in response.text
    assert 'value="soins"' in response.text  # what was typed is kept
    assert "wrong-password" not in response.text


def test_missing_fields_are_a_400_with_a_message(client):
    page = client.get("/login")
    response = client.post("/login", data={"username": "", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 400
    assert "Bitte geben Sie Benutzername und Passwort ein." in response.text


def test_unsafe_request_without_csrf_token_is_refused(client):
    client.get("/login")  # has the cookie, but does not send the token
    response = client.post("/login", data={"username": "pflege", "password": "passerelle-demo"})
    assert response.status_code == 403
    assert "Dieses Formular ist abgelaufen" in response.text
    assert "passerelle_session" not in response.headers.get("set-cookie", "")


def test_csrf_token_of_another_browser_is_refused(server):
    with httpx.Client(base_url=server.url) as a, httpx.Client(base_url=server.url) as b:
        token_of_a = csrf_from(a.get("/login").text)
        b.get("/login")
        response = b.post(
            "/login", data={"username": "pflege", "password": "passerelle-demo", "csrf_token": token_of_a}
        )
        assert response.status_code == 403


def test_htmx_requests_send_the_token_as_a_header(client):
    login(client, "pflege")
    token = csrf_from(client.get("/").text)
    refused = client.post("/language", data={"lang": "fr", "next": "/"})
    assert refused.status_code == 403
    accepted = client.post(
        "/language", data={"lang": "fr", "next": "/"}, headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert accepted.status_code == 303


def test_cross_site_form_posts_are_refused_even_with_a_token(client):
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "pflege", "password": "passerelle-demo", "csrf_token": token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403


def test_logout_ends_the_session_on_the_server(client, server):
    login(client, "koordination")
    stolen = client.cookies.get("passerelle_session")
    token = csrf_from(client.get("/").text)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    # Replaying the old cookie does not get back in.
    with httpx.Client(base_url=server.url, cookies={"passerelle_session": stolen}) as replay:
        assert replay.get("/").status_code == 303


def test_idle_session_expires_and_says_so(client, server):
    login(client, "analyse")
    assert client.get("/").status_code == 200
    server.database.execute(
        "UPDATE login_session SET last_seen_at = :t WHERE user_id = "
        "(SELECT id FROM user_account WHERE username = 'analyse')",
        t="2020-01-01 00:00:00+00:00",
    )
    response = client.get("/", follow_redirects=True)
    assert response.url.path == "/login"
    assert "wegen Inaktivität beendet" in response.text


def test_next_parameter_returns_to_the_page_and_never_leaves_the_site(client):
    first = client.get("/admin")
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/admin"
    page = client.get("/login?next=/admin")
    response = client.post(
        "/login",
        data={
            "username": "admin",
            "password": "passerelle-demo",
            "next": "/admin",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.headers["location"] == "/admin"
    client.cookies.clear()
    page = client.get("/login")
    evil = client.post(
        "/login",
        data={
            "username": "admin",
            "password": "passerelle-demo",
            "next": "//evil.example/",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert evil.headers["location"] == "/"


def test_api_answers_json_401_and_bearer_challenge(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["message"] == "Bitte melden Sie sich an, um fortzufahren."


def test_tokens_do_not_open_html_pages(server):
    from tests.support import cli

    token = cli("tokens", "create", "--user", "admin", env=server.env).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(server.url + "/api/v1/me", headers=headers).status_code == 200
    assert httpx.get(server.url + "/admin", headers=headers).status_code == 303  # to the login page


def test_login_rate_limit_per_username(make_server):
    server = make_server("sqlite")
    with httpx.Client(base_url=server.url) as client:
        token = csrf_from(client.get("/login").text)
        statuses = [
            client.post(
                "/login", data={"username": "pflege", "password": f"wrong-{i}", "csrf_token": token}
            ).status_code
            for i in range(5)
        ]
        assert statuses == [401] * 5
        # Even the right password is refused now, with a clear message and Retry-After.
        blocked = client.post(
            "/login",
            data={"username": "pflege", "password": "passerelle-demo", "csrf_token": token},
            headers={"Accept-Language": "fr"},
        )
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        assert "Trop de tentatives échouées" in blocked.text
        # Other people are not locked out by someone guessing at pflege.
        other = client.post(
            "/login", data={"username": "soins", "password": "passerelle-demo", "csrf_token": token}
        )
        assert other.status_code == 303
    assert "wrong-" not in server.log() and "passerelle-demo" not in server.log()


@pytest.mark.parametrize("username", ["PFLEGE", " pflege "])
def test_usernames_are_case_and_space_insensitive(client, username):
    assert login(client, username).status_code == 303
