"""The /fhir access walk: every FHIR interaction × every role's token and other organisations'.

One referral (sent by pflege's Spitex to koordination's Pro Senectute, closed with an outcome
so that its Procedure exists) and the ids around it fill the path templates. Each row of
INTERACTIONS says who gets in and with what status; everyone else is refused:
- analyse and admin (no organisation, no personal data): 403 OperationOutcome;
- soins and coordination (other organisations): a read answers 404, a search an empty Bundle;
and a refusal never carries the referral's data.

To add an interaction, append a row: method, path template ({referral}, {client}, {consent},
{screening}, {nurse}, {owner}, {requester}, {subscription}), the expected status for each user who gets in (users left
out are refused as above), and for writes a body builder (ids → JSON) and headers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.fhir.conftest import assert_valid
from tests.fhir.hook_stub import subscription_resource
from tests.support import api_referral

INSIDERS = ("pflege", "koordination")  # the referring and the receiving organisation
NO_PERSONAL_DATA = ("analyse", "admin")  # 403
OTHER_ORGANISATIONS = ("soins", "coordination")  # 404, or an empty search
USERS = INSIDERS + NO_PERSONAL_DATA + OTHER_ORGANISATIONS
CLIENT_NAME = "Access W."


@dataclass(frozen=True)
class Interaction:
    method: str
    path: str  # template, filled from the ids of the walk's referral
    allowed: dict[str, int]  # user → expected status; other users are refused
    search: bool = False  # a search: other organisations get 200 with nothing in it
    body: Callable[[dict[str, str]], Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


BOTH = {"pflege": 200, "koordination": 200}

INTERACTIONS = [
    Interaction("GET", "/Task/{referral}", BOTH),
    Interaction("GET", "/Task?_id={referral}", BOTH, search=True),
    Interaction(
        "GET", "/Task?owner=Organization/{owner}&status=completed&_include=Task:focus", BOTH, search=True
    ),
    Interaction("GET", "/Task?requester=Organization/{requester}&_count=1", BOTH, search=True),
    Interaction("GET", "/ServiceRequest/{referral}", BOTH),
    Interaction("GET", "/ServiceRequest?_id={referral}", BOTH, search=True),
    Interaction("GET", "/Patient/{client}", {"pflege": 200, "koordination": 404}),
    Interaction("GET", "/Patient/{referral}", {"pflege": 404, "koordination": 200}),
    Interaction("GET", "/Consent/{consent}", BOTH),
    Interaction("GET", "/Consent?_id={consent}", BOTH, search=True),
    Interaction("GET", "/Procedure/{referral}", BOTH),
    # Subscriptions: an organisation's own (koordination made {subscription}); the topic for all.
    Interaction(
        "POST",
        "/Subscription",
        {"koordination": 201, "pflege": 422, "soins": 422, "coordination": 422},  # owner: not theirs
        body=lambda ids: subscription_resource(
            "http://127.0.0.1:9/walk", f"Task?owner=Organization/{ids['owner']}&status=draft"
        ),
    ),
    Interaction("GET", "/Subscription/{subscription}", {"koordination": 200}),
    Interaction("GET", "/Subscription/{subscription}/$status", {"koordination": 200}),
    Interaction("GET", "/Subscription", {"koordination": 200}, search=True),
    Interaction("GET", "/Basic/task-changed", {u: 200 for u in INSIDERS + OTHER_ORGANISATIONS}),
    # Updates: the receiver moves the Task, the sender may cancel; repeating the (closed) status
    # is a no-op for both. Others: 404; no organisation: 403.
    Interaction(
        "PATCH",
        "/Task/{referral}",
        BOTH,
        body=lambda ids: [{"op": "replace", "path": "/status", "value": "completed"}],
        headers={"Content-Type": "application/json-patch+json"},
    ),
    # Inbound referrals: nurses of any referring organisation may send (this body is refused as
    # not a transaction); coordinators may not.
    Interaction(
        "POST",
        "",
        {"pflege": 400, "soins": 400, "koordination": 403, "coordination": 403},
        body=lambda ids: {"resourceType": "Bundle", "type": "batch", "entry": []},
        headers={"Content-Type": "application/fhir+json"},
    ),
    # Screenings: only the organisation that screened.
    Interaction("GET", "/QuestionnaireResponse/{screening}", {"pflege": 200, "koordination": 404}),
    Interaction("GET", "/QuestionnaireResponse?patient=Patient/{client}", {"pflege": 200}, search=True),
    Interaction("GET", "/Observation?patient=Patient/{client}", {"pflege": 200}, search=True),
    Interaction("GET", "/Condition?patient=Patient/{client}", {"pflege": 200}, search=True),
    # Public knowledge (instruments, the directory, our codes): every token.
    Interaction("GET", "/Questionnaire?_id=social-situation-short", {u: 200 for u in USERS}, search=True),
    Interaction("GET", "/Organization/{owner}", {u: 200 for u in USERS}),
    Interaction(
        "GET", "/HealthcareService?organization=Organization/{owner}", {u: 200 for u in USERS}, search=True
    ),
    Interaction("GET", "/CodeSystem/need-domain", {u: 200 for u in USERS}),
    # Colleagues: pflege's own account, for her organisation only (koordination's: another).
    Interaction("GET", "/Practitioner/{nurse}", {"pflege": 200, "koordination": 404}),
    Interaction("GET", "/PractitionerRole/{nurse}", {"pflege": 200, "koordination": 404}),
    Interaction("DELETE", "/Subscription/{subscription}", {"koordination": 204}),  # the last one
]


@pytest.fixture(scope="module")
def walk_ids(server, tokens) -> dict[str, str]:
    client_id, referral_id = api_referral(server, tokens("pflege"), CLIENT_NAME)
    server.database.execute(
        "UPDATE referral SET status = 'completed', outcome = 'advice_given', closed_at = CURRENT_TIMESTAMP "
        "WHERE id = :i",
        i=referral_id,
    )
    consent_id, owner, requester, screening_id = server.database.execute(
        "SELECT consent_id, directory_organization_id, organisation_id, screening_id FROM referral WHERE id = :i",
        i=referral_id,
    )[0]
    # A subscription that never fires (the receiver never sees a draft), for the Subscription rows.
    made = httpx.post(
        f"{server.url}/fhir/Subscription",
        json=subscription_resource(
            "http://127.0.0.1:9/walk", f"Task?owner=Organization/{owner}&status=draft"
        ),
        headers={"Authorization": f"Bearer {tokens('koordination')}"},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    return {
        "subscription": made.json()["id"],
        "referral": referral_id,
        "client": client_id,
        "consent": consent_id,
        "screening": screening_id,
        "nurse": str(server.database.execute("SELECT id FROM user_account WHERE username = 'pflege'")[0][0]),
        "owner": owner,
        "requester": f"passerelle-{requester}",
    }


@pytest.mark.parametrize("interaction", INTERACTIONS, ids=lambda i: i.label)
def test_every_fhir_interaction_for_every_role(server, fhir, walk_ids, interaction: Interaction):
    path = interaction.path.format(**walk_ids)
    body = interaction.body(walk_ids) if interaction.body else None
    secrets = [walk_ids["referral"], walk_ids["client"], CLIENT_NAME]
    for user in USERS:
        answer = fhir(user).request(interaction.method, path, json=body, headers=interaction.headers)
        where = f"{interaction.label} as {user}"
        resource = assert_valid(answer.json()) if answer.content else {}
        if user in interaction.allowed:
            assert answer.status_code == interaction.allowed[user], (where, answer.text)
            if interaction.search and answer.status_code == 200:
                assert resource["resourceType"] == "Bundle" and resource.get("entry"), where
            if answer.status_code >= 400:
                assert resource["resourceType"] == "OperationOutcome", where
                assert not any(secret in answer.text for secret in secrets), where
            continue
        if user in NO_PERSONAL_DATA:
            assert answer.status_code == 403, (where, answer.text)
            assert resource["issue"][0]["code"] == "forbidden", where
        elif interaction.search and interaction.method == "GET":
            assert answer.status_code == 200, (where, answer.text)
            assert resource["total"] == 0 and not resource.get("entry"), where
        else:
            assert answer.status_code == 404, (where, answer.text)
            assert resource["issue"][0]["code"] == "not-found", where
        if not interaction.search:
            assert not any(secret in answer.text for secret in secrets), where
        else:  # the self link repeats the caller's own search (which may name the client's id)
            found = json.dumps({k: v for k, v in resource.items() if k != "link"})
            assert CLIENT_NAME not in found and walk_ids["client"] not in found, where
