"""Smaller findings of issue 14: HEAD on every GET route, the schema's own routes, one charset
on CSV downloads, and client-made ids that do not tell whether another organisation used them."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support import api_referral, cli, login

HEAD_PATHS = [
    "/",  # a page behind login: the same redirect as GET
    "/login",
    "/check/de",
    "/check/fr/poster",
    "/healthz",
    "/hsds/services",
    "/api/v1/directory/snapshot",
    "/schema/openapi.json",
    "/static/css/app.css",
    "/nowhere",
]


@pytest.mark.parametrize("path", HEAD_PATHS)
def test_head_answers_like_get_without_a_body(client, path):
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code, path
    assert head.content == b""
    assert head.headers.get("content-type") == got.headers.get("content-type")
    assert head.headers.get("content-length") == got.headers.get("content-length")
    assert head.headers.get("cache-control") == got.headers.get("cache-control")


def test_head_on_a_page_of_a_logged_in_user(server):
    with httpx.Client(base_url=server.url, timeout=10) as person:
        assert login(person, "pflege").status_code == 303
        head = person.head("/clients")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"].startswith("text/html")


def test_post_only_routes_still_refuse_head(client):
    assert client.head("/logout").status_code == 405


def test_the_schema_documents_only_what_it_serves(client):
    schema = client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert schema.headers["content-type"] == "application/vnd.oai.openapi+json"
    documented = schema.json()["paths"]
    # It documented /schema/{path} as a 200 HTML page; every such path answers 404.
    assert not [path for path in documented if path.startswith("/schema")]
    for path in ("/schema/openapi.yaml", "/schema/swagger", "/schema/anything"):
        assert client.get(path).status_code == 404, path


def test_csv_names_its_charset_once(server):
    with httpx.Client(base_url=server.url, timeout=10) as analyst:
        assert login(analyst, "analyse").status_code == 303
        csv = analyst.get("/reports/needs/csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"


# --- client-made ids ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokens(server) -> dict[str, str]:
    return {
        user: cli("tokens", "create", "--user", user, "--name", "edges", env=server.env).stdout.strip()
        for user in ("pflege", "soins")
    }


def _records(server, token: str, name: str) -> dict[str, str]:
    client_id, referral_id = api_referral(server, token, name)
    screening_id = server.database.execute("SELECT id FROM screening WHERE client_id = :c", c=client_id)[0][0]
    return {"client": client_id, "screening": screening_id, "referral": referral_id}


def _attempts(http: httpx.Client, own_client: str, own_screening: str, taken: dict[str, str]) -> list:
    """Creating a client, a screening and a referral, each with an id that is `taken`."""
    instrument = http.get("/api/v1/instruments/social-situation-short").json()
    client = http.post(
        "/api/v1/clients",
        json={
            "id": taken["client"],
            "display_name": "A. B.",
            "birth_year": 1940,
            "municipality": 902,
            "language": "fr",
        },
    )
    screening = http.post(
        "/api/v1/screenings",
        json={
            "id": taken["screening"],
            "client_id": own_client,
            "instrument_id": instrument["id"],
            "instrument_version": instrument["version"],
            "answers": {"admin": "piling-up"},
        },
    )
    referral = http.post(
        "/api/v1/referrals",
        json={
            "screening_id": own_screening,
            "offers": [
                {"id": taken["referral"], "service_id": str(uuid.uuid4()), "need_domain": "administration"}
            ],
            "consent": {"confirmed": True, "scope": []},
        },
    )
    return [client, screening, referral]


def test_another_organisations_id_is_answered_like_ones_own(server, tokens):
    """A nurse of the Jura bernois who sends the ids of Emmental records learns nothing that
    her own taken ids would not tell her: the same status and the same words, no 'exists'."""
    theirs = _records(server, tokens["pflege"], "E. M.")
    mine = _records(server, tokens["soins"], "J. R.")
    headers = {"Authorization": f"Bearer {tokens['soins']}", "Accept-Language": "fr"}
    before = server.database.execute("SELECT count(*) FROM client")[0][0]
    with httpx.Client(base_url=server.url, timeout=10, headers=headers) as http:
        foreign = _attempts(http, mine["client"], mine["screening"], theirs)
        own = _attempts(http, mine["client"], mine["screening"], mine)
    for kind, answer, reference in zip(("client", "screening", "referral"), foreign, own, strict=True):
        assert answer.status_code == 422, (kind, answer.text)
        assert answer.json() == reference.json(), kind
        assert "exist" not in answer.text.lower(), kind
    assert server.database.execute("SELECT count(*) FROM client")[0][0] == before
