"""The round trip: a nurse refers in the web UI; the receiving organisation's script, which knows
only HTTP and FHIR, finds the referral, reads it, accepts it, records a contact and completes
it with an outcome; the nurse sees it in Passerelle (her page in German and French, the JSON
API) and got a push notification, as if a coordinator had clicked in the inbox."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.fhir.conftest import FHIR_JSON, assert_valid
from tests.fhir.hook_stub import hook_stub, subscription_resource
from tests.support import csrf_from, login

RECEIVER_ORG = "Pro Senectute Kanton Bern"  # koordination's directory organisation
LONELY = {"ucla-companionship": "often", "ucla-left-out": "often", "ucla-isolated": "often"}
OUTCOMES = "https://fhir.passerelle.ch/CodeSystem/referral-outcome"
CONTACT = "https://fhir.passerelle.ch/CodeSystem/contact"


def refer_in_the_ui(server, name: str) -> str:
    """pflege, logged in: a client, a screening, a referral to Pro Senectute with consent."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "pflege")
        token = csrf_from(http.get("/").text)
        created = http.post(
            "/clients/new",
            data={
                "display_name": name,
                "birth_year": "1941",
                "municipality": "Langnau im Emmental",
                "language": "de",
                "phone": "079 222 33 44",
                "csrf_token": token,
            },
        )
        client_id = created.headers["location"].rsplit("/", 1)[1]
        started = http.post(f"/clients/{client_id}/screenings", data={"csrf_token": token})
        path = started.headers["location"]
        answers: dict[str, Any] = {"csrf_token": token}
        for link_id, value in LONELY.items():
            answers[f"a-{link_id}-present"], answers[f"a-{link_id}"] = "1", value
        assert http.post(f"{path}/answers", data=answers).status_code == 303
        assert http.post(f"{path}/complete", data={"csrf_token": token}).status_code == 303
        screening_id = path.rsplit("/", 1)[1]
        summary = http.get(f"/screenings/{screening_id}/summary").text
        offer = server.database.execute(
            "SELECT s.id FROM directory_service s JOIN directory_organization o ON o.id = s.organization_id "
            "WHERE o.name = :o",
            o=RECEIVER_ORG,
        )
        ours = {row[0] for row in offer}
        choice = next(
            v
            for v in re.findall(r'name="offer" value="(loneliness:[^"]+)"(?! disabled)', summary)
            if v.split(":", 1)[1] in ours
        )
        sent = http.post(
            f"/screenings/{screening_id}/referrals",
            data={
                "csrf_token": token,
                "offer": [choice],
                "given_by": "client",
                "method": "verbal",
                "scope": ["contact", "birth_year"],
                "confirmed": "yes",
            },
        )
        assert sent.status_code == 303, sent.text[:500]
    return server.database.execute("SELECT id FROM referral WHERE client_id = :c", c=client_id)[0][0]


def the_organisations_script(base: str, token: str, owner: str, since: str, referral_id: str) -> None:
    """What a receiving organisation's system does, with FHIR only: it polls for the new referrals
    of its organisation since its last look (with their ServiceRequest), reads the consented
    Patient, then accepts one, records a contact and completes it with an outcome."""
    headers = {"Authorization": f"Bearer {token}", "Accept": FHIR_JSON, "Content-Type": FHIR_JSON}
    with httpx.Client(base_url=base, headers=headers, timeout=20) as fhir:
        query = {
            "owner": f"Organization/{owner}",
            "status": "requested",
            "_lastUpdated": f"gt{since}",
            "_include": "Task:focus",
        }
        found = fhir.get("/Task", params=query)
        assert found.status_code == 200, found.text
        resources = [e["resource"] for e in assert_valid(found.json()).get("entry", [])]
        task = next(r for r in resources if r["resourceType"] == "Task" and r["id"] == referral_id)
        assert any(f"ServiceRequest/{r['id']}" == task["focus"]["reference"] for r in resources)
        patient = fhir.get("/" + task["for"]["reference"])
        assert patient.status_code == 200 and assert_valid(patient.json())["resourceType"] == "Patient"

        accept_contact_complete(fhir, task["id"])


def accept_contact_complete(fhir: httpx.Client, task_id: str) -> None:
    """Accepts the Task, records a contact that reached the person and completes it with the
    outcome "help started", each time with the version it read (If-Match)."""
    read = fhir.get(f"/Task/{task_id}")
    accepted = fhir.put(
        f"/Task/{task_id}",
        content=json.dumps({**read.json(), "status": "accepted"}),
        headers={"If-Match": read.headers["etag"]},
    )
    assert accepted.status_code == 200, accepted.text
    contact = [
        {
            "op": "add",
            "path": "/businessStatus",
            "value": {"coding": [{"system": CONTACT, "code": "contact-reached"}]},
        }
    ]
    contacted = fhir.patch(
        f"/Task/{task_id}",
        content=json.dumps(contact),
        headers={"If-Match": accepted.headers["etag"], "Content-Type": "application/json-patch+json"},
    )
    assert contacted.status_code == 200, contacted.text
    outcome = {"coding": [{"system": OUTCOMES, "code": "help_started"}]}
    done = {
        **contacted.json(),
        "status": "completed",
        "output": [{"type": {"text": "Outcome"}, "valueCodeableConcept": outcome}],
    }
    completed = fhir.put(
        f"/Task/{task_id}", content=json.dumps(done), headers={"If-Match": contacted.headers["etag"]}
    )
    assert completed.status_code == 200, completed.text
    assert assert_valid(completed.json())["status"] == "completed"


def test_the_nurse_sees_what_the_organisation_did_through_fhir(server, tokens):
    since = datetime.now(UTC).isoformat(timespec="seconds")
    time.sleep(1)  # _lastUpdated=gt… compares whole seconds or finer: ours is after `since`
    referral_id = refer_in_the_ui(server, "Round T.")
    owner = server.database.execute(
        "SELECT directory_organization_id FROM referral WHERE id = :r", r=referral_id
    )[0][0]
    the_organisations_script(server.url + "/fhir", tokens("koordination"), owner, since, referral_id)

    # The JSON API: completed, with the outcome as the reason, every step in the history.
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens('pflege')}"}) as api:
        seen = api.get(f"/api/v1/referrals/{referral_id}").json()
    assert seen["status"] == "completed" and seen["status_reason"] == "Help started"
    assert [h["status"] for h in seen["history"]] == ["requested", "received", "accepted", "completed"]

    # Her referral page, in German, then in French once she switches.
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        login(browser, "pflege")
        page = browser.get(f"/referrals/{referral_id}")
        assert page.status_code == 200
        assert "Abgeschlossen</span>: Hilfe begonnen" in page.text
        token = csrf_from(page.text)
        switched = browser.post("/language", data={"lang": "fr", "next": "/", "csrf_token": token})
        assert switched.status_code == 303
        french = browser.get(f"/referrals/{referral_id}")
        assert "Terminée</span>: Aide commencée" in french.text
        browser.post("/language", data={"lang": "de", "next": "/", "csrf_token": csrf_from(french.text)})

    # A push for each change, queued for her as for a click in the inbox, without personal data.
    rows = server.database.execute(
        "SELECT n.kind, n.params FROM notification n JOIN user_account u ON u.id = n.user_id "
        "WHERE u.username = 'pflege' AND n.referral_id = :r",
        r=referral_id,
    )
    params = [p if isinstance(p, dict) else json.loads(p) for _, p in rows]
    assert {kind for kind, _ in rows} == {"status"}
    assert {p["status"] for p in params} >= {"received", "accepted", "completed"}
    assert any(p["status"] == "completed" and p["outcome"] == "help_started" for p in params)
    assert not any("Round T." in json.dumps(p) for p in params)


def focus_of(notification: dict[str, Any]) -> list[str]:
    """The Task references an id-only notification names (backport: notification-event.focus)."""
    status = notification["entry"][0]["resource"]
    return [
        part["valueReference"]["reference"]
        for parameter in status["parameter"]
        if parameter["name"] == "notification-event"
        for part in parameter["part"]
        if part["name"] == "focus"
    ]


def test_a_subscribed_organisation_is_told_reads_and_closes_the_loop(server, tokens):
    """The issue's script, HTTP and FHIR only: subscribe; be told of a new referral (id only);
    read it with its ServiceRequest, Patient and Consent; accept, record a contact, complete —
    each change told again, never with personal data; the nurse sees the outcome."""
    token = tokens("koordination")
    headers = {"Authorization": f"Bearer {token}", "Accept": FHIR_JSON, "Content-Type": FHIR_JSON}
    owner = server.database.execute("SELECT id FROM directory_organization WHERE name = :n", n=RECEIVER_ORG)[
        0
    ][0]
    with (
        hook_stub() as hooks,
        httpx.Client(base_url=server.url + "/fhir", headers=headers, timeout=20) as fhir,
    ):
        made = fhir.post(
            "/Subscription",
            content=json.dumps(subscription_resource(hooks.url("/loop"), f"Task?owner=Organization/{owner}")),
        )
        assert made.status_code == 201, made.text

        referral_id = refer_in_the_ui(server, "Loop S.")
        task_ref = f"Task/{referral_id}"

        def told() -> list[dict[str, Any]]:
            return [
                h.json() for h in hooks.to("/loop") if any(r.endswith(task_ref) for r in focus_of(h.json()))
            ]

        assert hooks.wait_for(lambda: len(told()) >= 1, timeout=20), hooks.to("/loop")
        reference = next(r for r in focus_of(told()[0]) if r.endswith(task_ref))
        task = fhir.get("/" + reference.split("/fhir/", 1)[-1])
        assert task.status_code == 200, task.text
        task_json = assert_valid(task.json())
        request = assert_valid(fhir.get("/" + task_json["focus"]["reference"]).json())
        patient = assert_valid(fhir.get("/" + task_json["for"]["reference"]).json())
        consent = assert_valid(fhir.get("/" + request["supportingInfo"][0]["reference"]).json())
        assert request["resourceType"] == "ServiceRequest" and consent["resourceType"] == "Consent"
        assert patient["name"][0]["text"] == "Loop S."  # the consent shares contact data

        accept_contact_complete(fhir, referral_id)
        # sent, received, accepted, contact, completed: told each time (at least sent and done)
        assert hooks.wait_for(lambda: len(told()) >= 4, timeout=30), len(told())
        bodies = [h.body.decode() for h in hooks.to("/loop")]
        assert not any("Loop S." in b or "079 222 33 44" in b or "222 33 44" in b for b in bodies)

    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens('pflege')}"}) as api:
        seen = api.get(f"/api/v1/referrals/{referral_id}").json()
    assert seen["status"] == "completed" and seen["status_reason"] == "Help started"
