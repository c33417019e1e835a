"""POST /api/v1/sync: offline records applied exactly once, in any order within a batch, each
on its own; rejected ones say why in the nurse's language and block nothing else."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support import cli, csrf_from, login

LONELY = {"ucla-companionship": "often", "ucla-left-out": "often", "ucla-isolated": "often"}


@pytest.fixture(scope="module")
def token(server) -> str:
    return cli("tokens", "create", "--user", "pflege", "--name", "sync", env=server.env).stdout.strip()


def nurse(server, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=20, headers={"Authorization": f"Bearer {token}"})


def offer(server, need: str = "loneliness") -> str:
    return server.database.execute(
        "SELECT s.id FROM directory_service s JOIN directory_organization o ON o.id = s.organization_id "
        "JOIN directory_service_tag t ON t.service_id = s.id WHERE o.name = 'Pro Senectute Kanton Bern' "
        "AND t.kind = 'need_domain' AND t.value = :n AND s.capacity_status = 'accepting' ORDER BY s.id LIMIT 1",
        n=need,
    )[0][0]


def visit(server, name: str = "S. T.") -> list[dict]:
    """What a nurse's tablet holds after one offline visit: client, screening, referral."""
    client_id, screening_id, referral_id = (str(uuid.uuid4()) for _ in range(3))
    version = httpx.get(f"{server.url}/api/v1/instruments/social-situation-short").json()["version"]
    return [
        {
            "id": client_id,
            "type": "client",
            "created_at": "2026-11-28T09:12:00Z",
            "data": {"display_name": name, "birth_year": 1939, "municipality": 902, "language": "de"},
        },
        {
            "id": screening_id,
            "type": "screening",
            "created_at": "2026-11-28T09:30:00Z",
            "data": {
                "client_id": client_id,
                "instrument_id": "social-situation-short",
                "instrument_version": version,
                "answers": LONELY,
                "status": "completed",
            },
        },
        {
            "id": referral_id,
            "type": "referral",
            "created_at": "2026-11-28T09:35:00Z",
            "data": {
                "screening_id": screening_id,
                "service_id": offer(server),
                "need_domain": "loneliness",
                "consent": {
                    "confirmed": True,
                    "given_by": "client",
                    "method": "verbal",
                    "scope": ["contact"],
                },
                "accept_warnings": True,
            },
        },
    ]


def count(server, table: str, column: str, value: str) -> int:
    return server.database.execute(f"SELECT count(*) FROM {table} WHERE {column} = :v", v=value)[0][0]


def test_a_visit_arrives_exactly_once_in_any_order(server, token):
    records = visit(server)
    client_id, screening_id, referral_id = (r["id"] for r in records)
    with nurse(server, token) as http:
        first = http.post("/api/v1/sync", json={"records": list(reversed(records))})
        assert first.status_code == 200, first.text
        assert [(r["id"], r["status"]) for r in first.json()["results"]] == [
            (referral_id, "accepted"),
            (screening_id, "accepted"),
            (client_id, "accepted"),
        ]
        again = http.post("/api/v1/sync", json={"records": records})
        assert {r["status"] for r in again.json()["results"]} == {"duplicate"}
    assert count(server, "client", "id", client_id) == 1
    assert count(server, "screening", "client_id", client_id) == 1
    assert count(server, "referral", "id", referral_id) == 1
    status, shared = server.database.execute(
        "SELECT status, shared FROM referral WHERE id = :r", r=referral_id
    )[0]
    assert status == "requested"
    # Synced referrals notify the receiving coordinators exactly like online ones.
    assert count(server, "notification", "referral_id", referral_id) >= 1
    # ... and count in the nurse's lists like online ones.
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        login(browser, "pflege")
        assert referral_id in browser.get("/referrals").text


def test_a_batch_over_several_transactions_is_whole_and_audited(server, token):
    """60 records (20 visits) span two of the sync's transactions: the referrals, applied after
    every client and screening, find what the first transaction wrote. Replays inside the batch
    and ids that are already taken are answered per record."""
    visits = [visit(server, f"Batch {n}") for n in range(20)]
    records = [r for v in visits for r in v]
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        login(browser, "pflege")
        token_csrf = browser.get("/api/v1/me").json()["csrf_token"]
        taken = str(uuid.uuid4())
        made = browser.post(
            "/api/v1/clients",
            json={"id": taken, "display_name": "Online", "birth_year": 1950, "municipality": 351, "language": "fr"},
            headers={"X-CSRF-Token": token_csrf},
        )
        assert made.status_code == 201, made.text
    clash = {**visits[0][0], "id": taken}  # a device's id that an online record already has
    places = server.database.execute("SELECT coalesce(sum(count), 0) FROM report_screening_place")[0][0]
    with nurse(server, token) as http:
        answer = http.post("/api/v1/sync", json={"records": [*records, records[0], clash]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 60 + ["duplicate", "rejected"]
    assert results[-1]["error"].startswith("Diese ID kann nicht verwendet werden.")
    ids = [r["id"] for r in records]
    quoted = ", ".join(f"'{i}'" for i in ids)
    assert server.database.execute(f"SELECT count(*) FROM sync_record WHERE id IN ({quoted})")[0][0] == 60
    created = server.database.execute(
        f"SELECT count(DISTINCT subject_id) FROM audit_event WHERE action = 'create' AND subject_id IN ({quoted})"
    )[0][0]
    assert created == 60
    referrals = [v[2]["id"] for v in visits]
    rows = server.database.execute(
        "SELECT r.status, s.status FROM referral r JOIN screening s ON s.id = r.screening_id "
        f"WHERE r.id IN ({', '.join(repr(i) for i in referrals)})"
    )
    assert rows == [("requested", "completed")] * 20
    assert server.database.execute("SELECT sum(count) FROM report_screening_place")[0][0] == places + 20
    assert server.database.execute("SELECT display_name FROM client WHERE id = :c", c=taken)[0][0] == "Online"


def test_rejected_records_say_why_and_block_nothing_else(server, token):
    good = visit(server, "U. V.")
    bad = visit(server, "W. X.")
    bad[1]["data"]["answers"] = {"carer": "tired"}  # not an option of the question
    bad[2]["data"]["consent"] = {"confirmed": False}
    with nurse(server, token) as http:
        answer = http.post("/api/v1/sync", json={"records": bad + good}).json()["results"]
    by_id = {r["id"]: r for r in answer}
    assert by_id[bad[0]["id"]]["status"] == "accepted"
    screening = by_id[bad[1]["id"]]
    assert screening["status"] == "rejected" and "answers.carer" in screening["errors"]
    assert "angebotenen Antworten" in screening["errors"]["answers.carer"]
    referral = by_id[bad[2]["id"]]
    assert referral["status"] == "rejected" and referral["error"]
    assert [by_id[r["id"]]["status"] for r in good] == ["accepted"] * 3
    assert count(server, "screening", "id", bad[1]["id"]) == 0
    # Corrected on the tablet, the same ids go through.
    bad[1]["data"]["answers"] = LONELY
    bad[2]["data"]["consent"] = {"confirmed": True}
    with nurse(server, token) as http:
        fixed = http.post("/api/v1/sync", json={"records": bad}).json()["results"]
    assert [r["status"] for r in fixed] == ["duplicate", "accepted", "accepted"]


def test_same_id_with_other_content_is_refused_not_overwritten(server, token):
    records = visit(server, "Y. Z.")[:1]
    with nurse(server, token) as http:
        assert (
            http.post("/api/v1/sync", json={"records": records}).json()["results"][0]["status"] == "accepted"
        )
        records[0]["data"]["display_name"] = "Someone Else"
        answer = http.post("/api/v1/sync", json={"records": records}).json()["results"][0]
    assert answer["status"] == "rejected" and "anderem Inhalt" in answer["error"]
    name = server.database.execute("SELECT display_name FROM client WHERE id = :c", c=records[0]["id"])[0][0]
    assert name == "Y. Z."


def test_bad_batches_and_other_organisations(server, token):
    with nurse(server, token) as http:
        # A wrong id or type is that record's problem, answered for it alone.
        data = visit(server)[0]["data"]
        odd = [{"id": "x", "type": "client", "data": data}, {"id": str(uuid.uuid4()), "type": "pet", "data": data}]
        answer = http.post("/api/v1/sync", json={"records": odd})
        assert answer.status_code == 200, answer.text
        wrong_id, wrong_type = answer.json()["results"]
        assert (wrong_id["id"], wrong_id["status"], list(wrong_id["errors"])) == ("x", "rejected", ["id"])
        assert wrong_type["status"] == "rejected" and list(wrong_type["errors"]) == ["type"]
        # Even a record that is not an object is answered, under no id.
        answer = http.post("/api/v1/sync", json={"records": [1, {"id": 2}]})
        assert [(r["id"], r["status"]) for r in answer.json()["results"]] == [("", "rejected")] * 2
        # A batch that is not a list of records at all is refused as a whole.
        assert http.post("/api/v1/sync", json={"records": {"id": "x"}}).status_code == 422
        assert http.post("/api/v1/sync", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
        missing = http.post(
            "/api/v1/sync",
            json={"records": [{"id": str(uuid.uuid4()), "type": "client", "data": {"birth_year": 1950}}]},
        ).json()["results"][0]
        assert missing["status"] == "rejected" and missing["error"]
    records = visit(server, "A. Z.")
    soins = cli("tokens", "create", "--user", "soins", "--name", "sync", env=server.env).stdout.strip()
    with nurse(server, token) as http:
        http.post("/api/v1/sync", json={"records": records[:1]})
    with httpx.Client(base_url=server.url, timeout=10, headers={"Authorization": f"Bearer {soins}"}) as other:
        foreign = other.post("/api/v1/sync", json={"records": records[1:2]}).json()["results"][0]
        assert foreign["status"] == "rejected" and "organisation" in foreign["error"]
        replay = other.post("/api/v1/sync", json={"records": records[:1]}).json()["results"][0]
        assert replay["status"] == "rejected"  # another organisation's id is never "yours"
        # ... and the answer does not say it was received before: as for any id that is taken.
        assert replay["error"].startswith("Cet identifiant ne peut pas être utilisé"), replay
        assert "reçu" not in replay["error"] and replay["errors"] == {"id": replay["error"]}


def test_browser_session_with_csrf(server):
    records = visit(server, "B. Y.")[:1]
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        login(browser, "pflege")
        assert browser.post("/api/v1/sync", json={"records": records}).status_code == 403
        token = csrf_from(browser.get("/").text)
        answer = browser.post("/api/v1/sync", json={"records": records}, headers={"X-CSRF-Token": token})
        assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "accepted"


NUL = "\x00"


def test_records_of_the_wrong_shape_are_rejected_each_with_its_field(server, token):
    """Each record is checked against its type's schema before it touches the database: a
    list for a name is not stored as "['a']", a NUL (which PostgreSQL cannot store) is refused,
    and none of them stops the good records of the batch."""
    good = visit(server, "Good Shape")
    shapes = visit(server, "Bad Shape")
    client, screening, referral = shapes
    cases = [
        ({**client, "data": {**client["data"], "display_name": ["a"]}}, "display_name"),
        ({**client, "id": str(uuid.uuid4()), "data": {**client["data"], "display_name": f"A{NUL}B"}}, "display_name"),
        ({**client, "id": f"{uuid.uuid4()}{NUL}"}, "id"),
        ({**client, "id": str(uuid.uuid4()), "data": {**client["data"], "birth_year": "neunzehn"}}, "birth_year"),
        ({**client, "id": str(uuid.uuid4()), "data": ["not", "an", "object"]}, "data"),
        ({**screening, "data": {**screening["data"], "strengths": 5}}, "strengths"),
        ({**screening, "id": str(uuid.uuid4()), "data": {**screening["data"], "strengths": {"a": 1}}}, "strengths"),
        ({**screening, "id": str(uuid.uuid4()), "data": {**screening["data"], "strengths": f"x{NUL}"}}, "strengths"),
        ({**screening, "id": str(uuid.uuid4()), "data": {**screening["data"], "client_id": NUL}}, "client_id"),
        ({**screening, "id": str(uuid.uuid4()), "data": {**screening["data"], "answers": {"ucla-isolated": {"x": [1]}}}},
         "answers"),
        ({**referral, "data": {**referral["data"], "consent": {**referral["data"]["consent"], "scope": "contact"}}},
         "consent.scope"),
        ({**referral, "id": str(uuid.uuid4()), "data": {**referral["data"], "note": f"Hallo{NUL}"}}, "note"),
    ]
    with nurse(server, token) as http:
        answer = http.post("/api/v1/sync", json={"records": [c for c, _ in cases] + good})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    for (record, field), result in zip(cases, results, strict=False):
        assert result["id"] == record["id"]
        assert result["status"] == "rejected", (field, result)
        assert field in result["errors"], (field, result)
        assert result["errors"][field] == "Dieser Wert fehlt oder hat den falschen Typ." or "Steuerzeichen" in (
            result["errors"][field]
        ), result
    assert [r["status"] for r in results[len(cases) :]] == ["accepted"] * 3
    assert count(server, "client", "id", client["id"]) == 0
    stored = server.database.execute("SELECT display_name FROM client WHERE display_name LIKE :p", p="%['a']%")
    assert stored == []


def test_an_unexpected_error_rejects_only_its_record(server, token):
    """An error the domain code does not expect (here a device clock at 1 January of the year 1
    at +14:00, a moment before the year 1 in UTC, which the database layer cannot store; our
    tablets send UTC) is caught for that record alone: the chunk before it stays committed, the
    records after it, in the same chunk and the next, are applied."""
    clients = [visit(server, f"Chunk {n}")[0] for n in range(120)]
    poisoned = clients[70]
    poisoned["created_at"] = "0001-01-01T00:00:00+14:00"
    with nurse(server, token) as http:
        answer = http.post("/api/v1/sync", json={"records": clients})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 70 + ["rejected"] + ["accepted"] * 49
    assert results[70]["error"] == "Der Server konnte diesen Eintrag nicht annehmen."
    assert count(server, "client", "id", poisoned["id"]) == 0
    quoted = ", ".join(f"'{c['id']}'" for c in clients)
    assert server.database.execute(f"SELECT count(*) FROM sync_record WHERE id IN ({quoted})")[0][0] == 119
    assert "Chunk" not in server.log(), "a personal value reached the log"


def test_the_schema_shows_each_record_type(server):
    schema = httpx.get(f"{server.url}/schema/openapi.json").json()
    body = schema["paths"]["/api/v1/sync"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/SyncBatch")
    components = schema["components"]["schemas"]
    assert components["ClientData"]["properties"]["display_name"]["type"] == "string"
    assert components["ScreeningData"]["properties"]["strengths"]
    assert "consent" in components["ReferralData"]["properties"]
