"""/fhir Organization, HealthcareService and Location: the directory (HSDS) in FHIR, open to
every role with a token, searched and paged, in the caller's language, with the Gravity
capacity status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from backend.directory.models import DirectoryOrganization
from backend.directory.records import ServiceRecord
from backend.fhir import directory as mapping
from backend.fhir.directory import Offer
from tests.fhir.conftest import FHIR_JSON, assert_valid

IG = "http://hl7.org/fhir/us/sdoh-clinicalcare"
CAPACITY = f"{IG}/StructureDefinition/SDOHCC-ExtensionHealthcareServiceCapacityStatus"
PROFILE = f"{IG}/StructureDefinition/SDOHCC-HealthcareServiceForReferralManagement"
SDOHCC = f"{IG}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
NEED_DOMAIN = "https://fhir.passerelle.ch/CodeSystem/need-domain"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


def entries(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle.get("entry", [])]


def walk(client: httpx.Client, first: str, params: dict) -> tuple[list[dict], list[dict]]:
    """Every page of a search: (resources, bundles), following `next` links."""
    found, bundles = [], []
    answer = client.get(first, params=params)
    while True:
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith(FHIR_JSON)
        page = assert_valid(answer.json())
        bundles.append(page)
        found += entries(page)
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        if not following:
            return found, bundles
        assert len(bundles) < 50, "paging does not end"
        answer = client.get(following[0])


def capacity_of(service: dict) -> str:
    extension = next(e for e in service["extension"] if e["url"] == CAPACITY)
    status = next(e for e in extension["extension"] if e["url"] == "capacityStatus")
    return status["valueCodeableConcept"]["coding"][0]["code"]


def organization_id(client: httpx.Client, name: str) -> str:
    found = entries(client.get("/Organization", params={"name": name}).json())
    assert len(found) == 1, found
    return found[0]["id"]


@pytest.mark.parametrize("user", ["pflege", "koordination", "analyse", "admin"])
def test_every_role_with_a_token_reads_the_directory(server, fhir, user):
    client = fhir(user)
    for path in ("/Organization", "/HealthcareService", "/Location"):
        answer = client.get(path, params={"_count": "3"})
        assert answer.status_code == 200, (user, path, answer.text)
        assert assert_valid(answer.json())["total"] > 0
    assert httpx.get(f"{server.url}/fhir/HealthcareService").status_code == 401  # but not without one


def test_organizations_directory_under_hsds_id_and_passerelle_ones_without_an_entry(fhir):
    client = fhir("analyse")
    everything, _ = walk(client, "/Organization", {"_count": "20"})
    for org in everything:
        assert_valid(org)
    names = {o["name"]: o for o in everything}
    assert len(names) == len(everything)  # nobody twice
    # Spitex Demo Emmental has accounts but no directory entry: Organization/passerelle-<n>.
    spitex = names["Spitex Demo Emmental"]
    assert spitex["id"].startswith("passerelle-")
    assert {"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov"}.items() <= (
        spitex["type"][0]["coding"][0].items()
    )
    # Pro Senectute Demo Bern keeps the offers of "Pro Senectute Kanton Bern": listed once, under
    # the directory's id, with the type of the organisation that has the accounts.
    assert "Pro Senectute Demo Bern" not in names
    pro_senectute = names["Pro Senectute Kanton Bern"]
    assert not pro_senectute["id"].startswith("passerelle-")
    assert pro_senectute["type"][0]["coding"][0]["code"] == "cg"

    read = client.get(f"/Organization/{pro_senectute['id']}")
    assert read.status_code == 200 and assert_valid(read.json()) == pro_senectute
    assert assert_valid(client.get(f"/Organization/{spitex['id']}").json())["name"] == "Spitex Demo Emmental"
    for missing in ("passerelle-99999", "no-such-organisation"):
        refused = client.get(f"/Organization/{missing}")
        assert refused.status_code == 404
        assert assert_valid(refused.json())["issue"][0]["code"] == "not-found"


def test_organization_search_by_name_ignores_case_and_accents_and_by_id(fhir):
    client = fhir("koordination")
    found = entries(assert_valid(client.get("/Organization", params={"name": "spitex demo j"}).json()))
    assert [o["name"] for o in found] == ["Spitex Démo Jura bernois"]
    both = client.get("/Organization", params={"name": "spitex demo,SPITEX DÉMO"}).json()
    assert sorted(o["name"] for o in entries(both)) == ["Spitex Demo Emmental", "Spitex Démo Jura bernois"]
    one = organization_id(client, "Pro Senectute Kanton")
    by_id = assert_valid(client.get("/Organization", params={"_id": one}).json())
    assert by_id["total"] == 1 and entries(by_id)[0]["id"] == one
    assert client.get("/Organization", params={"name": "zzz-nobody"}).json()["total"] == 0


def test_healthcare_services_by_need_domain_page_through_every_match(fhir):
    client = fhir("pflege")
    services, bundles = walk(client, "/HealthcareService", {"service-category": "loneliness", "_count": "2"})
    assert len(bundles) > 1  # really paged
    assert bundles[0]["total"] == len(services) == len({s["id"] for s in services}) > 2
    assert all(
        link["url"].startswith("http") and "service-category=loneliness" in link["url"]
        for b in bundles
        for link in b["link"]
    )
    for service in services:
        codes = [(c["system"], c["code"]) for cat in service["category"] for c in cat["coding"]]
        assert (NEED_DOMAIN, "loneliness") in codes and (SDOHCC, "social-connection") in codes
    # The same offers by the Gravity category, by our code with its system, or by either.
    for value in (f"{SDOHCC}|social-connection", f"{NEED_DOMAIN}|loneliness", "loneliness,social-connection"):
        again, _ = walk(client, "/HealthcareService", {"service-category": value, "_count": "50"})
        assert {s["id"] for s in again} == {s["id"] for s in services}, value
    # Two parameters narrow; a domain nobody offers answers an empty Bundle.
    both = client.get(
        "/HealthcareService", params=[("service-category", "loneliness"), ("service-category", "food")]
    )
    assert {s["id"] for s in entries(both.json())} <= {s["id"] for s in services}
    nothing = client.get("/HealthcareService", params={"service-category": f"{SDOHCC}|veteran-status"})
    assert nothing.status_code == 200 and nothing.json()["total"] == 0


def test_a_healthcare_service_in_both_languages_with_capacity_location_and_areas(fhir):
    german, french = fhir("koordination", "de"), fhir("coordination", "fr")
    provider = organization_id(german, "Pro Senectute Kanton")
    offers = entries(
        german.get("/HealthcareService", params={"organization": f"Organization/{provider}"}).json()
    )
    assert offers and all(o["providedBy"]["reference"] == f"Organization/{provider}" for o in offers)
    offer = next(o for o in offers if o.get("location") and o.get("coverageArea") and o.get("_name"))
    de = german.get(f"/HealthcareService/{offer['id']}")
    assert de.status_code == 200 and de.headers["etag"] == f'W/"{de.json()["meta"]["versionId"]}"'
    de_offer = assert_valid(de.json())
    fr_offer = assert_valid(french.get(f"/HealthcareService/{offer['id']}").json())

    assert de_offer["meta"]["profile"] == [PROFILE] and de_offer["active"] is True
    assert capacity_of(de_offer) in ("capacity", "waitlist", "no-capacity")
    assert de_offer["name"] != fr_offer["name"]  # each in the caller's language ...
    translation = de_offer["_name"]["extension"][0]  # ... the other one as a translation
    assert translation["url"] == TRANSLATION
    assert {"url": "lang", "valueCode": "fr"} in translation["extension"]
    assert {"url": "content", "valueString": fr_offer["name"]} in translation["extension"]
    assert de_offer["type"][0]["coding"][-1]["system"] == "https://fhir.passerelle.ch/CodeSystem/service-type"
    assert {"coding": [{"system": "urn:ietf:bcp:47", "code": "de"}]} in de_offer["communication"]
    assert de_offer["referralMethod"][0]["coding"][0]["code"] == "elec"  # its staff are on Passerelle

    # coverageArea points at contained jurisdictions, named by the HSDS area URN.
    contained = {c["id"]: c for c in de_offer["contained"]}
    for area in de_offer["coverageArea"]:
        place = contained[area["reference"].removeprefix("#")]
        assert place["identifier"][0]["value"].startswith("urn:passerelle:be:")

    location = german.get(f"/{offer['location'][0]['reference']}")
    assert location.status_code == 200
    place = assert_valid(location.json())
    assert place["managingOrganization"]["reference"] == f"Organization/{provider}"
    assert place["address"]["country"] == "CH" and place["address"]["city"]
    placed = german.get("/Location", params={"organization": provider, "_id": place["id"]}).json()
    assert [p["id"] for p in entries(assert_valid(placed))] == [place["id"]]
    # The IG's capacity query: the offers at a place, with the place and the provider included.
    at_place = german.get(
        "/HealthcareService",
        params=[
            ("location", f"Location/{place['id']}"),
            ("_include", "HealthcareService:location"),
            ("_include", "HealthcareService:organization"),
        ],
    )
    found = assert_valid(at_place.json())
    modes = {
        (e["resource"]["resourceType"], e["resource"]["id"]): e["search"]["mode"] for e in found["entry"]
    }
    assert modes == {
        ("HealthcareService", offer["id"]): "match",
        ("Location", place["id"]): "include",
        ("Organization", provider): "include",
    }
    everywhere, _ = walk(german, "/Location", {"organization": f"Organization/{provider}", "_count": "2"})
    assert place["id"] in {p["id"] for p in everywhere}
    assert all(p["managingOrganization"]["reference"] == f"Organization/{provider}" for p in everywhere)


def test_a_paused_offer_has_no_capacity_and_is_not_available_until_its_end(server, fhir):
    client = fhir("pflege")
    offer = entries(
        client.get("/HealthcareService", params={"service-category": "loneliness", "_count": "1"}).json()
    )[0]
    until = date.today() + timedelta(days=10)
    server.database.execute(
        "UPDATE directory_service SET capacity_status = 'not_accepting', capacity_until = :u, "
        "capacity_note = 'Voll bis Ende Monat' WHERE id = :s",
        u=until,
        s=offer["id"],
    )
    try:
        paused = assert_valid(client.get(f"/HealthcareService/{offer['id']}").json())
        assert capacity_of(paused) == "no-capacity"
        notes = next(e for e in paused["extension"] if e["url"] == CAPACITY)["extension"]
        assert {"url": "capacityNotes", "valueString": "Voll bis Ende Monat"} in notes
        assert paused["notAvailable"][0]["during"] == {"end": until.isoformat()}
        server.database.execute(
            "UPDATE directory_service SET capacity_status = 'waitlist', capacity_until = NULL, "
            "capacity_note = NULL WHERE id = :s",
            s=offer["id"],
        )
        waiting = assert_valid(client.get(f"/HealthcareService/{offer['id']}").json())
        assert capacity_of(waiting) == "waitlist" and "notAvailable" not in waiting
        server.database.execute(
            "UPDATE directory_service SET capacity_status = 'not_accepting' WHERE id = :s", s=offer["id"]
        )
        for language, text in (("de", "nimmt zurzeit keine neuen"), ("fr", "accepte pas de nouvelles")):
            open_ended = assert_valid(
                fhir("pflege", language).get(f"/HealthcareService/{offer['id']}").json()
            )
            assert capacity_of(open_ended) == "no-capacity" and "during" not in open_ended["notAvailable"][0]
            assert text in open_ended["notAvailable"][0]["description"], open_ended["notAvailable"]
        server.database.execute(
            "UPDATE directory_service SET capacity_until = :u WHERE id = :s",
            u=date.today() - timedelta(days=1),
            s=offer["id"],
        )
        ended = assert_valid(client.get(f"/HealthcareService/{offer['id']}").json())
        assert capacity_of(ended) == "capacity" and "notAvailable" not in ended  # the pause is over
    finally:
        server.database.execute(
            "UPDATE directory_service SET capacity_status = 'accepting', capacity_until = NULL, "
            "capacity_note = NULL WHERE id = :s",
            s=offer["id"],
        )


def test_inactive_offers_are_found_by_active_false_and_claim_no_profile(server, fhir):
    client = fhir("analyse")
    active_total = client.get("/HealthcareService", params={"active": "true"}).json()["total"]
    assert active_total == client.get("/HealthcareService").json()["total"]
    offer = entries(client.get("/HealthcareService", params={"_count": "1"}).json())[0]
    server.database.execute("UPDATE directory_service SET status = 'inactive' WHERE id = :s", s=offer["id"])
    try:
        inactive = assert_valid(client.get("/HealthcareService", params={"active": "false"}).json())
        assert [s["id"] for s in entries(inactive)] == [offer["id"]]
        assert entries(inactive)[0]["active"] is False and "profile" not in entries(inactive)[0]["meta"]
        assert client.get("/HealthcareService", params={"active": "true"}).json()["total"] == active_total - 1
    finally:
        server.database.execute("UPDATE directory_service SET status = 'active' WHERE id = :s", s=offer["id"])


def test_carer_relief_is_also_the_hl7_respite_care_type(fhir):
    client = fhir("pflege")
    offers, _ = walk(client, "/HealthcareService", {"_count": "200"})
    types = {c["code"]: c for o in offers for c in o["type"][0]["coding"]}
    assert "carer_relief" in types and types["156"]["display"] == "Respite care"
    for offer in offers:
        codings = offer["type"][0]["coding"]
        assert (codings[-1]["code"] == "carer_relief") == (codings[0]["code"] == "156")


def test_directory_searches_by_last_update(fhir):
    client = fhir("analyse")
    offer = entries(client.get("/HealthcareService", params={"_count": "1"}).json())[0]
    changed = offer["meta"]["lastUpdated"]
    total = client.get("/HealthcareService").json()["total"]
    since = client.get("/HealthcareService", params={"_lastUpdated": f"ge{changed}"}).json()
    assert offer["id"] in {s["id"] for s in entries(assert_valid(since))}
    assert client.get("/HealthcareService", params={"_lastUpdated": "lt2000-01-01"}).json()["total"] == 0
    assert client.get("/HealthcareService", params={"_lastUpdated": "gt2000-01-01"}).json()["total"] == total
    assert client.get("/Location", params={"_lastUpdated": "lt2000-01-01"}).json()["total"] == 0
    assert client.get("/Location", params={"_lastUpdated": "ge2000"}).json()["total"] > 0


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/HealthcareService", {"name": "x"}, "name"),
        ("/HealthcareService", {"active": "maybe"}, "active"),
        ("/HealthcareService", {"organization": "Patient/1"}, "organization"),
        ("/HealthcareService", {"_count": "0"}, "_count"),
        ("/HealthcareService", {"_include": "HealthcareService:endpoint"}, "_include"),
        ("/HealthcareService", {"_lastUpdated": "yesterday"}, "_lastUpdated"),
        ("/Location", {"service-category": "food"}, "service-category"),
        ("/Organization", {"_id": "a,,b"}, "_id"),
    ],
)
def test_a_search_it_cannot_run_is_a_400_outcome_naming_the_parameter(fhir, path, params, field):
    answer = fhir("coordination", "fr").get(path, params=params)
    assert answer.status_code == 400, answer.text
    issue = assert_valid(answer.json())["issue"][0]
    assert issue["expression"] == [field]
    assert "paramètre" in issue["details"]["text"].lower() or "_count" in issue["details"]["text"]


def test_unknown_directory_ids_answer_404(fhir):
    client = fhir("pflege")
    for path in ("/HealthcareService/nope", "/Location/nope", "/Organization/nope"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert assert_valid(answer.json())["resourceType"] == "OperationOutcome"


def sample_offer(**changes) -> Offer:
    record = ServiceRecord(id="00000000-0000-4000-8000-00000000000a", organization_id="org-1")
    record.texts = {
        "name": {"de": "Besuchsdienst", "fr": "Service de visites"},
        "description": {"de": "Besuche zu Hause", "fr": None},
        "eligibility": {"de": "Ab 65", "fr": "Dès 65 ans"},
        "how_to_access": {"de": "Anrufen", "fr": "Appeler"},
        "fees": {"de": "Gratis", "fr": "Gratuit"},
        "hours": {"de": "Mo–Fr", "fr": "Lu–ve"},
    }
    record.need_domains, record.languages = ["administration", "loneliness"], ["de", "fr"]
    record.areas = [("canton", "BE"), ("district", "EM"), ("municipality", "902")]
    record.minimum_age, record.phone, record.city, record.street = (
        65,
        "031 000 00 00",
        "Langnau",
        "Dorfstr. 1",
    )
    for name, value in changes.items():
        setattr(record, name, value)
    org = DirectoryOrganization(id="org-1", name="Beispiel", organisation_id=None)
    return Offer(record, org, datetime(2026, 11, 1, 8, 0, tzinfo=UTC))


def test_the_mapping_of_one_offer_element_by_element():
    service = assert_valid(mapping.healthcare_service(sample_offer(), "fr", date(2026, 12, 1)))
    assert service["name"] == "Service de visites" and service["_name"]["extension"][0]["extension"][0] == {
        "url": "lang",
        "valueCode": "de",
    }
    assert service["comment"] == "Besuche zu Hause" and "_comment" not in service  # only one language
    assert service["extraDetails"] == "Appeler\n\nGratuit"
    assert service["eligibility"][0]["comment"] == "Dès 65 ans"
    assert service["eligibility"][1] == {"code": {"text": "Âge"}, "comment": "65–"}
    assert service["availabilityExceptions"] == "Lu–ve"
    assert "referralMethod" not in service  # nobody on Passerelle keeps this organisation's offers
    # administration has no Gravity category: us-core sdoh and ours only.
    assert [c["code"] for c in service["category"][0]["coding"]] == ["sdoh", "administration"]
    assert [c["code"] for c in service["category"][1]["coding"]] == [
        "sdoh",
        "social-connection",
        "loneliness",
    ]
    areas = {c["id"]: c for c in service["contained"]}
    langnau = areas["area-municipality-902"]["address"]
    assert langnau["city"] == "Langnau im Emmental"
    assert langnau["_city"]["extension"][0]["valueString"] == "902"
    assert (
        areas["area-district-EM"]["address"]["district"]
        and areas["area-canton-BE"]["name"] == "Canton de Berne"
    )
    assert [a["reference"] for a in service["coverageArea"]] == [f"#{i}" for i in areas]

    closed = sample_offer(status="temporarily closed")
    shut = assert_valid(mapping.healthcare_service(closed, "de", date(2026, 12, 1)))
    assert shut["active"] is True and shut["notAvailable"] == [{"description": "Vorübergehend geschlossen"}]
    assert assert_valid(mapping.location(closed))["status"] == "suspended"
    gone = assert_valid(mapping.healthcare_service(sample_offer(status="defunct"), "de", date(2026, 12, 1)))
    assert gone["active"] is False and "profile" not in gone["meta"]
    assert assert_valid(mapping.location(sample_offer(status="defunct")))["status"] == "inactive"
