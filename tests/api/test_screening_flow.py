"""The nurse's screening over HTTP: start, answer (drafts), finish, needs and matching offers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from backend.screening import rules
from backend.screening.instruments import all_instruments
from tests.support import csrf_from, login

VECTORS = json.loads((Path(rules.__file__).parent / "vectors.json").read_text(encoding="utf-8"))
MANY = next(v for v in VECTORS if v["name"] == "nurse: many problems at once")


def _form(answers: dict, token: str, **extra: str) -> dict[str, list[str]]:
    """The answers as the form's fields, one list of values per field name."""
    fields: dict[str, list[str]] = {"csrf_token": [token], **{k: [v] for k, v in extra.items()}}
    for link_id, value in answers.items():
        fields[f"a-{link_id}-present"] = ["1"]
        for one in value if isinstance(value, list) else [value]:
            text = "true" if one is True else "false" if one is False else str(one)
            fields.setdefault(f"a-{link_id}", []).append(text)
    return fields


def _client(nurse: httpx.Client, place: str) -> str:
    token = csrf_from(nurse.get("/clients/new").text)
    created = nurse.post(
        "/clients/new",
        data={
            "display_name": "E. M.",
            "birth_year": "1944",
            "municipality": place,
            "language": "de",
            "csrf_token": token,
        },
    )
    return created.headers["location"].rsplit("/", 1)[1]


def test_screening_from_start_to_needs_and_offers(server):
    with httpx.Client(base_url=server.url) as nurse:
        login(nurse, "pflege")
        client_id = _client(nurse, "Langnau im Emmental")
        token = csrf_from(nurse.get(f"/clients/{client_id}").text)
        started = nurse.post(f"/clients/{client_id}/screenings", data={"csrf_token": token})
        assert started.status_code == 303
        path = started.headers["location"]
        page = nurse.get(path)
        assert page.status_code == 200 and "Soziale Situation – Kurzabklärung" in page.text
        # htmx saves one answer at a time and returns the questions, with follow-ups now shown.
        first = nurse.post(
            f"{path}/answers",
            data=_form({"housing-situation": "worried"}, token),
            headers={"HX-Request": "true"},
        )
        assert first.status_code == 200 and first.text.lstrip().startswith('<div id="questions">')
        assert 'id="q-housing-problems"' in first.text
        # The rest in one plain form post (JavaScript off).
        rest = nurse.post(f"{path}/answers", data=_form(MANY["answers"], token))
        assert rest.status_code == 303
        done = nurse.post(
            f"{path}/complete", data={"csrf_token": token, "strengths": "Tochter kommt täglich"}
        )
        assert done.status_code == 303 and done.headers["location"] == f"{path}/summary"
        # "Finish" sent twice (a double tap on a slow tablet, a browser resending the form)
        # leads to the same summary, not to "completed, can no longer change", and changes nothing.
        again = nurse.post(f"{path}/complete", data={"csrf_token": token, "strengths": "anders"})
        assert again.status_code == 303 and again.headers["location"] == f"{path}/summary"
        summary = nurse.get(f"{path}/summary")
        assert summary.status_code == 200
        for domain in ("Einsamkeit und soziale Isolation", "Belastete betreuende Angehörige", "Finanzen"):
            assert domain in summary.text
        assert summary.text.count('class="offer"') >= 5
        assert "Tochter kommt täglich" in summary.text
    stored = server.database.execute("SELECT needs, status FROM screening WHERE client_id = :c", c=client_id)[
        0
    ]
    needs = stored[0] if isinstance(stored[0], dict) else json.loads(stored[0])
    assert needs == MANY["expect"]["needs"] and stored[1] == "completed"
    actions = {
        tuple(r)
        for r in server.database.execute(
            "SELECT action, subject_type FROM audit_event WHERE subject_type = 'screening'"
        )
    }
    assert {("create", "screening"), ("view", "screening")} <= actions


def test_bad_answers_are_named_and_good_ones_kept(server):
    instrument = all_instruments()["social-situation-short"]
    choice = next(i for i in instrument["items"] if i["type"] == "choice")
    integer = next((i for i in instrument["items"] if i["type"] == "integer"), None)
    with httpx.Client(base_url=server.url) as nurse:
        login(nurse, "pflege")
        client_id = _client(nurse, "Trub")
        token = csrf_from(nurse.get(f"/clients/{client_id}").text)
        path = nurse.post(f"/clients/{client_id}/screenings", data={"csrf_token": token}).headers["location"]
        bad = {choice["linkId"]: "not-an-option"}
        if integer:
            bad[integer["linkId"]] = "viele"
        response = nurse.post(
            f"{path}/answers",
            data=_form({**bad, "food": MANY["answers"]["food"]}, token),
        )
        assert response.status_code == 422
        assert "Wählen Sie eine der angebotenen Antworten." in response.text
        if integer:
            assert "Geben Sie eine ganze Zahl ein." in response.text
        kept = nurse.get(path).text
        assert re.search(rf'value="{MANY["answers"]["food"]}" checked', kept)


def test_other_organisations_cannot_open_a_screening(server):
    with httpx.Client(base_url=server.url) as pflege, httpx.Client(base_url=server.url) as soins:
        login(pflege, "pflege")
        client_id = _client(pflege, "Langnau im Emmental")
        token = csrf_from(pflege.get(f"/clients/{client_id}").text)
        path = pflege.post(f"/clients/{client_id}/screenings", data={"csrf_token": token}).headers["location"]
        login(soins, "soins")
        assert soins.get(path).status_code == 404
        token_fr = csrf_from(soins.get("/clients").text)
        assert soins.post(f"{path}/answers", data={"csrf_token": token_fr}).status_code == 404
        assert (
            soins.post(f"/clients/{client_id}/screenings", data={"csrf_token": token_fr}).status_code == 404
        )


def test_drafts_can_be_discarded(server):
    with httpx.Client(base_url=server.url) as nurse:
        login(nurse, "pflege")
        client_id = _client(nurse, "Langnau im Emmental")
        token = csrf_from(nurse.get(f"/clients/{client_id}").text)
        path = nurse.post(f"/clients/{client_id}/screenings", data={"csrf_token": token}).headers["location"]
        assert (
            "go on" in nurse.get(f"/clients/{client_id}").text
            or "weiter" in nurse.get(f"/clients/{client_id}").text
        )
        gone = nurse.post(f"{path}/discard", data={"csrf_token": token})
        assert gone.status_code == 303 and gone.headers["location"] == f"/clients/{client_id}"
        assert nurse.get(path).status_code == 404
