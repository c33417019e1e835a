"""A referral to an organisation that is not on Passerelle as FHIR shows it (issue 17, item 3):
Task.status `ready` (acceptance a given: the referrer arranges it herself), businessStatus
`arranged-by-referrer` of our referral-handling CodeSystem, owner the offer's organisation; once
the nurse records the outcome, the Task carries it like any other."""

from __future__ import annotations

import httpx

from tests.fhir.conftest import assert_valid
from tests.support import api_referral, csrf_from, login

SRK = "Schweizerisches Rotes Kreuz Kanton Bern"  # no account on Passerelle
HANDLING = "https://fhir.passerelle.ch/CodeSystem/referral-handling"


def test_a_task_to_arrange_by_the_referrer(server, tokens, fhir):
    _, referral_id = api_referral(server, tokens("pflege"), "N. O.", organization=SRK)
    owner, receiving = server.database.execute(
        "SELECT directory_organization_id, receiving_organisation_id FROM referral WHERE id = :r",
        r=referral_id,
    )[0]
    assert receiving is None
    sender = fhir("pflege")
    task = assert_valid(sender.get(f"/Task/{referral_id}").json())
    assert task["status"] == "ready"
    assert task["businessStatus"]["coding"] == [
        {
            "system": HANDLING,
            "code": "arranged-by-referrer",
            "display": "Von der zuweisenden Stelle zu vermitteln",
        }
    ]
    assert task["owner"] == {"reference": f"Organization/{owner}"}
    request = assert_valid(sender.get(f"/ServiceRequest/{referral_id}").json())
    assert request["status"] == "active"
    found = sender.get("/Task", params={"status": "ready", "_count": "100"}).json()
    assert referral_id in {e["resource"]["id"] for e in found.get("entry", [])}
    code_system = assert_valid(sender.get("/CodeSystem/referral-handling").json())
    assert [c["code"] for c in code_system["concept"]] == ["arranged-by-referrer"]
    # No receiving organisation sees it.
    assert fhir("koordination").get(f"/Task/{referral_id}").status_code == 404

    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "pflege")
        token = csrf_from(http.get("/").text)
        done = http.post(
            f"/referrals/{referral_id}/outcome", data={"csrf_token": token, "outcome": "help_started"}
        )
        assert done.status_code == 303
    task = assert_valid(sender.get(f"/Task/{referral_id}").json())
    assert task["status"] == "completed"
    assert task["businessStatus"]["coding"][0]["code"] == "help_started"
