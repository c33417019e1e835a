"""PUT and PATCH /fhir/Task/{id}: the receiving organisation's system moves a referral through
the same state machine as the inbox (accept, contact, reject, progress, complete with an
outcome), the referrer's system may only cancel, If-Match guards against lost updates (two
updates on the same version: one wins, one gets 412), refusals are OperationOutcomes in the
caller's language and change nothing."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from backend.fhir import codes
from tests.fhir.conftest import FHIR_JSON, assert_valid
from tests.support import api_referral

PATCH = "application/json-patch+json"


def read(client: httpx.Client, referral_id: str) -> tuple[dict[str, Any], str]:
    answer = client.get(f"/Task/{referral_id}")
    assert answer.status_code == 200, answer.text
    return assert_valid(answer.json()), answer.headers["etag"]


def put(
    client: httpx.Client, task: dict[str, Any], etag: str | None = None, at: str | None = None
) -> httpx.Response:
    """PUT the Task at its own address (or at `at`)."""
    headers = {"Content-Type": FHIR_JSON}
    if etag:
        headers["If-Match"] = etag
    return client.put(f"/Task/{at or task['id']}", content=json.dumps(task), headers=headers)


def patch(client: httpx.Client, referral_id: str, operations: Any, etag: str | None = None) -> httpx.Response:
    headers = {"Content-Type": PATCH}
    if etag:
        headers["If-Match"] = etag
    return client.patch(f"/Task/{referral_id}", content=json.dumps(operations), headers=headers)


def updated(answer: httpx.Response, status: str) -> dict[str, Any]:
    """A successful update: 200, the Task as it is now (valid R4), its version as the ETag."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    task = assert_valid(answer.json())
    assert task["status"] == status
    assert answer.headers["etag"] == f'W/"{task["meta"]["versionId"]}"'
    return task


def refused(answer: httpx.Response, status: int, expression: str | None = None) -> str:
    """An OperationOutcome with that status (and element); returns its text."""
    assert answer.status_code == status, answer.text
    outcome = assert_valid(answer.json())
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    if expression:
        assert issue.get("expression") == [expression], issue
    return issue["details"]["text"]


def referral_row(server, referral_id: str) -> dict[str, Any]:
    row = server.database.execute(
        "SELECT status, outcome, reject_reason, status_reason, first_contact_at FROM referral WHERE id = :r",
        r=referral_id,
    )[0]
    return dict(row._mapping)


def events_of(server, referral_id: str) -> list[str]:
    rows = server.database.execute(
        "SELECT to_status FROM referral_event WHERE referral_id = :r ORDER BY at, id", r=referral_id
    )
    return [row[0] for row in rows]


def outcome_coding(code: str) -> dict[str, Any]:
    return {"system": codes.OUTCOME_SYSTEM, "code": code}


def test_accept_by_put_contact_by_patch_complete_with_an_outcome(server, tokens, fhir):
    _, referral_id = api_referral(server, tokens("pflege"))
    coordinator = fhir("koordination")
    task, etag = read(coordinator, referral_id)

    # A new referral is opened on the way (→ received), as the case page does, then accepted.
    accepted = updated(put(coordinator, {**task, "status": "accepted"}, etag), "accepted")
    assert events_of(server, referral_id) == ["requested", "received", "accepted"]
    assert accepted["meta"]["versionId"] != task["meta"]["versionId"]
    assignee = server.database.execute(
        "SELECT u.username FROM referral r JOIN user_account u ON u.id = r.assigned_to WHERE r.id = :r",
        r=referral_id,
    )
    assert assignee[0][0] == "koordination"  # as cases.accept does for a click

    contact = [
        {
            "op": "add",
            "path": "/businessStatus",
            "value": {
                "coding": [
                    {"system": codes.CONTACT_SYSTEM, "code": "contact-reached"},
                    {"system": codes.CONTACT_CHANNEL_SYSTEM, "code": "visit"},
                ]
            },
        }
    ]
    contacted = updated(
        patch(coordinator, referral_id, contact, f'W/"{accepted["meta"]["versionId"]}"'), "accepted"
    )
    attempts = server.database.execute(
        "SELECT channel, reached FROM contact_attempt WHERE referral_id = :r", r=referral_id
    )
    assert [(channel, bool(reached)) for channel, reached in attempts] == [("visit", True)]
    assert referral_row(server, referral_id)["first_contact_at"] is not None

    in_progress = updated(
        patch(coordinator, referral_id, [{"op": "replace", "path": "/status", "value": "in-progress"}]),
        "in-progress",
    )
    assert in_progress["meta"]["versionId"] != contacted["meta"]["versionId"]

    # Completing needs an outcome; without one nothing changes.
    missing = put(coordinator, {**in_progress, "status": "completed"})
    assert "Ergebnis" in refused(missing, 422, "Task.output")
    assert referral_row(server, referral_id)["status"] == "in-progress"

    output = [
        {"type": {"text": "Outcome"}, "valueCodeableConcept": {"coding": [outcome_coding("help_started")]}}
    ]
    completed = updated(
        put(coordinator, {**in_progress, "status": "completed", "output": output}), "completed"
    )
    assert completed["businessStatus"]["coding"][0]["code"] == "help_started"
    if "output" in completed:  # the reads side links what was done as a Procedure
        assert any(
            o.get("valueReference", {}).get("reference") == f"Procedure/{referral_id}"
            for o in completed["output"]
        )
    row = referral_row(server, referral_id)
    assert (row["status"], row["outcome"]) == ("completed", "help_started")
    assert events_of(server, referral_id)[-2:] == ["in-progress", "completed"]
    audited = server.database.execute(
        "SELECT count(*) FROM audit_event a JOIN user_account u ON u.id = a.user_id "
        "WHERE u.username = 'koordination' AND a.action = 'update' AND a.subject_id = :r",
        r=referral_id,
    )
    assert audited[0][0] >= 4

    # The Task as it stands, sent back: a no-op (same version), even with our outcome in it.
    again = updated(put(coordinator, {**completed, "output": output}), "completed")
    assert again["meta"]["versionId"] == completed["meta"]["versionId"]
    assert len(events_of(server, referral_id)) == 5


def test_a_refused_transition_is_an_outcome_in_the_callers_language_and_changes_nothing(server, tokens, fhir):
    _, referral_id = api_referral(server, tokens("pflege"))
    task, etag = read(fhir("koordination"), referral_id)
    output = [
        {"type": {"text": "Outcome"}, "valueCodeableConcept": {"coding": [outcome_coding("help_started")]}}
    ]
    wanted = {**task, "status": "completed", "output": output}

    german = refused(put(fhir("koordination"), wanted, etag), 422, "Task.status")
    assert german == "Eine Zuweisung kann nicht von «Gesendet» zu «Abgeschlossen» wechseln."
    french = refused(put(fhir("koordination", "fr"), wanted, etag), 422, "Task.status")
    assert french == "Une orientation ne peut pas passer de « Envoyée » à « Terminée »."

    after, etag_after = read(fhir("koordination"), referral_id)
    assert after["status"] == "requested" and etag_after == etag
    assert events_of(server, referral_id) == ["requested"]  # not even opened
    assert referral_row(server, referral_id)["outcome"] is None


def test_only_the_four_elements_change_and_bad_bodies_are_refused(server, tokens, fhir):
    _, referral_id = api_referral(server, tokens("pflege"))
    coordinator = fhir("koordination")
    task, etag = read(coordinator, referral_id)

    other_patient = {**task, "status": "accepted", "for": {"reference": "Patient/someone-else"}}
    assert "nur status" in refused(put(coordinator, other_patient, etag), 422, "Task.for")
    other_owner = {**task, "owner": {"reference": "Organization/another"}}
    refused(put(coordinator, other_owner, etag), 422, "Task.owner")
    refused(put(coordinator, {**task, "id": "another-id"}, etag, at=referral_id), 422, "Task.id")
    refused(put(coordinator, {**task, "resourceType": "ServiceRequest"}, etag), 422, "Task.resourceType")
    refused(put(coordinator, {**task, "status": "no-such-status"}, etag), 422, "Task.status")
    unknown = {**task, "businessStatus": {"coding": [{"system": codes.OUTCOME_SYSTEM, "code": "magic"}]}}
    refused(put(coordinator, unknown, etag), 422, "Task.businessStatus")
    foreign = {**task, "status": "accepted", "output": [{"type": {"text": "x"}, "valueString": "done"}]}
    refused(put(coordinator, foreign, etag), 422, "Task.output")

    refused(
        patch(coordinator, referral_id, [{"op": "replace", "path": "/owner/reference", "value": "x"}]),
        422,
        "Task.owner",
    )
    refused(patch(coordinator, referral_id, [{"op": "remove", "path": "/status"}]), 422, "Task.status")
    refused(patch(coordinator, referral_id, {"op": "replace"}), 422, "Task")

    as_json = coordinator.put(
        f"/Task/{referral_id}", content="{not json", headers={"Content-Type": FHIR_JSON}
    )
    refused(as_json, 422, "Task")
    wrong_type = coordinator.patch(
        f"/Task/{referral_id}", content=json.dumps([]), headers={"Content-Type": FHIR_JSON}
    )
    assert "application/json-patch+json" in refused(wrong_type, 415)

    # Server-kept elements may differ; an instant written with Z is the same instant.
    same = {**task, "meta": {"versionId": "1"}, "authoredOn": task["authoredOn"].replace("+00:00", "Z")}
    unchanged = updated(put(coordinator, same, etag), "requested")
    assert unchanged["meta"]["versionId"] == task["meta"]["versionId"]
    assert referral_row(server, referral_id)["status"] == "requested"
    assert events_of(server, referral_id) == ["requested"]


def test_reject_with_a_coded_reason_or_in_words(server, tokens, fhir):
    coordinator = fhir("koordination")
    _, coded_id = api_referral(server, tokens("pflege"), need="loneliness")
    reason = {"coding": [{"system": codes.REJECT_REASON_SYSTEM, "code": "no_capacity"}]}
    operations = [
        {"op": "replace", "path": "/status", "value": "rejected"},
        {"op": "add", "path": "/statusReason", "value": reason},
    ]
    updated(patch(coordinator, coded_id, operations), "rejected")
    row = referral_row(server, coded_id)
    assert (row["reject_reason"], row["status_reason"]) == ("no_capacity", "No capacity")

    _, worded_id = api_referral(server, tokens("pflege"), need="administration")
    task, etag = read(coordinator, worded_id)
    worded = {**task, "status": "rejected", "statusReason": {"text": "Nur für Personen ab 60"}}
    after = updated(put(coordinator, worded, etag), "rejected")
    assert after["statusReason"]["text"] == "Nur für Personen ab 60"
    assert referral_row(server, worded_id)["reject_reason"] == "other"

    _, silent_id = api_referral(server, tokens("pflege"), need="loneliness", name="A. B.")
    task, _ = read(coordinator, silent_id)
    refused(put(coordinator, {**task, "status": "rejected"}), 422, "Task.statusReason")
    assert referral_row(server, silent_id)["status"] == "requested"


def test_a_stale_if_match_is_412_and_changes_nothing(server, tokens, fhir):
    _, referral_id = api_referral(server, tokens("pflege"))
    coordinator = fhir("koordination")
    task, etag = read(coordinator, referral_id)
    accepted = updated(put(coordinator, {**task, "status": "accepted"}, etag), "accepted")

    stale = put(coordinator, {**accepted, "status": "in-progress"}, etag)
    assert "geändert" in refused(stale, 412)
    stale_patch = patch(
        coordinator, referral_id, [{"op": "replace", "path": "/status", "value": "in-progress"}], etag
    )
    refused(stale_patch, 412)
    assert referral_row(server, referral_id)["status"] == "accepted"

    current = f'W/"{accepted["meta"]["versionId"]}"'
    updated(put(coordinator, {**accepted, "status": "in-progress"}, current), "in-progress")


def race(clients: list[httpx.Client], bodies: list[dict[str, Any]], version: str) -> list[httpx.Response]:
    """The PUTs at the same moment, one per thread."""
    barrier = threading.Barrier(len(clients))

    def send(i: int) -> httpx.Response:
        barrier.wait()
        return put(clients[i], bodies[i], version)

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(send, range(len(clients))))


def test_two_updates_on_the_same_version_one_wins_the_other_gets_412(server, tokens, fhir):
    for round_ in range(3):
        _, referral_id = api_referral(server, tokens("pflege"), name=f"C. {round_}")
        task, etag = read(fhir("koordination"), referral_id)
        received = updated(put(fhir("koordination"), {**task, "status": "received"}, etag), "received")
        version = f'W/"{received["meta"]["versionId"]}"'
        wanted = [
            {**received, "status": "accepted"},
            {**received, "status": "rejected", "statusReason": {"text": "Keine Kapazität"}},
        ]
        answers = race([fhir("koordination"), fhir("koordination")], wanted, version)
        codes_ = sorted(a.status_code for a in answers)
        assert codes_ == [200, 412], [a.text for a in answers]
        winner = next(a for a in answers if a.status_code == 200).json()["status"]
        assert referral_row(server, referral_id)["status"] == winner
        assert events_of(server, referral_id) == ["requested", "received", winner]


def test_the_sender_may_only_cancel_and_strangers_get_404(server, tokens, fhir):
    _, referral_id = api_referral(server, tokens("pflege"))
    nurse = fhir("pflege")
    task, etag = read(nurse, referral_id)
    assert task["for"]["reference"] != f"Patient/{referral_id}"  # the sender's view: its client

    refused(put(nurse, {**task, "status": "accepted"}, etag), 422, "Task.status")
    refused(put(nurse, {**task, "status": "cancelled"}, etag), 422, "Task.statusReason")  # needs a reason
    refused(
        put(
            fhir("koordination"),
            {
                **read(fhir("koordination"), referral_id)[0],
                "status": "cancelled",
                "statusReason": {"text": "x"},
            },
        ),
        422,
        "Task.status",
    )

    for stranger in ("soins", "coordination"):
        answer = put(fhir(stranger, "fr"), {**task, "status": "cancelled", "statusReason": {"text": "x"}})
        refused(answer, 404)
        assert referral_id not in answer.text
        refused(
            patch(fhir(stranger), referral_id, [{"op": "replace", "path": "/status", "value": "accepted"}]),
            404,
        )
    refused(put(fhir("koordination"), {**task, "id": "no-such-referral"}), 404)

    cancel = {**task, "status": "cancelled", "statusReason": {"text": "Die Klientin ist umgezogen"}}
    cancelled = updated(put(nurse, cancel, etag), "cancelled")
    assert cancelled["statusReason"]["text"] == "Die Klientin ist umgezogen"
    assert referral_row(server, referral_id)["status"] == "cancelled"
    # The receiving organisation's coordinators are told, as when the nurse cancels in the UI.
    told = server.database.execute(
        "SELECT u.username FROM notification n JOIN user_account u ON u.id = n.user_id "
        "WHERE n.referral_id = :r AND n.kind = 'cancelled'",
        r=referral_id,
    )
    assert "koordination" in {row[0] for row in told}
