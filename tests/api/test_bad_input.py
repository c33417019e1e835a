"""Input the app cannot store is refused as such (400, in the caller's language), never a 500:
NUL and other control characters anywhere (path, query, forms, JSON), and JSON nested deeper
than any real request. On PostgreSQL a NUL used to reach the database and fail there."""

from __future__ import annotations

import httpx
import pytest

from tests.support import cli, csrf_from, login

NUL = "\x00"
DEEP = 100_000


@pytest.fixture(scope="module")
def token(server) -> str:
    return cli("tokens", "create", "--user", "pflege", "--name", "bad-input", env=server.env).stdout.strip()


@pytest.fixture
def api(server, token) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=20, headers={"Authorization": f"Bearer {token}"}) as http:
        yield http


@pytest.fixture
def browser(server) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=20) as http:
        login(http, "pflege")
        yield http


def refused_json(response: httpx.Response) -> dict:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    body = response.json()
    assert body["status"] == 400 and "Steuerzeichen" in body["message"], body
    return body


def refused_page(response: httpx.Response) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    assert "Steuerzeichen" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/hsds/services/%00",
        "/hsds/organizations/a%00b",
        "/hsds/services?search=%00",
        "/hsds/services?organization_id=%00",
        "/hsds/taxonomy_terms?taxonomy_id=%01",
        "/api/v1/instruments/%00",
    ],
)
def test_public_json_routes_refuse_control_characters(server, path):
    refused_json(httpx.get(server.url + path, headers={"Accept-Language": "de"}))


def test_public_pages_refuse_control_characters(server):
    refused_page(httpx.get(f"{server.url}/directory?q=%00", headers={"Accept-Language": "de"}))
    refused_page(httpx.get(f"{server.url}/directory?place=a%1Fb", headers={"Accept-Language": "de"}))
    with httpx.Client(base_url=server.url, timeout=10, headers={"Accept-Language": "de"}) as http:
        token = csrf_from(http.get("/login").text)
        refused_page(http.post("/login", data={"username": f"pflege{NUL}", "password": "x", "csrf_token": token}))


def test_the_message_is_in_the_callers_language(server):
    french = httpx.get(f"{server.url}/hsds/services/%00", headers={"Accept-Language": "fr-CH"})
    assert french.status_code == 400 and "caractère de contrôle" in french.json()["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clients/%00",
        "/api/v1/screenings/%00",
        "/api/v1/referrals/%00",
        "/api/v1/referrals?status=%00",
    ],
)
def test_api_paths_and_queries_refuse_control_characters(api, path):
    refused_json(api.get(path))


def test_json_bodies_refuse_control_characters(api):
    client = {"display_name": f"A{NUL}B", "birth_year": 1940, "municipality": 902, "language": "de"}
    assert refused_json(api.post("/api/v1/clients", json=client))
    client = {"display_name": "A. B.", "birth_year": 1940, "municipality": f"Bern{NUL}", "language": "de"}
    refused_json(api.post("/api/v1/clients", json=client))
    screening = {"client_id": NUL, "instrument_id": "social-situation-short", "instrument_version": "1"}
    refused_json(api.post("/api/v1/screenings", json=screening))
    refused_json(api.post("/api/v1/referrals", json={f"screening{NUL}id": "x"}))
    # A line break in free text is text, not a control character to refuse.
    fine = {"display_name": "Tab\tand\nline", "birth_year": 1940, "municipality": 902, "language": "de"}
    assert api.post("/api/v1/clients", json=fine).status_code in (201, 422)


def test_forms_of_logged_in_pages_refuse_control_characters(browser):
    token = csrf_from(browser.get("/clients/new").text)
    form = {"display_name": f"A{NUL}", "birth_year": "1940", "municipality": "902", "language": "de"}
    refused_page(browser.post("/clients/new", data={**form, "csrf_token": token}))
    refused_page(browser.post("/clients", data={"q": f"x{NUL}", "csrf_token": token}))
    refused_page(browser.get("/clients/%00"))
    refused_page(browser.get("/referrals/%00"))
    refused_page(browser.get("/screenings/%00/summary"))
    # htmx asks for fragments with the same token in a header: refused the same way.
    answer = browser.post("/clients", data={"q": f"x{NUL}"}, headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert answer.status_code == 400


def nested(depth: int) -> bytes:
    return b'{"display_name":' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("path", ["/api/v1/clients", "/api/v1/sync", "/api/v1/screenings"])
def test_json_nested_too_deep_is_a_400(api, path):
    answer = api.post(path, content=nested(DEEP), headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text[:300]
    assert "verschachtelt" in answer.json()["message"]
    # Brackets inside strings are text, not nesting.
    text = b'{"display_name":"' + b"[" * 1000 + b'","birth_year":1940,"municipality":902,"language":"de"}'
    assert api.post("/api/v1/clients", content=text, headers={"Content-Type": "application/json"}).status_code != 400


def test_json_of_ordinary_depth_passes(api):
    answer = api.post("/api/v1/clients", content=nested(20), headers={"Content-Type": "application/json"})
    assert answer.status_code != 500 and "verschachtelt" not in answer.text
