"""/fhir basics: tokens only (a logged-in browser's cookie opens nothing), errors as
OperationOutcome in the caller's language, a Task read by its two organisations only."""

from __future__ import annotations

import httpx

from tests.fhir.conftest import FHIR_JSON, assert_valid
from tests.support import api_referral, login


def test_a_task_is_read_by_its_two_organisations_and_nobody_else(server, tokens, fhir):
    _, referral_id = api_referral(server, tokens("pflege"))
    sender = fhir("pflege").get(f"/Task/{referral_id}")
    assert sender.status_code == 200, sender.text
    assert sender.headers["content-type"].startswith(FHIR_JSON)
    task = assert_valid(sender.json())
    assert task["status"] == "requested" and task["focus"]["reference"] == f"ServiceRequest/{referral_id}"
    assert sender.headers["etag"] == f'W/"{task["meta"]["versionId"]}"'

    receiver = fhir("koordination").get(f"/Task/{referral_id}")
    assert receiver.status_code == 200
    assert receiver.json()["for"]["reference"] == f"Patient/{referral_id}"  # the shared copy only

    for stranger in ("soins", "coordination"):
        refused = fhir(stranger, "fr").get(f"/Task/{referral_id}")
        assert refused.status_code == 404
        outcome = assert_valid(refused.json())
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["code"] == "not-found"
        assert "organisation" in outcome["issue"][0]["details"]["text"]  # French, not a msgid
        assert referral_id not in refused.text


def test_cookies_do_not_open_fhir_and_a_bad_token_is_refused_as_outcome(server, tokens):
    _, referral_id = api_referral(server, tokens("pflege"))
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        assert login(browser, "pflege").status_code in (200, 303)
        assert browser.get("/").status_code == 200  # logged in
        answer = browser.get(f"/fhir/Task/{referral_id}")
        assert answer.status_code == 401
        assert assert_valid(answer.json())["issue"][0]["code"] == "login"
        assert "set-cookie" not in answer.headers
        bad = browser.get(f"/fhir/Task/{referral_id}", headers={"Authorization": "Bearer psg_nope"})
        assert bad.status_code == 401 and bad.json()["resourceType"] == "OperationOutcome"


def test_an_unknown_address_under_fhir_is_an_outcome(server, fhir):
    answer = fhir("pflege").get("/Nonsense/1")
    assert answer.status_code == 404
    assert assert_valid(answer.json())["resourceType"] == "OperationOutcome"
