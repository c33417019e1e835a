"""Clients: minimal data, validation, one organisation only, every opening audited."""

from __future__ import annotations

import re

import httpx
import pytest

from backend.clients.service import normalise_phone
from tests.support import csrf_from, login


def _create(client: httpx.Client, **fields: str) -> httpx.Response:
    token = csrf_from(client.get("/clients/new").text)
    data = {
        "display_name": "M. M.",
        "birth_year": "1944",
        "municipality": "Langnau im Emmental",
        "language": "de",
        "phone": "",
        **fields,
    }
    return client.post("/clients/new", data={**data, "csrf_token": token})


def test_nurse_creates_and_finds_a_client(server):
    with httpx.Client(base_url=server.url) as nurse:
        login(nurse, "pflege")
        created = _create(nurse, display_name="Margrit M.", phone="034 402 12 34")
        assert created.status_code == 303
        path = created.headers["location"]
        page = nurse.get(path)
        assert page.status_code == 200
        assert (
            "Margrit M." in page.text
            and "Langnau im Emmental" in page.text
            and "+41 34 402 12 34" in page.text
        )
        assert "<title>Klientin / Klient · Passerelle</title>" in page.text
        assert page.text.count('id="privacy-title"') == 1
        token = csrf_from(page.text)
        found = nurse.post(
            "/clients",
            data={"q": "marg", "csrf_token": token},
            headers={"HX-Request": "true", "HX-Target": "client-rows"},
        )
        assert found.status_code == 200 and "Margrit M." in found.text
        # The fragment: the rows, and the page's status line refilled out of band (no page).
        assert found.text.lstrip().startswith('<p id="client-rows-status" hx-swap-oob="innerHTML">')
        assert '<section id="client-rows"' in found.text and "<html" not in found.text
        none = nurse.post("/clients", data={"q": "%", "csrf_token": token})
        assert "Margrit M." not in none.text  # wildcards are literal
    client_id = path.rsplit("/", 1)[1]
    audit = server.database.execute(
        "SELECT action, subject_type FROM audit_event WHERE subject_id = :id ORDER BY id", id=client_id
    )
    assert [tuple(row) for row in audit] == [("create", "client"), ("view", "client")]


def test_other_organisations_cannot_see_a_client(server):
    with httpx.Client(base_url=server.url) as pflege, httpx.Client(base_url=server.url) as soins:
        login(pflege, "pflege")
        path = _create(pflege, display_name="Hans H.").headers["location"]
        login(soins, "soins")
        response = soins.get(path, headers={"Accept-Language": "fr"})
        assert response.status_code == 404
        assert "Hans H." not in response.text
        assert "Hans H." not in soins.get("/clients").text
        coordinator = httpx.Client(base_url=server.url)
        login(coordinator, "koordination")
        assert coordinator.get(path).status_code == 403
        coordinator.close()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"display_name": "  "}, "display_name", "Geben Sie einen Namen oder Initialen ein."),
        ({"birth_year": "44"}, "birth_year", "Geben Sie das Geburtsjahr mit vier Ziffern ein"),
        ({"birth_year": "1850"}, "birth_year", "Geben Sie das Geburtsjahr mit vier Ziffern ein"),
        ({"municipality": "Atlantis"}, "municipality", "Diese Gemeinde kennen wir im Kanton Bern nicht"),
        ({"phone": "call me"}, "phone", "Geben Sie eine Telefonnummer wie 079 123 45 67"),
        ({"language": "xx"}, "language", "Unbekannte Sprache."),
    ],
)
def test_bad_input_is_explained_and_kept(client, fields, field, message):
    login(client, "pflege")
    response = (
        _create(client, display_name="Typed Name", **fields)
        if "display_name" not in fields
        else _create(client, **fields)
    )
    assert response.status_code == 422
    assert message in response.text
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', response.text)
    if "display_name" not in fields:
        assert 'value="Typed Name"' in response.text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("079 123 45 67", "+41 79 123 45 67"),
        ("+41 (0)79 123 45 67", "+41 79 123 45 67"),
        ("0041791234567", "+41 79 123 45 67"),
        ("+41 31 321 00 00", "+41 31 321 00 00"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("12", None),
        ("abc", None),
    ],
)
def test_phone_numbers(raw, expected):
    assert normalise_phone(raw) == expected
