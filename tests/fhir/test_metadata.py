"""/fhir/metadata: the CapabilityStatement, public, built from the routes the app has, so it
lists exactly what exists (and each listed interaction answers)."""

from __future__ import annotations

import httpx

from backend.app import create_app
from backend.fhir import capability
from backend.settings import load_settings
from tests.fhir.conftest import FHIR_JSON, assert_valid

TASK_SEARCH = {"_id", "code", "patient", "requester", "owner", "status", "focus", "_lastUpdated"}
READS = {"read", "vread", "update", "patch", "delete"}


def app_routes(tmp_path_factory) -> list[tuple[str, set[str]]]:
    app = create_app(load_settings({"PASSERELLE_VAR_DIR": str(tmp_path_factory.mktemp("metadata"))}))
    return [(route.path, set(getattr(route, "methods", ()))) for route in app.routes]


def test_the_capability_statement_needs_no_token_and_validates(server):
    answer = httpx.get(f"{server.url}/fhir/metadata", timeout=20)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    statement = assert_valid(answer.json())
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1" and statement["kind"] == "instance"
    assert statement["format"] == ["json"]
    assert statement["software"]["name"] == "Passerelle"
    assert statement["implementation"]["url"] == f"{server.url}/fhir"
    assert (
        "http://hl7.org/fhir/us/sdoh-clinicalcare/CapabilityStatement/SDOHCC-CoordinationPlatform|3.0.0"
        in statement["instantiates"]
    )
    rest = statement["rest"][0]
    assert rest["mode"] == "server" and "Bearer" in rest["security"]["description"]
    types = {r["type"]: r for r in rest["resource"]}
    assert {"Task", "Organization", "HealthcareService", "Location", "CodeSystem", "ConceptMap"} <= set(types)
    task = types["Task"]
    assert {"read", "search-type"} <= {i["code"] for i in task["interaction"]}
    assert TASK_SEARCH <= {p["name"] for p in task["searchParam"]}
    directory = {p["name"] for p in types["HealthcareService"]["searchParam"]}
    assert directory == {"_id", "organization", "service-category", "active", "location", "_lastUpdated"}
    assert "HealthcareService:location" in types["HealthcareService"]["searchInclude"]


def test_it_lists_exactly_the_routes_the_app_has(server, tmp_path_factory):
    statement = httpx.get(f"{server.url}/fhir/metadata", timeout=20).json()
    routes = app_routes(tmp_path_factory)
    by_path = {path: methods for path, methods in routes if path.startswith("/fhir/")}
    for resource in statement["rest"][0]["resource"]:
        kind, done = resource["type"], {i["code"] for i in resource["interaction"]}
        instance = by_path.get(f"/fhir/{kind}/{{id:str}}", set())
        assert ("read" in done) == ("GET" in instance), kind
        assert ("update" in done) == ("PUT" in instance), kind
        assert ("patch" in done) == ("PATCH" in instance), kind
        assert ("delete" in done) == ("DELETE" in instance), kind
        assert ("search-type" in done) == ("GET" in by_path.get(f"/fhir/{kind}", set())), kind
        assert ("create" in done) == ("POST" in by_path.get(f"/fhir/{kind}", set())), kind
        if "search-type" not in done:
            assert "searchParam" not in resource, kind
    listed = {r["type"] for r in statement["rest"][0]["resource"]}
    for path, methods in by_path.items():
        kind = path.split("/")[2]
        if kind[:1].isupper() and methods - {"HEAD", "OPTIONS"}:
            assert kind in listed, path
    system = {i["code"] for i in statement["rest"][0].get("interaction", [])}
    assert ("transaction" in system) == any(path == "/fhir" and "POST" in m for path, m in routes)


def test_every_listed_search_and_read_answers_with_a_token(server, fhir):
    """Loosely: every search the statement lists is routed (no 404/405, no server error), and
    a read of an unknown id is a 404 OperationOutcome."""
    statement = httpx.get(f"{server.url}/fhir/metadata", timeout=20).json()
    client = fhir("koordination")
    for resource in statement["rest"][0]["resource"]:
        kind, done = resource["type"], {i["code"] for i in resource["interaction"]}
        if "search-type" in done:
            answer = client.get(f"/{kind}", params={"_count": "1"})
            assert answer.status_code not in (404, 405) and answer.status_code < 500, (kind, answer.text)
            assert_valid(answer.json())
        if done & READS:
            missing = client.get(f"/{kind}/00000000-0000-4000-8000-000000000000")
            assert missing.status_code in (403, 404), kind
            assert assert_valid(missing.json())["resourceType"] == "OperationOutcome"


SAMPLE_VALUES = {
    "token": "x",
    "reference": "Organization/x",
    "date": "gt2026-01-01",
    "string": "x",
    "uri": "https://example.org/x",
}


def test_every_listed_search_parameter_is_known_to_its_search(server, fhir):
    """A parameter the statement lists is never refused as unknown (a 400 about its value is
    fine: it was read)."""
    statement = httpx.get(f"{server.url}/fhir/metadata", timeout=20).json()
    client = fhir("koordination", "de")
    checked = 0
    for resource in statement["rest"][0]["resource"]:
        for param in resource.get("searchParam", []):
            answer = client.get(f"/{resource['type']}", params={param["name"]: SAMPLE_VALUES[param["type"]]})
            assert answer.status_code < 500, (resource["type"], param["name"], answer.text)
            if answer.status_code != 200:
                text = assert_valid(answer.json())["issue"][0]["details"]["text"]
                assert "Unbekannter Suchparameter" not in text, (resource["type"], param["name"])
            checked += 1
    assert checked > 20


def test_the_statement_is_built_from_routes_only():
    statement = capability.capability_statement(
        "https://example.org/fhir",
        [
            ("/fhir/Task/{id:str}", {"GET", "PUT", "PATCH", "HEAD", "OPTIONS"}),
            ("/fhir/Consent/{id:str}", {"GET"}),
            ("/fhir", {"POST"}),
            ("/fhir/metadata", {"GET"}),
            ("/api/v1/referrals", {"GET"}),
        ],
    )
    assert_valid(statement)
    rest = statement["rest"][0]
    assert rest["interaction"] == [{"code": "transaction"}]
    task, consent = rest["resource"][1], rest["resource"][0]
    assert [i["code"] for i in task["interaction"]] == ["read", "update", "patch"]
    assert "searchParam" not in task and "searchParam" not in consent  # no search route
    assert task["versioning"] == "versioned-update" and statement["patchFormat"]
