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
# The Observations of recorded(): the ONS4 items (one declined) and the UCLA-3 sum.
OBSERVED = ["ons4-life-satisfaction", "ons4-worthwhile", "ons4-happy", "ons4-anxious", "ucla3"]


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


def ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in assert_valid(bundle).get("entry", [])]


def test_recorded_follow_ups_are_found_by_response_and_observation_searches(server, tokens, fhir):
    client_id, screening_id, follow_up_id = recorded(server, tokens, "G. E.", "same")
    nurse = fhir("pflege")
    responses = nurse.get("/QuestionnaireResponse", params={"patient": f"Patient/{client_id}"}).json()
    assert ids(responses) == [screening_id, follow_up_id]  # the screening, then its follow-up
    follow_up = responses["entry"][1]["resource"]
    assert follow_up["questionnaire"] == f"{CANONICAL}|1.0.0"

    def found(path: str, **params: str) -> list[str]:
        answer = nurse.get(path, params={"patient": client_id, **params})
        assert answer.status_code == 200, answer.text
        return ids(answer.json())

    assert found("/QuestionnaireResponse", questionnaire=CANONICAL) == [follow_up_id]
    assert found("/QuestionnaireResponse", questionnaire=f"{CANONICAL}|1.0.0") == [follow_up_id]
    assert found("/QuestionnaireResponse", questionnaire=f"{CANONICAL}|9.9.9") == []
    assert found("/QuestionnaireResponse", _id=follow_up_id) == [follow_up_id]
    assert found("/QuestionnaireResponse", status="completed") == [screening_id, follow_up_id]
    assert found("/QuestionnaireResponse", status="in-progress") == []
    assert found("/QuestionnaireResponse", author=follow_up["author"]["reference"]) == [
        screening_id,
        follow_up_id,
    ]
    assert found("/QuestionnaireResponse", author="Practitioner/999999") == []
    assert nurse.get("/QuestionnaireResponse", params={"status": "nonsense"}).status_code == 400

    wellbeing = [f"{follow_up_id}-{key}" for key in OBSERVED]
    observations = found("/Observation")
    assert observations[-len(wellbeing) :] == wellbeing and screening_id in observations[0]
    assert found("/Observation", _id=f"{follow_up_id}-ucla3") == [f"{follow_up_id}-ucla3"]
    social = found("/Observation", category="social-connection")
    assert f"{follow_up_id}-ucla3" in social and f"{follow_up_id}-ons4-happy" not in social
    assert found("/Observation", category="survey", _id=f"{follow_up_id}-ons4-worthwhile") == [
        f"{follow_up_id}-ons4-worthwhile"
    ]

    # Paging as for screenings; only the page's follow-ups are audited, once per follow-up.
    before = views(server, follow_up_id)
    first = assert_valid(
        nurse.get("/QuestionnaireResponse", params={"patient": client_id, "_count": "1"}).json()
    )
    assert first["total"] == 2 and ids(first) == [screening_id]
    assert views(server, follow_up_id) == before
    (following,) = [link["url"] for link in first["link"] if link["relation"] == "next"]
    second = assert_valid(nurse.get(following.split("/fhir", 1)[1]).json())
    assert ids(second) == [follow_up_id] and not [
        link for link in second["link"] if link["relation"] == "next"
    ]
    assert views(server, follow_up_id) == before + 1
    found("/Observation")  # five of its Observations: one view
    assert views(server, follow_up_id) == before + 2

    # Another organisation finds nothing of it (only its own, if any), and nothing is audited.
    for stranger in ("koordination", "soins"):
        client = fhir(stranger)
        for path, params in (
            ("/QuestionnaireResponse", {"patient": client_id}),
            ("/QuestionnaireResponse", {"_id": follow_up_id}),
            ("/QuestionnaireResponse", {"questionnaire": CANONICAL}),
            ("/Observation", {"patient": client_id}),
            ("/Observation", {"_id": f"{follow_up_id}-ucla3"}),
            ("/Observation", {"category": "social-connection"}),
        ):
            answer = client.get(path, params=params)
            assert answer.status_code == 200, (stranger, path)
            assert not [i for i in ids(answer.json()) if i.startswith(follow_up_id)], (stranger, path, params)
            if "questionnaire" not in params and "category" not in params:
                assert answer.json()["total"] == 0, (stranger, path, params)
    assert views(server, follow_up_id) == before + 2


def test_a_goal_s_status_date_is_the_day_in_bern(server, tokens, fhir):
    _, _, follow_up_id = recorded(server, tokens, "G. F.", "better")
    # 23:30 UTC on 14 January is 00:30 on 15 January in Bern (CET).
    server.database.execute(
        "UPDATE follow_up SET recorded_at = :t WHERE id = :f", t="2026-01-14 23:30:00+00:00", f=follow_up_id
    )
    goal = assert_valid(fhir("pflege").get(f"/Goal/{follow_up_id}-loneliness").json())
    assert goal["statusDate"] == "2026-01-15"
    response = fhir("pflege").get(f"/QuestionnaireResponse/{follow_up_id}").json()
    assert response["authored"].startswith("2026-01-14T23:30:00")  # the instant itself stays UTC
