"""/fhir/CodeSystem and /fhir/ConceptMap: our vocabularies with German and French designations,
and the map from need domains to the Gravity SDOH categories that really exist in the IG."""

from __future__ import annotations

import pytest

from backend.fhir import codes, terminology
from tests.fhir.conftest import assert_valid

CANONICAL = "https://fhir.passerelle.ch/CodeSystem"
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
# The codes of SDOHCC-ValueSetSDOHCategory in the Gravity SDOH Clinical Care IG 3.0.0
# (github.com/HL7/fhir-sdoh-clinicalcare, input/fsh/valuesets/SDOHCCValueSetSDOHCategory.fsh).
GRAVITY_CATEGORIES = set(
    "sdoh-category-unspecified food-insecurity housing-instability homelessness inadequate-housing "
    "transportation-insecurity financial-insecurity material-hardship educational-attainment "
    "employment-status veteran-status stress social-connection intimate-partner-violence elder-abuse "
    "personal-health-literacy health-insurance-coverage-status medical-cost-burden digital-literacy "
    "digital-access utility-insecurity incarceration-status language-access protective-factor".split()
)


def test_every_code_system_is_served_with_german_and_french_designations(fhir):
    client = fhir("analyse")
    listed = client.get("/CodeSystem")
    assert listed.status_code == 200
    bundle = assert_valid(listed.json())
    ids = {e["resource"]["id"] for e in bundle["entry"]}
    assert {"need-domain", "need-severity", "referral-outcome", "service-type"} <= ids
    assert bundle["total"] == len(codes.SYSTEMS)
    for resource_id in ids:
        system = assert_valid(client.get(f"/CodeSystem/{resource_id}").json())
        assert system["url"] == f"{CANONICAL}/{resource_id}"
        assert system["status"] == "active" and system["content"] == "complete"
        assert system["count"] == len(system["concept"]) > 0
        for concept in system["concept"]:
            languages = {d["language"]: d["value"] for d in concept["designation"]}
            assert set(languages) == {"de", "fr"} and all(languages.values())
            assert concept["display"] == languages["de"]

    needs = {c["code"]: c for c in client.get("/CodeSystem/need-domain").json()["concept"]}
    french = {d["language"]: d["value"] for d in needs["loneliness"]["designation"]}
    assert needs["loneliness"]["display"] == "Einsamkeit und soziale Isolation"
    assert french["fr"] != french["de"] and "isolement" in french["fr"].lower()


def test_code_systems_are_found_by_url(fhir):
    client = fhir("pflege")
    found = assert_valid(client.get("/CodeSystem", params={"url": f"{CANONICAL}/need-severity"}).json())
    assert found["total"] == 1 and found["entry"][0]["resource"]["id"] == "need-severity"
    versioned = client.get("/CodeSystem", params={"url": f"{CANONICAL}/need-severity|1"}).json()
    assert versioned["total"] == 1
    assert client.get("/CodeSystem", params={"url": "http://example.org/none"}).json()["total"] == 0


def test_an_unknown_code_system_is_a_404_outcome(fhir):
    answer = fhir("pflege").get("/CodeSystem/no-such-system")
    assert answer.status_code == 404
    outcome = assert_valid(answer.json())
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "not-found"


def test_the_concept_map_targets_only_gravity_categories_that_exist(fhir):
    client = fhir("koordination")
    answer = client.get("/ConceptMap/need-domain-to-sdohcc")
    assert answer.status_code == 200
    concept_map = assert_valid(answer.json())
    group = concept_map["group"][0]
    assert group["source"] == f"{CANONICAL}/need-domain" and group["target"] == SDOHCC
    targets = {e["code"]: e["target"] for e in group["element"]}
    assert set(targets) == set(codes.SYSTEMS["need-domain"][1])  # every domain, mapped or not
    for domain, (target,) in targets.items():
        if target["equivalence"] == "unmatched":
            assert "code" not in target and domain not in codes.GRAVITY_CATEGORY
        else:
            assert target["code"] in GRAVITY_CATEGORIES, target
            assert target["code"] == codes.GRAVITY_CATEGORY[domain]
            if target["equivalence"] in ("narrower", "inexact"):
                assert target.get("comment")  # R4 invariant cmd-1
    assert targets["housing"][0]["code"] == "housing-instability"
    assert targets["language"][0]["code"] == "language-access"
    assert targets["administration"][0]["equivalence"] == "unmatched"
    found = client.get("/ConceptMap", params={"url": terminology.CONCEPT_MAP_URL}).json()
    assert found["total"] == 1
    assert client.get("/ConceptMap/other").status_code == 404


@pytest.mark.parametrize("domain", sorted(codes.GRAVITY_CATEGORY))
def test_every_gravity_category_we_send_exists_in_the_ig(domain):
    assert codes.GRAVITY_CATEGORY[domain] in GRAVITY_CATEGORIES


def test_codings_carry_the_code_systems_display():
    system = terminology.code_system("need-domain")
    displays = {c["code"]: c["display"] for c in system["concept"]}
    for code, display in displays.items():
        assert codes.coding("need-domain", code)["display"] == display
