"""Exports as FHIR Bundles: `python -m backend fhir export --referral ID` (a document, the
receiver's view: nothing the consent kept back) and the client's data export as a collection
(for the nurse's organisation only). Each validates against FHIR R4 and is audited."""

from __future__ import annotations

import json

import httpx

from tests.fhir.conftest import FHIR_JSON, assert_valid
from tests.support import ANSWERS, cli, login, offer_of


def referral_with_scope(server, token: str, scope: list[str], name: str, phone: str) -> tuple[str, str]:
    """Like tests.support.api_referral, with the consent scope chosen: (client id, referral id)."""
    service_id = offer_of(server, "Pro Senectute Kanton Bern", "loneliness")
    with httpx.Client(base_url=server.url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as http:
        client = http.post(
            "/api/v1/clients",
            json={
                "display_name": name,
                "birth_year": 1938,
                "municipality": 902,
                "language": "de",
                "phone": phone,
            },
        ).json()
        screening = http.post(
            "/api/v1/screenings",
            json={
                "client_id": client["id"],
                "instrument_id": "social-situation-short",
                "instrument_version": "1.1.0",
                "answers": {**ANSWERS["loneliness"], **ANSWERS["administration"]},
                "strengths": "Die Nachbarin kauft ein",
            },
        ).json()
        sent = http.post(
            "/api/v1/referrals",
            json={
                "screening_id": screening["id"],
                "offers": [{"service_id": service_id, "need_domain": "loneliness"}],
                "consent": {"confirmed": True, "scope": scope},
                "accept_warnings": True,
            },
        )
        assert sent.status_code == 201, sent.text
        return client["id"], sent.json()["referrals"][0]["id"]


def audit_rows(server, action: str, kind: str, subject: str) -> int:
    return server.database.execute(
        "SELECT count(*) FROM audit_event WHERE action = :a AND subject_type = :k AND subject_id = :s",
        a=action,
        k=kind,
        s=subject,
    )[0][0]


def resources_of(bundle: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        assert entry["fullUrl"].endswith(f"/{entry['resource']['resourceType']}/{entry['resource']['id']}")
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def test_the_cli_exports_a_referral_as_a_document_with_only_what_the_consent_shares(server, tokens, tmp_path):
    name, phone = "Hedwig Zaugg-Export", "079 555 12 34"
    client_id, referral_id = referral_with_scope(server, tokens("pflege"), ["birth_year"], name, phone)
    before = audit_rows(server, "export", "referral", referral_id)

    result = cli("fhir", "export", "--referral", referral_id, env=server.env)
    bundle = assert_valid(json.loads(result.stdout))
    assert bundle["type"] == "document" and bundle["timestamp"]
    assert bundle["identifier"]["value"].startswith(referral_id)
    composition = bundle["entry"][0]["resource"]
    assert composition["resourceType"] == "Composition"
    assert composition["type"]["coding"][0]["code"] == "57133-1"
    assert composition["subject"] == {"reference": f"Patient/{referral_id}"}
    assert composition["author"][0]["reference"].startswith("Organization/passerelle-")

    found = resources_of(bundle)
    assert [
        len(found[kind]) for kind in ("Task", "ServiceRequest", "Patient", "Consent", "HealthcareService")
    ] == [1] * 5
    assert len(found["Organization"]) == 2
    held = {f"{kind}/{r['id']}" for kind, rs in found.items() for r in rs}
    listed = {e["reference"] for s in composition["section"] for e in s["entry"]}
    assert listed == held - {f"Composition/{referral_id}"}  # every entry is in a section
    assert composition["author"][0]["reference"] in held

    task = found["Task"][0]
    assert task["id"] == referral_id and task["for"] == {"reference": f"Patient/{referral_id}"}
    patient = found["Patient"][0]
    assert patient["id"] == referral_id and patient["birthDate"] == "1938"
    assert "name" not in patient and "telecom" not in patient  # the consent did not share contact
    assert patient["address"][0]["city"]  # municipality and language always go
    consent = found["Consent"][0]
    assert consent["patient"] == {"reference": f"Patient/{referral_id}"}

    # Nothing the consent kept back, and nothing of the client record or the screening.
    text = result.stdout
    for private in (name, phone, "079 555", client_id, "Nachbarin", "administration"):
        assert private not in text, private
    assert not {"QuestionnaireResponse", "Observation", "Condition"} & set(found)
    assert audit_rows(server, "export", "referral", referral_id) == before + 1

    # --out writes the same document to a file.
    out = tmp_path / "referral.json"
    cli("fhir", "export", "--referral", referral_id, "--out", str(out), env=server.env)
    assert assert_valid(json.loads(out.read_text()))["entry"][0]["resource"]["id"] == referral_id

    missing = cli("fhir", "export", "--referral", "no-such-referral", env=server.env, check=False)
    assert missing.returncode != 0 and "No such referral" in missing.stderr


def test_a_consent_with_contact_lets_the_name_and_phone_into_the_document(server, tokens):
    name = "Margrit Contact-Export"
    _, referral_id = referral_with_scope(server, tokens("pflege"), ["contact"], name, "079 555 98 76")
    bundle = assert_valid(json.loads(cli("fhir", "export", "--referral", referral_id, env=server.env).stdout))
    (patient,) = resources_of(bundle)["Patient"]
    assert patient["name"] == [{"text": name}]
    assert patient["telecom"][0]["value"] == "+41 79 555 98 76"
    assert "birthDate" not in patient  # the year of birth was not shared this time


def test_the_client_data_export_offers_a_fhir_bundle_for_the_clients_organisation(server, tokens):
    name = "Rosa Collection-Export"
    client_id, referral_id = referral_with_scope(
        server, tokens("pflege"), ["contact", "birth_year"], name, "079 555 11 22"
    )
    with httpx.Client(base_url=server.url, timeout=20) as browser:
        assert login(browser, "pflege").status_code in (200, 303)
        page = browser.get(f"/clients/{client_id}")
        assert f'href="/clients/{client_id}/export/fhir"' in page.text

        before = audit_rows(server, "export", "client", client_id)
        answer = browser.get(f"/clients/{client_id}/export/fhir")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith(FHIR_JSON)
        assert "attachment" in answer.headers["content-disposition"]
        assert audit_rows(server, "export", "client", client_id) == before + 1

    bundle = assert_valid(answer.json())
    assert bundle["type"] == "collection"
    found = resources_of(bundle)
    (patient,) = found["Patient"]
    assert (
        patient["id"] == client_id and patient["name"] == [{"text": name}] and patient["birthDate"] == "1938"
    )
    (response,) = found["QuestionnaireResponse"]
    assert response["subject"] == {"reference": f"Patient/{client_id}"}
    assert {o["id"].removeprefix(response["id"] + "-") for o in found["Observation"]} >= {
        "ucla-companionship",
        "admin",
        "need-loneliness",
        "need-administration",
    }
    assert sorted(c["id"] for c in found["Condition"]) == sorted(
        [f"{response['id']}-loneliness", f"{response['id']}-administration"]
    )
    assert len(found["Consent"]) == 1 and found["Consent"][0]["patient"] == {
        "reference": f"Patient/{client_id}"
    }
    assert [t["id"] for t in found["Task"]] == [referral_id] and [
        s["id"] for s in found["ServiceRequest"]
    ] == [referral_id]
    assert found["Task"][0]["for"] == {"reference": f"Patient/{client_id}"}  # the holder's view

    # Another organisation's nurse finds no such client; a coordinator has no client pages.
    with httpx.Client(base_url=server.url, timeout=20) as other:
        assert login(other, "soins").status_code in (200, 303)
        refused = other.get(f"/clients/{client_id}/export/fhir")
        assert refused.status_code == 404 and name not in refused.text
    with httpx.Client(base_url=server.url, timeout=20) as coordinator:
        assert login(coordinator, "koordination").status_code in (200, 303)
        assert coordinator.get(f"/clients/{client_id}/export/fhir").status_code in (403, 404)
    # Never through /fhir tokens or unauthenticated.
    assert httpx.get(f"{server.url}/clients/{client_id}/export/fhir", timeout=10).status_code in (
        302,
        303,
        401,
    )
