"""POST /fhir: a hospital's transaction Bundle becomes a referral as a nurse's would (consent,
duplicate guard, paused offers, deadline, push to the coordinators); a replay makes nothing new;
every refusal is an OperationOutcome naming the element, and nothing is written.

Inputs: tests/fhir/examples/referral-bundle.json (written for Passerelle: our need-domain and
consent-scope codes, a CH Core address) and gravity-servicerequest-task.json, hand-converted
from the Gravity IG (see GRAVITY_SOURCE)."""

from __future__ import annotations

import copy
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fhir.conftest import FHIR_JSON, assert_valid

EXAMPLES = Path(__file__).with_name("examples")
# _source of gravity-servicerequest-task.json: HL7/fhir-sdoh-clinicalcare (IG 3.0.0, commit
# 6604b7a), input/fsh/instances/SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample.fsh
# and SDOHCC-TaskReferralManagementOrderFulfillmentAcceptedExample.fsh, FSH written out as JSON.
# Adapted: Task.status accepted → requested (a referral arrives requested), Task.owner the
# coordination platform → the directory's "Pro Senectute Arc jurassien" (on Passerelle), and
# Task.requester (a PractitionerRole) left out: the test sets the caller's organisation.
# The SNOMED CT codes stay as they are; the Gravity category food-insecurity gives the need.
GRAVITY_SOURCE = (
    "HL7/fhir-sdoh-clinicalcare input/fsh/instances/SDOHCC-*FoodPantry*, *OrderFulfillmentAccepted*"
)
COUNTED = ("referral", "client", "consent", "referral_event", "notification", "audit_event")


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def counts(server) -> dict[str, int]:
    return {table: server.database.execute(f"SELECT count(*) FROM {table}")[0][0] for table in COUNTED}


def org_id(server, name: str) -> int:
    return server.database.execute("SELECT id FROM organisation WHERE name = :n", n=name)[0][0]


def referral_bundle(
    server, task_value: str = "A-2026-0815", patient_value: str = "SDE-0042"
) -> dict[str, Any]:
    """The example, consent given today, sent by Spital Demo Emmental, with its own ids."""
    bundle = example("referral-bundle.json")
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Consent":
            resource["dateTime"] = date.today().isoformat()
        if resource["resourceType"] == "Task":
            resource["identifier"][0]["value"] = task_value
            resource["requester"] = {
                "reference": f"Organization/passerelle-{org_id(server, 'Spital Demo Emmental')}"
            }
        if resource["resourceType"] == "Patient":
            resource["identifier"][0]["value"] = patient_value
    return bundle


def resource(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type)


def post(client: httpx.Client, body: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("", content=content, headers={"Content-Type": FHIR_JSON})


def refused(answer: httpx.Response, status: int, expression: str | None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    outcome = assert_valid(answer.json())
    assert outcome["resourceType"] == "OperationOutcome"
    expressions = [e for issue in outcome["issue"] for e in issue.get("expression", [])]
    if expression is not None:
        assert expression in expressions, outcome
    return outcome


def test_a_hospital_bundle_becomes_one_referral_in_the_coordinators_inbox(server, fhir, tokens):
    before = counts(server)
    answer = post(fhir("spital"), referral_bundle(server))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    reply = assert_valid(answer.json())
    assert reply["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in reply["entry"]]
    assert statuses == ["201 Created"] * 4 + ["200 OK"]  # the QuestionnaireResponse is not stored
    locations = [e["response"].get("location") for e in reply["entry"]]
    task_id = locations[3].split("/")[1]
    assert locations[3].startswith(f"Task/{task_id}/_history/")
    assert locations[2].startswith(f"ServiceRequest/{task_id}/_history/")
    assert locations[0].startswith("Patient/") and locations[1].startswith("Consent/")
    assert reply["entry"][4]["response"]["outcome"]["issue"][0]["severity"] == "information"

    after = counts(server)
    assert after["referral"] == before["referral"] + 1
    assert after["client"] == before["client"] + 1
    assert after["consent"] == before["consent"] + 1
    row = server.database.execute(
        "SELECT r.status, r.source, r.need_domain, r.due_at, o.name, r.shared, c.display_name, c.birth_year, "
        "c.municipality, c.language, c.phone FROM referral r JOIN directory_organization o "
        "ON o.id = r.directory_organization_id JOIN client c ON c.id = r.client_id WHERE r.id = :id",
        id=task_id,
    )[0]
    status, source, need, due_at, owner, shared, name, born, municipality, language, phone = row
    assert (status, source, need, owner) == ("requested", "fhir", "loneliness", "Pro Senectute Kanton Bern")
    assert due_at is not None  # the deadline to receive it, as for a nurse's referral
    assert (name, born, municipality, language, phone) == (
        "Hedwig Zaugg",
        1939,
        902,
        "de",
        "+41 34 402 11 22",
    )
    shared = json.loads(shared) if isinstance(shared, str) else shared
    assert (
        shared["display_name"] == "Hedwig Zaugg" and shared["birth_year"] == 1939
    )  # consent: contact, birth_year
    assert "needs" not in shared and shared["note"].startswith("Austritt")
    scope = server.database.execute(
        "SELECT scope FROM consent WHERE client_id = (SELECT client_id FROM referral WHERE id = :id)",
        id=task_id,
    )[0][0]
    assert sorted(json.loads(scope) if isinstance(scope, str) else scope) == ["birth_year", "contact"]

    # The coordinators of Pro Senectute Demo Bern were told (one push row each), and the
    # referral is in their inbox.
    pushed = server.database.execute(
        "SELECT u.username FROM notification n JOIN user_account u ON u.id = n.user_id "
        "WHERE n.referral_id = :id AND n.kind = 'new_referral'",
        id=task_id,
    )
    assert sorted(r[0] for r in pushed) == ["besuchsdienst", "koordination"]
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {tokens('koordination')}"}
    ) as api:
        inbox = api.get("/api/v1/referrals")
        assert inbox.status_code == 200
        assert task_id in [r["id"] for r in inbox.json()]

    # Read back through FHIR by both sides.
    task = assert_valid(fhir("spital").get(f"/Task/{task_id}").json())
    assert task["status"] == "requested" and task["requester"]["reference"].startswith(
        "Organization/passerelle-"
    )
    assert (
        assert_valid(fhir("koordination").get(f"/Task/{task_id}").json())["for"]["reference"]
        == f"Patient/{task_id}"
    )

    # Replayed: the same locations, 200 OK, nothing new anywhere (the reads above were audited).
    settled = counts(server)
    again = post(fhir("spital"), referral_bundle(server))
    assert again.status_code == 200, again.text
    replay = assert_valid(again.json())
    assert [e["response"]["status"] for e in replay["entry"]] == ["200 OK"] * 5
    assert [e["response"].get("location") for e in replay["entry"]] == locations
    assert counts(server) == settled


def test_a_second_task_for_the_same_patient_and_need_is_refused_as_a_duplicate(server, fhir):
    first = post(fhir("spital"), referral_bundle(server, "DUP-1", "SDE-0100"))
    assert first.status_code == 200, first.text
    before = counts(server)
    second = post(fhir("spital"), referral_bundle(server, "DUP-2", "SDE-0100"))
    outcome = refused(second, 422, "Task.owner")
    assert "offen" in outcome["issue"][0]["details"]["text"]  # German by default
    assert counts(server) == before
    # Another patient (another identifier) for the same need is no duplicate.
    assert post(fhir("spital"), referral_bundle(server, "DUP-3", "SDE-0101")).status_code == 200


def test_the_gravity_example_service_request_and_task_are_taken(server, fhir):
    """The IG's food-pantry ServiceRequest and its Task (relative references resolved against
    the entries' fullUrls, SNOMED CT codes read past, the Gravity category giving the need)."""
    service_request, task = example("gravity-servicerequest-task.json")
    base = "https://spital-demo-emmental.example/fhir"
    ours = referral_bundle(server)
    patient = copy.deepcopy(resource(ours, "Patient"))
    patient["identifier"][0]["value"] = "pat-53234"
    patient["address"][0] = {"use": "home", "postalCode": "2720", "city": "Tramelan", "country": "CH"}
    patient["communication"][0]["language"]["coding"][0]["code"] = "fr"
    consent = copy.deepcopy(resource(ours, "Consent"))
    consent["patient"] = consent["performer"][0] = {"reference": "Patient/pat-53234"}
    task["requester"] = resource(ours, "Task")["requester"]
    condition = {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "subject": {"reference": "Patient/pat-53234"},
        "code": {"text": "Food insecurity"},
    }
    entries = [
        (f"{base}/Patient/pat-53234", patient),
        (f"{base}/Consent/consent-53234", consent),
        (f"{base}/ServiceRequest/{service_request['id']}", service_request),
        (f"{base}/Task/{task['id']}", task),
        (f"{base}/Condition/SDOHCC-ConditionFoodInsecurityExample", condition),
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": url, "resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
            for url, r in entries
        ],
    }
    assert_valid(bundle)  # the input is valid R4 as well
    answer = post(fhir("spital", "fr"), bundle)
    assert answer.status_code == 200, answer.text
    reply = assert_valid(answer.json())
    referral_id = reply["entry"][3]["response"]["location"].split("/")[1]
    assert "Passerelle" in reply["entry"][4]["response"]["outcome"]["issue"][0]["details"]["text"]

    read = fhir("coordination", "fr").get(f"/ServiceRequest/{referral_id}")
    assert read.status_code == 200, read.text
    request = assert_valid(read.json())
    assert "food" in [c["code"] for c in request["code"]["coding"]]
    owner = assert_valid(fhir("coordination", "fr").get(f"/Task/{referral_id}").json())["owner"]
    assert owner["reference"] == task["owner"]["reference"]
    row = server.database.execute(
        "SELECT language, municipality FROM client WHERE id = (SELECT client_id FROM referral WHERE id = :id)",
        id=referral_id,
    )[0]
    assert tuple(row) == ("fr", 446)  # Tramelan, from its postal code


def _without(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != resource_type]
    return bundle


def _set(resource_type: str, **values: Any):
    def change(bundle: dict[str, Any]) -> dict[str, Any]:
        resource(bundle, resource_type).update(values)
        return bundle

    return change


REFUSALS = {
    "no consent": (lambda b: _without(b, "Consent"), 422, "Consent"),
    "consent not active": (_set("Consent", status="draft"), 422, "Consent.status"),
    "consent denies": (_set("Consent", provision={"type": "deny"}), 422, "Consent.provision.type"),
    "consent too old": (
        _set("Consent", dateTime=(date.today() - timedelta(days=60)).isoformat()),
        422,
        "Consent.dateTime",
    ),
    "consent given in the future": (
        _set(
            "Consent",
            provision={"type": "permit", "period": {"start": (date.today() + timedelta(days=2)).isoformat()}},
        ),
        422,
        "Consent.provision.period.start",
    ),
    "unknown scope item": (
        _set(
            "Consent",
            provision={
                "type": "permit",
                "code": [
                    {
                        "coding": [
                            {
                                "system": "https://fhir.passerelle.ch/CodeSystem/consent-scope",
                                "code": "insurance",
                            }
                        ]
                    }
                ],
            },
        ),
        422,
        "Consent.provision.code",
    ),
    "unknown need code": (
        _set(
            "ServiceRequest",
            category=[],
            code={
                "coding": [{"system": "https://fhir.passerelle.ch/CodeSystem/need-domain", "code": "bananas"}]
            },
        ),
        422,
        "ServiceRequest.code",
    ),
    "no need of ours": (
        _set(
            "ServiceRequest",
            category=[],
            code={"coding": [{"system": "http://snomed.info/sct", "code": "467771000124109"}]},
        ),
        422,
        "ServiceRequest.category",
    ),
    "another organisation's patient": (
        _set("ServiceRequest", subject={"reference": "Patient/00000000-0000-4000-8000-000000000001"}),
        422,
        "ServiceRequest.subject",
    ),
    "task not requested": (_set("Task", status="accepted"), 422, "Task.status"),
    "focus elsewhere": (
        _set("Task", focus={"reference": "ServiceRequest/somewhere-else"}),
        422,
        "Task.focus",
    ),
    "another requester": (
        _set("Task", requester={"reference": "Organization/passerelle-1"}),
        422,
        "Task.requester",
    ),
    "unknown owner": (
        _set("Task", owner={"reference": "Organization/no-such-organisation"}),
        422,
        "Task.owner",
    ),
    "an offer of another organisation": (
        _set("ServiceRequest", performer=[{"reference": "HealthcareService/no-such-offer"}]),
        422,
        "ServiceRequest.performer",
    ),
    "no municipality in the canton": (
        _set("Patient", address=[{"use": "home", "city": "Zürich", "postalCode": "8001"}]),
        422,
        "Patient.address",
    ),
    "a Practitioner in the Bundle": (
        lambda b: {
            **b,
            "entry": [
                *b["entry"],
                {
                    "fullUrl": "urn:uuid:1",
                    "resource": {"resourceType": "Practitioner"},
                    "request": {"method": "POST", "url": "Practitioner"},
                },
            ],
        },
        422,
        "Bundle.entry[5].resource.resourceType",
    ),
    "an entry without request": (
        lambda b: {**b, "entry": [{**b["entry"][0], "request": {"method": "PUT"}}, *b["entry"][1:]]},
        400,
        "Bundle.entry[0]",
    ),
    "a batch": (lambda b: {**b, "type": "batch"}, 400, "Bundle.type"),
    "a Task instead of a Bundle": (lambda b: resource(b, "Task"), 400, "Bundle.resourceType"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bundle_that_cannot_be_a_referral_is_refused_and_writes_nothing(server, fhir, case):
    change, status, expression = REFUSALS[case]
    bundle = change(referral_bundle(server, f"REFUSED-{case}"))
    before = counts(server)
    refused(post(fhir("spital"), bundle), status, expression)
    assert counts(server) == before


def test_an_owner_that_is_not_on_passerelle_is_refused(server, fhir):
    """A directory organisation whose staff have no Passerelle accounts cannot receive."""
    caritas = server.database.execute(
        "SELECT id FROM directory_organization WHERE name = 'Caritas Bern' AND organisation_id IS NULL"
    )[0][0]
    bundle = _set("Task", owner={"reference": f"Organization/{caritas}"})(referral_bundle(server, "NOT-ON"))
    before = counts(server)
    outcome = refused(post(fhir("spital", "fr"), bundle), 422, "Task.owner")
    assert "Passerelle" in outcome["issue"][0]["details"]["text"]
    assert counts(server) == before


def test_a_paused_offer_is_refused(server, fhir):
    offer = server.database.execute(
        "SELECT s.id FROM directory_service s JOIN directory_organization o ON o.id = s.organization_id "
        "JOIN directory_service_tag t ON t.service_id = s.id WHERE o.name = 'Pro Senectute Kanton Bern' "
        "AND t.kind = 'need_domain' AND t.value = 'digital' ORDER BY s.id"
    )
    ids = [r[0] for r in offer]
    server.database.execute(
        "UPDATE directory_service SET capacity_status = 'not_accepting' WHERE id IN ("
        + ", ".join(f"'{i}'" for i in ids)
        + ")"
    )
    bundle = referral_bundle(server, "PAUSED", "SDE-0200")
    resource(bundle, "ServiceRequest")["code"]["coding"][0]["code"] = "digital"
    resource(bundle, "ServiceRequest")["category"] = []
    before = counts(server)
    try:
        refused(post(fhir("spital"), bundle), 422, "Task.owner")
        resource(bundle, "ServiceRequest")["performer"] = [{"reference": f"HealthcareService/{ids[0]}"}]
        refused(post(fhir("spital"), bundle), 422, "ServiceRequest.performer")
    finally:
        server.database.execute(
            "UPDATE directory_service SET capacity_status = 'accepting' WHERE id IN ("
            + ", ".join(f"'{i}'" for i in ids)
            + ")"
        )
    assert counts(server) == before


def test_bad_bodies_are_outcomes(server, fhir):
    client = fhir("spital")
    before = counts(server)
    refused(post(client, b'{"resourceType": "Bundle", "type": '), 400, "Bundle")
    refused(post(client, b"not json at all"), 400, "Bundle")
    # 1.5 MB: under the app's 2 MB but over this route's 1 MB; and 10 MB.
    for size in (1_500_000, 10 * 1024 * 1024):
        big = (
            b'{"resourceType": "Bundle", "type": "transaction", "entry": [], "padding": "'
            + b"x" * size
            + b'"}'
        )
        try:
            answer = post(client, big)
        except httpx.TransportError:  # the server may answer and close before the upload ends
            pytest.fail("the server closed the connection instead of answering 413")
        outcome = refused(answer, 413, None)
        assert outcome["issue"][0]["code"] == "too-costly"
    assert counts(server) == before


@pytest.mark.parametrize("user", ["koordination", "analyse"])
def test_only_referring_professionals_may_send(server, fhir, user):
    before = counts(server)
    answer = post(fhir(user), referral_bundle(server, f"ROLE-{user}"))
    assert refused(answer, 403, None)["issue"][0]["code"] == "forbidden"
    assert counts(server) == before


def test_the_same_bundle_sent_four_times_at_once_makes_one_referral(server, fhir):
    """Retries racing each other: each answer is the referral (200) or a conflict (409) to be
    sent again; one referral, one client, one consent."""
    bundle = referral_bundle(server, "RACE", "SDE-0300")
    before = counts(server)
    clients = [fhir("spital") for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda c: post(c, bundle), clients))
    assert {a.status_code for a in answers} <= {200, 409}, ([a.text for a in answers], server.log()[-3000:])
    for answer in answers:
        assert_valid(answer.json())
    after = counts(server)
    assert [after[t] - before[t] for t in ("referral", "client", "consent")] == [1, 1, 1]
    again = post(fhir("spital"), bundle)
    assert again.status_code == 200 and {e["response"]["status"] for e in again.json()["entry"]} == {"200 OK"}
