"""Follow-ups in FHIR (issue 19): a recorded follow-up is a QuestionnaireResponse to the
follow-up Questionnaire, its wellbeing answers Observations (ONS4 items, a declined one as
`asked-declined`, the UCLA-3 sum) and each need's outcome a Goal addressing the need's
Condition — for the owning organisation's nurses only, each read audited; valid FHIR R4."""

from __future__ import annotations

import httpx

from backend.fhir import followup as mapping
from tests.api.test_followups import _coordinator_acts, _follow_ups, _make_due_now
from tests.api.test_referrals import Nurse
from tests.fhir.conftest import assert_valid
from tests.support import api_referral, login

CANONICAL = "https://fhir.passerelle.ch/Questionnaire/follow-up"
WELLBEING = "https://fhir.passerelle.ch/CodeSystem/wellbeing"
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"


def views(server, follow_up_id: str) -> int:
    return server.database.execute(
        "SELECT count(*) FROM audit_event WHERE action = 'view' AND subject_type = 'follow_up' AND subject_id = :f",
        f=follow_up_id,
    )[0][0]


def recorded(server, tokens, name: str, change: str) -> tuple[str, str, str]:
    """A client helped for loneliness whose follow-up the nurse recorded online:
    (client id, screening id, follow-up id)."""
    client_id, referral_id = api_referral(server, tokens("pflege"), name)
    _coordinator_acts(server, referral_id, "close", outcome="help_started")
    ((follow_up_id, *_, screening_id, _, _),) = [r[:8] for r in _follow_ups(server, client_id)]
    _make_due_now(server, follow_up_id)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "pflege")
        nurse = Nurse(http)
        form = {
            "csrf_token": nurse.token,
            "a-need-change:loneliness": change,
            "a-offer-use:loneliness": "using",
            "a-what-helped:loneliness": "Der Besuchsdienst am Dienstag",
            "a-wellbeing-consent": "yes",
            "a-ons4-life-satisfaction": "7",
            "a-ons4-worthwhile": "declined",
            "a-ons4-happy": "6",
            "a-ons4-anxious": "2",
            "a-ucla-companionship": "some-of-the-time",
            "a-ucla-left-out": "hardly-ever",
            "a-ucla-isolated": "often",
            "a-new-needs": "false",
        }
        saved = http.post(f"/follow-ups/{follow_up_id}", data=form)
        assert saved.status_code == 303, saved.text[:600]
    return client_id, screening_id, follow_up_id


def test_the_follow_up_questionnaire_groups_the_questions_asked_per_need(fhir):
    questionnaire = assert_valid(fhir("koordination", "fr").get("/Questionnaire/follow-up").json())
    assert questionnaire["url"] == CANONICAL
    items = {item["linkId"]: item for item in questionnaire["item"]}
    group = items["need"]
    assert group["type"] == "group" and group["repeats"] is True and group["text"] == "Bedarf"
    inner = [item["linkId"] for item in group["item"]]
    assert inner == ["need-domain", "need-change", "offer-use", "what-helped"]
    assert "loneliness" in {o["valueCoding"]["code"] for o in group["item"][0]["answerOption"]}
    assert "need-change" not in items and "ons4-happy" in items and "ucla-isolated" in items


def test_a_recorded_follow_up_is_a_response_observations_and_goals_for_its_organisation(server, tokens, fhir):
    client_id, screening_id, follow_up_id = recorded(server, tokens, "G. A.", "better")
    nurse = fhir("pflege")

    before = views(server, follow_up_id)
    read = nurse.get(f"/QuestionnaireResponse/{follow_up_id}")
    assert read.status_code == 200, read.text
    response = assert_valid(read.json())
    assert response["questionnaire"] == f"{CANONICAL}|1.0.0" and response["status"] == "completed"
    assert response["subject"] == {"reference": f"Patient/{client_id}"}
    (group,) = [item for item in response["item"] if item["linkId"] == "need"]
    answers = {item["linkId"]: item["answer"] for item in group["item"]}
    assert answers["need-domain"][0]["valueCoding"]["code"] == "loneliness"
    assert answers["need-change"] == [{"valueCoding": {"code": "better", "display": "Besser"}}]
    assert answers["what-helped"] == [{"valueString": "Der Besuchsdienst am Dienstag"}]
    top = {item["linkId"]: item["answer"] for item in response["item"] if item["linkId"] != "need"}
    assert top["ons4-happy"][0]["valueCoding"]["code"] == "6"
    assert top["new-needs"] == [{"valueBoolean": False}]
    assert views(server, follow_up_id) == before + 1

    # Wellbeing: ONS4 values in our own CodeSystem (no LOINC code exists), declined is no 0.
    happy = assert_valid(nurse.get(f"/Observation/{follow_up_id}-ons4-happy").json())
    assert happy["code"]["coding"][0] == {
        "system": WELLBEING,
        "code": "ons4-happy",
        "display": "Glücklich gestern (ONS4, 0 bis 10)",
    }
    assert happy["valueInteger"] == 6 and happy["subject"]["reference"] == f"Patient/{client_id}"
    assert happy["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{follow_up_id}"}]
    declined = assert_valid(nurse.get(f"/Observation/{follow_up_id}-ons4-worthwhile").json())
    assert "valueInteger" not in declined
    assert declined["dataAbsentReason"]["coding"][0]["code"] == "asked-declined"
    ucla = assert_valid(nurse.get(f"/Observation/{follow_up_id}-ucla3").json())
    assert ucla["valueInteger"] == 2 + 1 + 3  # some of the time, hardly ever, often
    categories = {c["coding"][0]["code"] for c in ucla["category"]}
    assert {"survey", "sdoh", "social-connection"} <= categories
    assert nurse.get(f"/Observation/{follow_up_id}-ons4-nothing").status_code == 404

    # The need's outcome: a Goal addressing the baseline screening's Condition.
    goal = assert_valid(nurse.get(f"/Goal/{follow_up_id}-loneliness").json())
    assert goal["achievementStatus"]["coding"] == [
        {"system": ACHIEVEMENT, "code": "improving", "display": "Improving"}
    ]
    assert goal["lifecycleStatus"] == "active"
    assert goal["addresses"] == [{"reference": f"Condition/{screening_id}-loneliness"}]
    condition = nurse.get(f"/Condition/{screening_id}-loneliness")
    assert condition.status_code == 200  # the Condition it addresses exists
    found = assert_valid(nurse.get("/Goal", params={"patient": f"Patient/{client_id}"}).json())
    assert found["total"] == 1 and found["entry"][0]["resource"]["id"] == goal["id"]
    assert nurse.get("/Goal", params={"_id": goal["id"]}).json()["total"] == 1
    assert nurse.get("/Goal", params={"status": "x"}).status_code == 400

    # Any other organisation or role: as if it did not exist, and nothing audited.
    before = views(server, follow_up_id)
    for stranger in ("koordination", "soins", "analyse"):
        client = fhir(stranger)
        for path in (
            f"/QuestionnaireResponse/{follow_up_id}",
            f"/Observation/{follow_up_id}-ucla3",
            f"/Goal/{follow_up_id}-loneliness",
        ):
            refused = client.get(path)
            assert refused.status_code in (403, 404), (stranger, path)
        if stranger != "analyse":
            assert client.get("/Goal", params={"patient": client_id}).json()["total"] == 0
    assert views(server, follow_up_id) == before


def test_outcomes_map_to_goal_achievement_and_a_due_follow_up_has_no_resources(server, tokens, fhir):
    _, _, worse = recorded(server, tokens, "G. B.", "worse")
    goal = assert_valid(fhir("pflege").get(f"/Goal/{worse}-loneliness").json())
    assert goal["achievementStatus"]["coding"][0]["code"] == "worsening"
    _, _, unknown = recorded(server, tokens, "G. C.", "cannot-say")
    goal = assert_valid(fhir("pflege").get(f"/Goal/{unknown}-loneliness").json())
    assert goal["achievementStatus"] == {"text": "Kann ich nicht sagen"}  # unknown: no code
    assert mapping.achievement("same") == {
        "coding": [{"system": ACHIEVEMENT, "code": "no-change", "display": "No Change"}]
    }

    client_id, referral_id = api_referral(server, tokens("pflege"), "G. D.")
    _coordinator_acts(server, referral_id, "close", outcome="help_started")
    due_id = _follow_ups(server, client_id)[0][0]
    assert fhir("pflege").get(f"/QuestionnaireResponse/{due_id}").status_code == 404
    assert fhir("pflege").get(f"/Goal/{due_id}-loneliness").status_code == 404
