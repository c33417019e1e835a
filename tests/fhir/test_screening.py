"""Screenings in FHIR: each instrument as a Questionnaire (German with French translations, for
every role), a screening as QuestionnaireResponse, its answers and needs as Observations and
its confirmed needs as Conditions — for the organisation that made it only, each read audited."""

from __future__ import annotations

import re
import uuid

from backend.fhir import screening as mapping
from backend.screening.instruments import all_instruments
from backend.vocab import NEED_DOMAINS
from tests.fhir.conftest import assert_valid
from tests.support import api_referral

CANONICAL = "https://fhir.passerelle.ch/Questionnaire/social-situation-short"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"


def french(element: dict) -> str:
    (extension,) = [e for e in element["extension"] if e["url"] == TRANSLATION]
    parts = {p["url"]: p for p in extension["extension"]}
    assert parts["lang"]["valueCode"] == "fr"
    return parts["content"]["valueString"]


def views(server, screening_id: str) -> int:
    return server.database.execute(
        "SELECT count(*) FROM audit_event WHERE action = 'view' AND subject_type = 'screening' AND subject_id = :s",
        s=screening_id,
    )[0][0]


def nurse_search(fhir, params: dict) -> dict:
    return assert_valid(fhir("pflege").get("/QuestionnaireResponse", params=params).json())


def screening_of(fhir, client_id: str) -> dict:
    found = fhir("pflege").get("/QuestionnaireResponse", params={"patient": f"Patient/{client_id}"})
    assert found.status_code == 200, found.text
    bundle = assert_valid(found.json())
    assert bundle["total"] == 1
    return bundle["entry"][0]["resource"]


def test_each_instrument_is_a_questionnaire_in_german_and_french_for_every_role(fhir):
    for user in ("pflege", "koordination", "analyse", "admin"):
        answer = fhir(user).get("/Questionnaire/social-situation-short")
        assert answer.status_code == 200, (user, answer.text)
    questionnaire = assert_valid(answer.json())
    assert questionnaire["url"] == CANONICAL and questionnaire["version"] == "1.1.0"
    assert questionnaire["title"].startswith("Soziale Situation")
    assert "situation sociale" in french(questionnaire["_title"]).lower()
    items = {item["linkId"]: item for item in questionnaire["item"]}
    housing = items["housing-situation"]
    assert housing["type"] == "choice" and housing["text"] == "Wie ist Ihre Wohnsituation heute?"
    assert french(housing["_text"]) != housing["text"] and "logement" in french(housing["_text"])
    options = {o["valueCoding"]["code"]: o["valueCoding"] for o in housing["answerOption"]}
    assert set(options) == {"stable", "worried", "none", "no-answer"}
    assert options["none"]["display"] and french(options["none"]["_display"]) != options["none"]["display"]
    assert items["housing-problems"]["repeats"] is True
    (help_item,) = housing["item"]  # the nurse's hint, as SDC's help control
    assert (
        help_item["type"] == "display"
        and help_item["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "help"
    )
    assert help_item["text"] and french(help_item["_text"]) != help_item["text"]
    assert "item" not in items["intro"]  # a display item has no children
    assert {w["question"] for w in items["housing-problems"]["enableWhen"]} == {"housing-situation"}

    self_check = assert_valid(fhir("pflege", "fr").get("/Questionnaire/self-check").json())
    assert self_check["url"].endswith("/Questionnaire/self-check")
    assert fhir("pflege").get("/Questionnaire/no-such-thing").status_code == 404


def test_questionnaires_are_searched_by_url_and_version(fhir):
    client = fhir("koordination")
    every = assert_valid(client.get("/Questionnaire").json())
    assert every["type"] == "searchset" and every["total"] == 3  # nurse, self-check, follow-up
    by_url = assert_valid(client.get("/Questionnaire", params={"url": CANONICAL}).json())
    assert [e["resource"]["id"] for e in by_url["entry"]] == ["social-situation-short"]
    canonical = client.get("/Questionnaire", params={"url": f"{CANONICAL}|1.1.0"}).json()
    assert canonical["total"] == 1
    assert client.get("/Questionnaire", params={"url": f"{CANONICAL}|9.9.9"}).json()["total"] == 0
    both = client.get("/Questionnaire", params={"url": CANONICAL, "version": "1.1.0"}).json()
    assert both["total"] == 1
    assert client.get("/Questionnaire", params={"version": "0.0.1"}).json()["total"] == 0
    unknown = client.get("/Questionnaire", params={"title": "x"})
    assert unknown.status_code == 400 and unknown.json()["issue"][0]["expression"] == ["title"]


def test_a_screening_is_a_questionnaire_response_for_its_organisation_only(server, tokens, fhir):
    client_id, _ = api_referral(server, tokens("pflege"))
    response = screening_of(fhir, client_id)
    screening_id = response["id"]
    assert response["questionnaire"] == f"{CANONICAL}|1.1.0"
    assert response["status"] == "completed"
    assert response["subject"] == {"reference": f"Patient/{client_id}"}
    assert response["author"]["reference"].startswith("Organization/passerelle-")
    nurse_id = server.database.execute("SELECT id FROM user_account WHERE username = 'pflege'")[0][0]
    answers = {item["linkId"]: item["answer"] for item in response["item"]}
    assert answers["ucla-companionship"] == [{"valueCoding": {"code": "often", "display": "Oft"}}]

    before = views(server, screening_id)
    read = fhir("pflege").get(f"/QuestionnaireResponse/{screening_id}")
    assert read.status_code == 200 and read.headers["etag"].startswith('W/"')
    assert assert_valid(read.json())["id"] == screening_id
    assert views(server, screening_id) == before + 1

    for param, value in [
        ("_id", screening_id),
        ("author", response["author"]["reference"]),
        ("author", f"Practitioner/{nurse_id}"),
        ("questionnaire", CANONICAL),
        ("questionnaire", f"{CANONICAL}|1.1.0"),
        ("status", "completed"),
    ]:
        found = (
            fhir("pflege").get("/QuestionnaireResponse", params={param: value, "patient": client_id}).json()
        )
        assert found["total"] == 1, (param, value)
    for author in ("Practitioner/999999", "Organization/passerelle-999999"):
        assert nurse_search(fhir, {"author": author, "patient": client_id})["total"] == 0
    assert (
        fhir("pflege")
        .get("/QuestionnaireResponse", params={"status": "in-progress", "patient": client_id})
        .json()["total"]
        == 0
    )
    assert (
        fhir("pflege")
        .get("/QuestionnaireResponse", params={"questionnaire": f"{CANONICAL}|0.1.0"})
        .json()["total"]
        == 0
    )

    # The receiving organisation and any other: as if it did not exist.
    before = views(server, screening_id)
    for stranger in ("koordination", "soins", "coordination"):
        refused = fhir(stranger).get(f"/QuestionnaireResponse/{screening_id}")
        assert refused.status_code == 404
        assert assert_valid(refused.json())["resourceType"] == "OperationOutcome"
        empty = fhir(stranger).get("/QuestionnaireResponse", params={"patient": client_id}).json()
        assert empty["total"] == 0 and empty["entry"] == []
    assert views(server, screening_id) == before


def test_answers_and_needs_are_sdoh_observations_and_confirmed_needs_conditions(server, tokens, fhir):
    client_id, _ = api_referral(server, tokens("pflege"), need="administration")
    screening_id = screening_of(fhir, client_id)["id"]
    nurse = fhir("pflege")

    found = nurse.get("/Observation", params={"patient": f"Patient/{client_id}"})
    bundle = assert_valid(found.json())
    observations = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    answer = observations[f"{screening_id}-admin"]
    need = observations[f"{screening_id}-need-administration"]
    assert bundle["total"] == len(observations) == 2
    for observation in (answer, need):
        codings = [c for concept in observation["category"] for c in concept["coding"]]
        assert {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "social-history",
            "display": "Social History",
        } in codings
        assert any(c["code"] == "sdoh" and c["system"].endswith("us-core-category") for c in codings)
        assert observation["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{screening_id}"}]
        assert observation["subject"] == {"reference": f"Patient/{client_id}"}
        assert len(observation["id"]) <= 64
    assert answer["valueCodeableConcept"]["coding"][0]["code"] == "piling-up"
    severity = need["valueCodeableConcept"]["coding"][0]
    assert (severity["system"], severity["code"]) == (
        "https://fhir.passerelle.ch/CodeSystem/need-severity",
        "needed",
    )
    assert need["code"]["coding"][0]["code"] == "administration"

    survey = nurse.get("/Observation", params={"patient": client_id, "category": "survey"}).json()
    assert [e["resource"]["id"] for e in survey["entry"]] == [answer["id"]]
    sdoh = nurse.get(
        "/Observation",
        params={
            "patient": client_id,
            "category": "http://hl7.org/fhir/us/core/CodeSystem/us-core-category|sdoh",
        },
    ).json()
    assert sdoh["total"] == 2
    assert (
        nurse.get(
            "/Observation", params={"patient": client_id, "category": f"{SDOHCC}|food-insecurity"}
        ).json()["total"]
        == 0
    )
    by_id = nurse.get("/Observation", params={"_id": need["id"]}).json()
    assert [e["resource"]["id"] for e in by_id["entry"]] == [need["id"]]
    read = nurse.get(f"/Observation/{answer['id']}")
    assert read.status_code == 200 and assert_valid(read.json()) == answer

    conditions = assert_valid(nurse.get("/Condition", params={"patient": client_id}).json())
    (condition,) = [e["resource"] for e in conditions["entry"]]
    assert condition["id"] == f"{screening_id}-administration"
    assert condition["clinicalStatus"]["coding"][0]["code"] == "active"
    assert condition["verificationStatus"]["coding"][0]["code"] == "confirmed"
    categories = [c["code"] for concept in condition["category"] for c in concept["coding"]]
    assert "health-concern" in categories and "sdoh" in categories
    assert condition["code"]["coding"][-1]["code"] == "administration"
    assert (
        nurse.get("/Condition", params={"patient": client_id, "category": "health-concern"}).json()["total"]
        == 1
    )
    assert assert_valid(nurse.get(f"/Condition/{condition['id']}").json())["id"] == condition["id"]
    assert nurse.get(f"/Condition/{screening_id}-housing").status_code == 404

    before = views(server, screening_id)
    for stranger in ("koordination", "soins"):
        for path in (f"/Observation/{need['id']}", f"/Condition/{condition['id']}"):
            refused = stranger_answer = fhir(stranger).get(path)
            assert refused.status_code == 404, (stranger, path)
            assert assert_valid(stranger_answer.json())["resourceType"] == "OperationOutcome"
        assert fhir(stranger).get("/Observation", params={"patient": client_id}).json()["total"] == 0
        assert fhir(stranger).get("/Condition", params={"patient": client_id}).json()["total"] == 0
    assert views(server, screening_id) == before


def test_searches_page_with_count_and_refuse_unknown_parameters(server, tokens, fhir):
    client_id, _ = api_referral(server, tokens("pflege"), need="loneliness")
    nurse = fhir("pflege")
    first = assert_valid(nurse.get("/Observation", params={"patient": client_id, "_count": "2"}).json())
    assert first["total"] == 4 and len(first["entry"]) == 2
    following = [link["url"] for link in first["link"] if link["relation"] == "next"]
    assert following and "_count=2" in following[0]
    second = assert_valid(nurse.get(following[0].split("/fhir", 1)[1]).json())
    seen = {e["resource"]["id"] for e in first["entry"] + second["entry"]}
    assert len(seen) == 4 and not [link for link in second["link"] if link["relation"] == "next"]

    for path in ("/Observation", "/Condition", "/QuestionnaireResponse"):
        refused = nurse.get(path, params={"name": "R. S."})
        assert refused.status_code == 400, path
        assert assert_valid(refused.json())["issue"][0]["expression"] == ["name"]


def test_analysts_and_admins_are_refused_screenings_but_read_instruments(server, tokens, fhir):
    client_id, _ = api_referral(server, tokens("pflege"))
    screening_id = screening_of(fhir, client_id)["id"]
    paths = [
        f"/QuestionnaireResponse/{screening_id}",
        f"/QuestionnaireResponse?patient={client_id}",
        f"/Observation/{screening_id}-ucla-isolated",
        f"/Observation?patient={client_id}",
        f"/Condition/{screening_id}-loneliness",
        f"/Condition?patient={client_id}",
    ]
    assert fhir("pflege").get(paths[2]).status_code == 200 and fhir("pflege").get(paths[4]).status_code == 200
    for user in ("analyse", "admin"):
        for path in paths:
            refused = fhir(user).get(path)
            assert refused.status_code == 403, (user, path)
            assert assert_valid(refused.json())["issue"][0]["code"] == "forbidden"
            assert client_id not in refused.text
        assert fhir(user).get("/Questionnaire?url=" + CANONICAL).json()["total"] == 1


def test_every_derived_id_is_a_valid_fhir_id():
    """Observation and Condition ids are made from a screening id and an item or need code: each
    must fit FHIR's id (64 characters of [A-Za-z0-9-.]) and lead back to its screening."""
    screening_id = str(uuid.uuid4())
    made = [mapping.need_observation_id(screening_id, d) for d in NEED_DOMAINS]
    made += [mapping.condition_id(screening_id, d) for d in NEED_DOMAINS]
    for instrument in all_instruments().values():
        made += [mapping.item_observation_id(screening_id, item["linkId"]) for item in instrument["items"]]
        assert_valid(mapping.questionnaire(instrument))
    for ident in made:
        assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", ident), ident
        assert mapping.screening_of(ident) == screening_id
    assert mapping.screening_of("not-one-of-ours") is None
