"""/fhir reads and searches of referrals: Task search (filters, _lastUpdated, paging to the end,
_include), ServiceRequest, the two views of Patient (the sender's client, the receiver's shared
copy holding only what the consent lets leave), Consent, Procedure, and the audit rows they
write. Every resource returned must be valid FHIR R4."""

from __future__ import annotations

import time

import httpx

from tests.fhir.conftest import assert_valid
from tests.support import ANSWERS, api_referral, offer_of

RECEIVER_ORG = "Pro Senectute Kanton Bern"  # koordination's directory organisation


def owner_of(server, name: str = RECEIVER_ORG) -> str:
    return server.database.execute("SELECT id FROM directory_organization WHERE name = :n", n=name)[0][0]


def org_of(server, username: str) -> int:
    return server.database.execute(
        "SELECT organisation_id FROM user_account WHERE username = :u", u=username
    )[0][0]


def refer(
    server, token: str, scope: list[str], name: str = "A. B.", phone: str = "031 555 66 77"
) -> tuple[str, str]:
    """Like tests.support.api_referral, with a consent of the given scope."""
    service_id = offer_of(server, RECEIVER_ORG, "loneliness")
    with httpx.Client(base_url=server.url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as http:
        client = http.post(
            "/api/v1/clients",
            json={
                "display_name": name,
                "birth_year": 1938,
                "municipality": 351,
                "language": "de",
                "phone": phone,
            },
        ).json()
        instrument = http.get("/api/v1/instruments/social-situation-short").json()
        screening = http.post(
            "/api/v1/screenings",
            json={
                "client_id": client["id"],
                "instrument_id": instrument["id"],
                "instrument_version": instrument["version"],
                "answers": ANSWERS["loneliness"],
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


def every_page(client: httpx.Client, path: str, params: dict | None = None) -> tuple[list[dict], list[dict]]:
    """Follows `next` to the end; returns the bundles and all their entries."""
    bundles, entries = [], []
    answer = client.get(path, params=params)
    while True:
        assert answer.status_code == 200, answer.text
        page = assert_valid(answer.json())
        assert page["type"] == "searchset"
        bundles.append(page)
        entries += page.get("entry", [])
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        if not following:
            return bundles, entries
        assert following[0].startswith(str(client.base_url))
        answer = client.get(following[0])


def views(server, username: str, subject_id: str) -> int:
    return server.database.execute(
        "SELECT count(*) FROM audit_event a JOIN user_account u ON u.id = a.user_id "
        "WHERE u.username = :u AND a.action = 'view' AND a.subject_id = :s",
        u=username,
        s=subject_id,
    )[0][0]


def test_the_receiving_organisations_script_lists_its_new_referrals_with_their_service_requests(
    server, tokens, fhir
):
    _, referral_id = api_referral(server, tokens("pflege"))
    owner = owner_of(server)
    script = fhir("koordination")
    before = views(server, "koordination", referral_id)
    bundles, entries = every_page(
        script, "/Task", {"owner": f"Organization/{owner}", "status": "requested", "_include": "Task:focus"}
    )
    matches = [e for e in entries if e["search"]["mode"] == "match"]
    included = [e for e in entries if e["search"]["mode"] == "include"]
    assert bundles[0]["total"] == len(matches) >= 1
    assert all(m["resource"]["owner"]["reference"] == f"Organization/{owner}" for m in matches)
    assert all(m["resource"]["status"] == "requested" for m in matches)
    mine = [m for m in matches if m["resource"]["id"] == referral_id]
    assert len(mine) == 1
    task = mine[0]["resource"]
    assert task["for"]["reference"] == f"Patient/{referral_id}"  # the shared copy, not the client
    assert mine[0]["fullUrl"].endswith(f"/fhir/Task/{referral_id}")
    assert {e["resource"]["resourceType"] for e in included} == {"ServiceRequest"}
    assert {e["resource"]["id"] for e in included} == {m["resource"]["id"] for m in matches}
    focus = next(e["resource"] for e in included if e["resource"]["id"] == referral_id)
    assert task["focus"]["reference"] == f"ServiceRequest/{focus['id']}"
    assert focus["subject"]["reference"] == f"Patient/{referral_id}"
    # Every match was written to the audit log as a view.
    assert views(server, "koordination", referral_id) == before + 1


def test_task_search_filters_by_each_parameter(server, tokens, fhir):
    client_id, referral_id = api_referral(server, tokens("pflege"))
    sender, receiver = fhir("pflege"), fhir("koordination")
    requester = f"Organization/passerelle-{org_of(server, 'pflege')}"

    def ids(client: httpx.Client, **params: str) -> set[str]:
        answer = client.get("/Task", params={**params, "_count": "200"})
        assert answer.status_code == 200, answer.text
        return {e["resource"]["id"] for e in assert_valid(answer.json()).get("entry", [])}

    assert ids(sender, _id=referral_id) == {referral_id}
    assert ids(sender, _id=f"{referral_id},{referral_id[:-1]}0") <= {referral_id, f"{referral_id[:-1]}0"}
    assert ids(sender, patient=f"Patient/{client_id}") == {referral_id}
    assert ids(receiver, patient=f"Patient/{referral_id}") == {referral_id}
    assert ids(receiver, patient=f"Patient/{client_id}") == set()  # the receiver never knows the client
    assert ids(sender, focus=f"ServiceRequest/{referral_id}") == {referral_id}
    assert referral_id in ids(receiver, requester=requester, _id=referral_id)
    assert ids(receiver, requester="Organization/passerelle-999999", _id=referral_id) == set()
    assert ids(sender, code="http://hl7.org/fhir/CodeSystem/task-code|fulfill", _id=referral_id) == {
        referral_id
    }
    assert ids(sender, code="approve", _id=referral_id) == set()
    assert ids(sender, status="requested,received", _id=referral_id) == {referral_id}
    assert ids(sender, status="completed", _id=referral_id) == set()
    assert ids(sender, owner=f"Organization/{owner_of(server)}", _id=referral_id) == {referral_id}
    assert ids(sender, owner="Organization/somebody-else", _id=referral_id) == set()
    # Another organisation finds nothing, whatever it asks for.
    assert ids(fhir("soins"), _id=referral_id) == set()
    assert ids(fhir("coordination"), patient=f"Patient/{referral_id}") == set()


def test_a_proposal_not_yet_sent_is_invisible_to_the_receiver(server, tokens, fhir):
    _, referral_id = api_referral(server, tokens("pflege"))
    server.database.execute("UPDATE referral SET status = 'draft' WHERE id = :i", i=referral_id)
    assert fhir("pflege").get("/Task", params={"_id": referral_id}).json()["total"] == 1
    assert fhir("koordination").get("/Task", params={"_id": referral_id}).json()["total"] == 0
    assert fhir("koordination").get(f"/Task/{referral_id}").status_code == 404
    assert fhir("koordination").get(f"/Patient/{referral_id}").status_code == 404


def test_last_updated_finds_what_changed_since_the_last_poll(server, tokens, fhir):
    _, first = api_referral(server, tokens("pflege"))
    sender = fhir("pflege")
    stamp = sender.get(f"/Task/{first}").json()["meta"]["lastUpdated"]  # e.g. 2026-12-02T10:00:01+00:00
    time.sleep(1.1)
    _, second = api_referral(server, tokens("pflege"))

    def ids(*values: str) -> set[str]:
        answer = sender.get("/Task", params=[("_lastUpdated", v) for v in values] + [("_count", "200")])
        assert answer.status_code == 200, answer.text
        return {e["resource"]["id"] for e in assert_valid(answer.json()).get("entry", [])}

    newer = ids(f"gt{stamp}")
    assert second in newer and first not in newer
    assert {first, second} <= ids(f"ge{stamp}")
    older = ids(f"lt{stamp}")
    assert first not in older and second not in older
    assert first in ids(f"le{stamp}") and second not in ids(f"le{stamp}")
    assert first in ids(stamp) and second not in ids(stamp)  # eq: that second
    assert {first, second} <= ids(f"ge{stamp[:10]}", f"lt{int(stamp[:4]) + 1}")  # day, year; AND
    # An unescaped '+' of the time zone arrives as a space and is read as '+'.
    raw = sender.get(f"/Task?_lastUpdated=gt{stamp}&_count=200")
    assert raw.status_code == 200 and second in raw.text


def test_paging_follows_next_to_the_end_without_duplicates(server, tokens, fhir):
    made = {api_referral(server, tokens("pflege"))[1] for _ in range(5)}
    requester = f"Organization/passerelle-{org_of(server, 'pflege')}"
    bundles, entries = every_page(
        fhir("pflege"), "/Task", {"requester": requester, "_count": "2", "_sort": "_lastUpdated"}
    )
    ids = [e["resource"]["id"] for e in entries]
    assert len(ids) == len(set(ids)) == bundles[0]["total"]
    assert made <= set(ids)
    assert len(bundles) == -(-len(ids) // 2)
    assert all(len(b.get("entry", [])) == 2 for b in bundles[:-1])
    self_link = next(link["url"] for link in bundles[0]["link"] if link["relation"] == "self")
    assert "requester=" in self_link and "_count=2" in self_link
    # The order is the order of change: oldest first.
    stamps = [e["resource"]["meta"]["lastUpdated"] for e in entries]
    assert stamps == sorted(stamps)


def test_bad_searches_are_refused_with_the_parameter_named(server, fhir):
    client = fhir("koordination")
    cases = {
        "/Task?bogus=1": "bogus",
        "/Task?status:not=requested": "status:not",
        "/Task?_lastUpdated=yesterday": "_lastUpdated",
        "/Task?_lastUpdated=ap2026-01-01": "_lastUpdated",
        "/Task?_count=0": "_count",
        "/Task?_count=5000": "_count",
        "/Task?status=finished": "status",
        "/Task?owner=HealthcareService/1": "owner",
        "/Task?_include=Task:owner": "_include",
        "/Task?_cursor=nonsense": "_cursor",
        "/ServiceRequest?code=x": "code",
        "/ServiceRequest?intent=whatever": "intent",
        "/Consent?patient=Patient/1": "patient",
        "/Task?_format=xml": "_format",
        "/Task?_sort=-_lastUpdated": "_sort",
    }
    for path, name in cases.items():
        answer = client.get(path)
        assert answer.status_code == 400, (path, answer.text)
        outcome = assert_valid(answer.json())
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["code"] == "invalid"
        assert outcome["issue"][0]["expression"] == [name], path
    named = client.get("/Task?bogus=1").json()["issue"][0]["details"]["text"]
    assert "bogus" in named and "Suchparameter" in named  # German by default, names it


def test_service_request_read_and_search(server, tokens, fhir):
    client_id, referral_id = api_referral(server, tokens("pflege"))
    sender, receiver = fhir("pflege"), fhir("koordination")
    read = sender.get(f"/ServiceRequest/{referral_id}")
    assert read.status_code == 200
    request = assert_valid(read.json())
    assert request["subject"]["reference"] == f"Patient/{client_id}"
    assert read.headers["etag"] == f'W/"{request["meta"]["versionId"]}"'
    assert assert_valid(receiver.get(f"/ServiceRequest/{referral_id}").json())["subject"]["reference"] == (
        f"Patient/{referral_id}"
    )
    assert fhir("soins").get(f"/ServiceRequest/{referral_id}").status_code == 404

    def ids(client: httpx.Client, **params: str) -> set[str]:
        answer = client.get("/ServiceRequest", params={**params, "_count": "200"})
        assert answer.status_code == 200, answer.text
        return {e["resource"]["id"] for e in assert_valid(answer.json()).get("entry", [])}

    assert ids(sender, patient=f"Patient/{client_id}") == {referral_id}
    assert ids(receiver, _id=referral_id, status="active", intent="order") == {referral_id}
    assert ids(receiver, _id=referral_id, status="completed,revoked") == set()
    assert ids(receiver, _id=referral_id, intent="plan") == set()
    need = "https://fhir.passerelle.ch/CodeSystem/need-domain"
    gravity = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
    assert ids(receiver, _id=referral_id, category=f"{need}|loneliness") == {referral_id}
    assert ids(receiver, _id=referral_id, category=f"{gravity}|social-connection") == {referral_id}
    assert ids(receiver, _id=referral_id, category="food,housing") == set()
    assert ids(fhir("coordination"), _id=referral_id) == set()


def test_the_sender_reads_its_client_and_the_receiver_only_the_shared_copy(server, tokens, fhir):
    client_id, referral_id = api_referral(server, tokens("pflege"), "M. K.", phone="079 111 22 33")
    sender, receiver = fhir("pflege"), fhir("koordination")
    answer = sender.get(f"/Patient/{client_id}")
    assert answer.status_code == 200
    patient = assert_valid(answer.json())
    assert patient["meta"]["profile"] == ["http://fhir.ch/ig/ch-core/StructureDefinition/ch-core-patient"]
    assert patient["name"] == [{"text": "M. K."}]
    assert patient["birthDate"] == "1940"
    assert patient["telecom"] == [{"system": "phone", "value": "+41 79 111 22 33"}]
    address = patient["address"][0]
    assert address["city"] and address["state"] == "BE" and address["country"] == "CH"
    assert address["_city"]["extension"][0]["valueString"] == "902"  # BFS number (eCH-0007)
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "de"
    assert views(server, "pflege", client_id) >= 1

    shared = assert_valid(receiver.get(f"/Patient/{referral_id}").json())
    assert shared["id"] == referral_id and shared["name"] == [{"text": "M. K."}]  # scope: contact
    assert shared["birthDate"] == "1940" and shared["address"] == patient["address"]
    assert views(server, "koordination", referral_id) >= 1
    assert receiver.get(f"/Patient/{client_id}").status_code == 404  # never the client record
    assert sender.get(f"/Patient/{referral_id}").status_code == 404
    for stranger in ("soins", "coordination"):
        assert fhir(stranger).get(f"/Patient/{client_id}").status_code == 404
        assert fhir(stranger).get(f"/Patient/{referral_id}").status_code == 404


def test_a_consent_without_contact_shares_no_name_and_no_phone(server, tokens, fhir):
    client_id, referral_id = refer(server, tokens("pflege"), ["birth_year"], "Z. Y.", "031 999 88 77")
    answer = fhir("koordination").get(f"/Patient/{referral_id}")
    patient = assert_valid(answer.json())
    assert "name" not in patient and "telecom" not in patient
    assert "Z. Y." not in answer.text and "999 88 77" not in answer.text
    assert (
        patient["birthDate"] == "1938"
        and patient["address"][0]["_city"]["extension"][0]["valueString"] == "351"
    )
    _, bare = refer(server, tokens("pflege"), [], "X. W.")
    nothing = assert_valid(fhir("koordination").get(f"/Patient/{bare}").json())
    assert set(nothing) == {"resourceType", "id", "meta", "address", "communication"}
    # The sender still sees its own client whole.
    assert assert_valid(fhir("pflege").get(f"/Patient/{client_id}").json())["name"] == [{"text": "Z. Y."}]


def test_consent_for_who_recorded_it_and_who_receives_a_referral_carrying_it(server, tokens, fhir):
    client_id, referral_id = api_referral(server, tokens("pflege"))
    sender, receiver = fhir("pflege"), fhir("koordination")
    request = sender.get(f"/ServiceRequest/{referral_id}").json()
    consent_id = request["supportingInfo"][0]["reference"].removeprefix("Consent/")
    owner = owner_of(server)

    recorded = assert_valid(sender.get(f"/Consent/{consent_id}").json())
    assert recorded["status"] == "active" and recorded["patient"]["reference"] == f"Patient/{client_id}"
    assert recorded["scope"]["coding"][0]["code"] == "patient-privacy"
    assert recorded["category"][0]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "59284-0",
        "display": "Patient Consent",
    }
    assert recorded["organization"] == [{"reference": f"Organization/passerelle-{org_of(server, 'pflege')}"}]
    provision = recorded["provision"]
    assert provision["type"] == "permit"
    assert [c["coding"][0]["code"] for c in provision["code"]] == ["contact", "birth_year"]
    assert [a["reference"]["reference"] for a in provision["actor"]] == [f"Organization/{owner}"]

    seen = assert_valid(receiver.get(f"/Consent/{consent_id}").json())
    assert seen["patient"]["reference"] == f"Patient/{referral_id}"  # as in its Task
    assert views(server, "koordination", consent_id) == 1
    for stranger in ("soins", "coordination"):
        assert fhir(stranger).get(f"/Consent/{consent_id}").status_code == 404
        assert fhir(stranger).get("/Consent", params={"_id": consent_id}).json()["total"] == 0

    found = assert_valid(receiver.get("/Consent", params={"_id": consent_id}).json())
    assert found["total"] == 1 and found["entry"][0]["resource"]["id"] == consent_id
    _, entries = every_page(sender, "/Consent", {"_count": "1"})
    ids = [e["resource"]["id"] for e in entries]
    assert consent_id in ids and len(ids) == len(set(ids))


def test_a_procedure_exists_once_the_referral_has_an_outcome(server, tokens, fhir):
    _, done = api_referral(server, tokens("pflege"))
    _, unreachable = api_referral(server, tokens("pflege"))
    receiver, sender = fhir("koordination"), fhir("pflege")
    assert receiver.get(f"/Procedure/{done}").status_code == 404
    assert "output" not in receiver.get(f"/Task/{done}").json()
    close = "UPDATE referral SET status = :s, outcome = :o, closed_at = CURRENT_TIMESTAMP WHERE id = :i"
    server.database.execute(close, s="completed", o="help_started", i=done)
    server.database.execute(close, s="failed", o="not_reachable", i=unreachable)

    procedure = assert_valid(receiver.get(f"/Procedure/{done}").json())
    assert procedure["status"] == "completed"
    assert procedure["code"]["coding"][0]["code"] == "help_started"
    assert procedure["basedOn"] == [{"reference": f"ServiceRequest/{done}"}]
    assert procedure["performer"][0]["actor"]["reference"] == f"Organization/{owner_of(server)}"
    assert procedure["subject"]["reference"] == f"Patient/{done}"
    assert "performedDateTime" in procedure
    task = assert_valid(sender.get(f"/Task/{done}").json())
    assert task["output"][0]["valueReference"] == {"reference": f"Procedure/{done}"}
    assert task["output"][0]["type"]["coding"][0]["code"] == "resulting-activity"
    assert assert_valid(sender.get(f"/Procedure/{done}").json())["subject"]["reference"].startswith(
        "Patient/"
    )

    not_done = assert_valid(receiver.get(f"/Procedure/{unreachable}").json())
    assert (
        not_done["status"] == "not-done" and not_done["statusReason"]["coding"][0]["code"] == "not_reachable"
    )
    assert fhir("soins").get(f"/Procedure/{done}").status_code == 404
