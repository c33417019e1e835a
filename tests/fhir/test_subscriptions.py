"""FHIR Subscriptions (R4 Subscriptions Backport IG 1.1.0): a receiving organisation subscribes to
its Tasks, a nurse sends a referral, and the organisation's rest-hook (a local stub) gets one
id-only notification, retried after a 503, never with personal data. Refusals (unsafe endpoints,
full-resource payloads, other organisations' filters) and another organisation's token (404)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.fhir.conftest import FHIR_JSON, assert_valid
from tests.fhir.hook_stub import BACKPORT, TOPIC, Hook, HookStub, hook_stub
from tests.fhir.hook_stub import subscription_resource as subscription
from tests.support import api_referral

RECEIVER = "Pro Senectute Kanton Bern"


@pytest.fixture(scope="module")
def hooks() -> Iterator[HookStub]:
    with hook_stub() as stub:
        yield stub


def directory_org(server, name: str = RECEIVER) -> str:
    return server.database.execute("SELECT id FROM directory_organization WHERE name = :n", n=name)[0][0]


def org_of(server, username: str) -> int:
    return server.database.execute(
        "SELECT organisation_id FROM user_account WHERE username = :u", u=username
    )[0][0]


def subscribe(client, resource: dict) -> dict:
    made = client.post("/Subscription", json=resource, headers={"Content-Type": FHIR_JSON})
    assert made.status_code == 201, made.text
    assert made.headers["content-type"].startswith(FHIR_JSON)
    return assert_valid(made.json())


def focus_of(hook: Hook) -> str:
    status = hook.json()["entry"][0]["resource"]
    event = next(p for p in status["parameter"] if p["name"] == "notification-event")
    return next(p for p in event["part"] if p["name"] == "focus")["valueReference"]["reference"]


def about(stub: HookStub, path: str, task_id: str) -> list[Hook]:
    return [h for h in stub.to(path) if focus_of(h).endswith(f"/Task/{task_id}")]


def new_path() -> str:
    return f"/hook/{uuid.uuid4().hex[:8]}"


def test_a_new_referral_reaches_the_receivers_hook_once_as_id_only(server, tokens, fhir, hooks):
    path = new_path()
    owner = directory_org(server)
    coordinator = fhir("koordination")
    made = subscribe(
        coordinator,
        subscription(
            hooks.url(path),
            f"Task?owner=Organization/{owner}&status=requested",
            headers=["Authorization: Bearer s3cret"],
        ),
    )
    assert made["status"] == "active" and made["criteria"] == TOPIC
    assert made["meta"]["profile"] == [f"{BACKPORT}/backport-subscription"]
    assert made["channel"]["header"] == ["Authorization: ***"]  # the secret is used, not shown
    read = coordinator.get(f"/Subscription/{made['id']}")
    assert read.status_code == 200 and assert_valid(read.json())["id"] == made["id"]
    listed = assert_valid(coordinator.get("/Subscription").json())
    assert made["id"] in {e["resource"]["id"] for e in listed["entry"]}

    _, referral_id = api_referral(server, tokens("pflege"))  # "R. S.", 079 765 43 21
    assert hooks.wait_for(lambda: about(hooks, path, referral_id), timeout=15), hooks.to(path)
    time.sleep(3)  # a second worker round: still one
    received = about(hooks, path, referral_id)
    assert len(received) == 1
    hook = received[0]
    assert hook.headers["content-type"] == FHIR_JSON
    assert hook.headers["authorization"] == "Bearer s3cret"
    notification = assert_valid(hook.json())
    assert notification["type"] == "history"
    assert notification["meta"]["profile"] == [f"{BACKPORT}/backport-subscription-notification-r4"]
    assert len(notification["entry"]) == 1  # id-only: the Task's reference, no resource
    status = notification["entry"][0]["resource"]
    assert status["resourceType"] == "Parameters"
    assert status["meta"]["profile"] == [f"{BACKPORT}/backport-subscription-status-r4"]
    values = {p["name"]: p for p in status["parameter"]}
    assert values["subscription"]["valueReference"]["reference"].endswith(f"/Subscription/{made['id']}")
    assert values["topic"]["valueCanonical"] == TOPIC
    assert values["status"]["valueCode"] == "active"
    assert values["type"]["valueCode"] == "event-notification"
    assert values["events-since-subscription-start"]["valueString"] == "1"
    parts = {p["name"]: p for p in values["notification-event"]["part"]}
    assert parts["event-number"]["valueString"] == "1"
    assert parts["focus"]["valueReference"]["reference"].endswith(f"/Task/{referral_id}")
    text = hook.body.decode()
    for personal in ("R. S.", "079 765 43 21", "1940", "Patient"):
        assert personal not in text

    # $status counts the events so far (the subscriber can tell whether it missed one).
    queried = assert_valid(coordinator.get(f"/Subscription/{made['id']}/$status").json())
    assert queried["type"] == "searchset"
    status = queried["entry"][0]["resource"]
    assert status["meta"]["profile"] == [f"{BACKPORT}/backport-subscription-status-r4"]
    values = {p["name"]: p for p in status["parameter"]}
    assert values["type"]["valueCode"] == "query-status"
    assert values["events-since-subscription-start"]["valueString"] == "1"
    assert fhir("coordination").get(f"/Subscription/{made['id']}/$status").status_code == 404

    # The subscriber then reads the Task with its own token.
    task = coordinator.get(f"/Task/{referral_id}")
    assert task.status_code == 200 and task.json()["status"] == "requested"


def test_the_sender_subscribes_as_requester_and_filters_that_do_not_match_get_nothing(
    server, tokens, fhir, hooks
):
    matching, silent, ended = new_path(), new_path(), new_path()
    nurse = fhir("pflege")
    requester = f"Organization/passerelle-{org_of(server, 'pflege')}"
    subscribe(nurse, subscription(hooks.url(matching), f"Task?requester={requester}"))
    subscribe(fhir("koordination"), subscription(hooks.url(silent), "Task?status=completed,cancelled"))
    over = subscription(hooks.url(ended))
    over["end"] = "2099-01-01T00:00:00Z"
    over = subscribe(nurse, over)
    assert over["end"].startswith("2099-01-01T00:00:00")
    server.database.execute("UPDATE fhir_subscription SET ends_at = created_at WHERE id = :i", i=over["id"])
    assert assert_valid(nurse.get(f"/Subscription/{over['id']}").json())["status"] == "off"  # its end passed

    _, referral_id = api_referral(server, tokens("pflege"))
    assert hooks.wait_for(lambda: about(hooks, matching, referral_id), timeout=15)
    time.sleep(2.5)  # one more round: the others stay silent
    assert about(hooks, silent, referral_id) == []
    assert hooks.to(ended) == []
    assert len(about(hooks, matching, referral_id)) == 1


def test_a_503_is_retried_and_then_delivered_once(server, tokens, fhir, hooks):
    path = new_path()
    hooks.fail_next(path, 1, 503)
    subscribe(
        fhir("koordination"),
        subscription(hooks.url(path), f"Task?owner=Organization/{directory_org(server)}"),
    )
    _, referral_id = api_referral(server, tokens("pflege"))
    assert hooks.wait_for(lambda: len(about(hooks, path, referral_id)) >= 2, timeout=25), hooks.to(path)
    time.sleep(3)
    tries = about(hooks, path, referral_id)
    assert [t.answered for t in tries] == [503, 200]
    assert (
        tries[0].body == tries[1].body or json.loads(tries[0].body)["id"] == json.loads(tries[1].body)["id"]
    )


def test_a_refusing_hook_is_not_retried_and_endless_failures_put_the_subscription_in_error(
    server, tokens, fhir, hooks
):
    refusing, failing = new_path(), new_path()
    owner = f"Task?owner=Organization/{directory_org(server)}"
    coordinator = fhir("koordination")
    hooks.fail_next(refusing, 1, 400)
    hooks.fail_next(failing, 100, 503)
    subscribe(coordinator, subscription(hooks.url(refusing), owner))
    broken = subscribe(coordinator, subscription(hooks.url(failing), owner))
    _, referral_id = api_referral(server, tokens("pflege"))
    assert hooks.wait_for(lambda: about(hooks, failing, referral_id), timeout=15)

    # Skip the hours of backoff: the first failure is recorded, then make the next one the last.
    def attempts() -> int:
        rows = server.database.execute(
            "SELECT attempts FROM fhir_notification WHERE subscription_id = :s", s=broken["id"]
        )
        return rows[0][0] if rows else 0

    assert hooks.wait_for(lambda: attempts() == 1, timeout=10)
    server.database.execute(
        "UPDATE fhir_notification SET attempts = 7, next_attempt_at = created_at WHERE subscription_id = :s",
        s=broken["id"],
    )
    assert hooks.wait_for(
        lambda: coordinator.get(f"/Subscription/{broken['id']}").json()["status"] == "error"
    )
    errored = assert_valid(coordinator.get(f"/Subscription/{broken['id']}").json())
    assert "503" in errored["error"]
    in_error = assert_valid(coordinator.get("/Subscription", params={"status": "error"}).json())
    assert broken["id"] in {e["resource"]["id"] for e in in_error["entry"]}
    assert all(e["resource"]["status"] == "error" for e in in_error["entry"])
    active = coordinator.get("/Subscription", params={"status": "active"}).json()
    assert broken["id"] not in {e["resource"]["id"] for e in active["entry"]}
    assert len(about(hooks, failing, referral_id)) == 2
    assert [h.answered for h in about(hooks, refusing, referral_id)] == [400]  # no retry of a 4xx
    status = server.database.execute(
        "SELECT n.status FROM fhir_notification n JOIN fhir_subscription s ON s.id = n.subscription_id "
        "WHERE s.endpoint = :e",
        e=hooks.url(refusing),
    )
    assert [r[0] for r in status] == ["failed"]


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        ({"endpoint": "http://169.254.169.254/latest/meta-data/"}, "Subscription.channel.endpoint"),
        ({"endpoint": "ftp://127.0.0.1/hook"}, "Subscription.channel.endpoint"),
        ({"endpoint": "file:///etc/passwd"}, "Subscription.channel.endpoint"),
        ({"content": "full-resource"}, "Subscription.channel.payload"),
        ({"filter": "Task?owner=Organization/{other}"}, "Subscription.criteria.extension"),
        ({"filter": "Task?requester=Organization/passerelle-{nurse_org}"}, "Subscription.criteria.extension"),
        ({"filter": "Task?status=thinking"}, "Subscription.criteria.extension"),
        ({"filter": "Task?patient=Patient/1"}, "Subscription.criteria.extension"),
        ({"criteria": "Task?status=requested"}, "Subscription.criteria"),
        ({"type": "email"}, "Subscription.channel.type"),
        ({"end": "2001-01-01T00:00:00Z"}, "Subscription.end"),
    ],
)
def test_what_cannot_be_offered_is_refused_and_nothing_is_made(server, fhir, hooks, change, expression):
    coordinator = fhir("koordination", "fr")
    before = coordinator.get("/Subscription").json()["total"]
    others = server.database.execute(
        "SELECT id FROM directory_organization WHERE organisation_id IS NULL OR organisation_id != :o LIMIT 1",
        o=org_of(server, "koordination"),
    )
    filters = (
        [change["filter"].format(other=others[0][0], nurse_org=org_of(server, "pflege"))]
        if "filter" in change
        else []
    )
    resource = subscription(
        change.get("endpoint", hooks.url(new_path())), *filters, content=change.get("content", "id-only")
    )
    if "criteria" in change:
        resource["criteria"] = change["criteria"]
    if "type" in change:
        resource["channel"]["type"] = change["type"]
    if "end" in change:
        resource["end"] = change["end"]
    refused = coordinator.post("/Subscription", json=resource, headers={"Content-Type": FHIR_JSON})
    assert refused.status_code == 422, refused.text
    outcome = assert_valid(refused.json())
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == [expression]
    assert coordinator.get("/Subscription").json()["total"] == before


def test_another_organisation_can_neither_read_nor_delete_a_subscription(server, fhir, hooks):
    owner = fhir("koordination")
    made = subscribe(owner, subscription(hooks.url(new_path())))
    for stranger in ("coordination", "pflege"):
        other = fhir(stranger)
        assert other.get(f"/Subscription/{made['id']}").status_code == 404
        refused = other.delete(f"/Subscription/{made['id']}")
        assert refused.status_code == 404
        assert assert_valid(refused.json())["issue"][0]["code"] == "not-found"
        listed = assert_valid(other.get("/Subscription").json())
        assert made["id"] not in {e["resource"]["id"] for e in listed.get("entry", [])}
    assert owner.get(f"/Subscription/{made['id']}").status_code == 200  # still there
    assert owner.delete(f"/Subscription/{made['id']}").status_code == 204
    assert owner.get(f"/Subscription/{made['id']}").status_code == 404
    assert fhir("analyse").get("/Subscription").status_code in (401, 403)


def test_the_topic_is_served_as_a_basic_resource(server, fhir):
    client = fhir("koordination")
    topic = assert_valid(client.get("/Basic/task-changed").json())
    assert topic["code"]["coding"][0]["code"] == "SubscriptionTopic"
    assert {"url": "http://hl7.org/fhir/StructureDefinition/artifact-url", "valueUri": TOPIC} in topic[
        "extension"
    ]
    filters = [
        e["extension"][2]["valueString"]
        for e in topic["extension"]
        if e["url"].endswith("SubscriptionTopic.canFilterBy")
    ]
    assert filters == ["owner", "requester", "status"]
    found = assert_valid(client.get("/Basic", params={"code": "SubscriptionTopic"}).json())
    assert [e["resource"]["id"] for e in found["entry"]] == ["task-changed"]
    assert client.get("/Basic/other").status_code == 404


def test_the_capability_statement_offers_subscriptions(server, fhir):
    statement = fhir("koordination").get("/metadata").json()  # validated by the statement's own tests
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    subscription = resources["Subscription"]
    assert {i["code"] for i in subscription["interaction"]} == {"create", "read", "delete", "search-type"}
    assert [p["name"] for p in subscription["searchParam"]] == ["status"]
    assert [o["name"] for o in subscription["operation"]] == ["status"]
    assert "task-changed" in subscription["documentation"]
    assert {i["code"] for i in resources["Basic"]["interaction"]} == {"read", "search-type"}


def test_matching_keeps_to_the_organisations_own_side_of_a_task():
    from backend.fhir.subscriptions import matches, parse_filter
    from backend.referrals.models import Referral

    referral = Referral(
        id="r1",
        organisation_id=1,
        receiving_organisation_id=2,
        directory_organization_id="dir-2",
        service_id="s",
        need_domain="loneliness",
        status="requested",
    )
    assert parse_filter("Task?owner=Organization/dir-2&status=requested,accepted") == {
        "owner": {"dir-2"},
        "status": {"requested", "accepted"},
    }
    assert matches({}, 1, referral, receiver_sees=True) and matches({}, 2, referral, receiver_sees=True)
    assert not matches({}, 3, referral, receiver_sees=True)  # neither side
    assert not matches({}, 2, referral, receiver_sees=False)  # a draft's receiver hears nothing
    assert matches({"owner": ["dir-2"], "status": ["requested"]}, 2, referral, receiver_sees=True)
    assert not matches({"owner": ["dir-2"]}, 1, referral, receiver_sees=True)  # the sender is not the owner
    assert not matches({"status": ["accepted"]}, 2, referral, receiver_sees=True)
    assert matches({"requester": ["passerelle-1"]}, 1, referral, receiver_sees=True)
    assert not matches({"requester": ["passerelle-1"]}, 2, referral, receiver_sees=True)


def test_a_body_that_is_not_a_subscription_is_refused(server, fhir):
    coordinator = fhir("koordination")
    broken = coordinator.post("/Subscription", content=b"{not json", headers={"Content-Type": FHIR_JSON})
    assert broken.status_code == 400 and assert_valid(broken.json())["resourceType"] == "OperationOutcome"
    task = coordinator.post(
        "/Subscription", json={"resourceType": "Task"}, headers={"Content-Type": FHIR_JSON}
    )
    assert task.status_code == 422
    assert assert_valid(task.json())["issue"][0]["expression"] == ["Subscription.resourceType"]
