"""Follow-ups (issue 19) over HTTP, on both databases: made due by real referral closings (the
receiving organisation's case actions, the nurse's own outcomes), listed on the start page and
by the API, recorded online with validation, skipped with a reason, hidden from other
organisations, exported with the client and erased with them."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.test_arranged_referrals import _relief
from tests.api.test_concurrency import _together
from tests.api.test_referrals import CARER, LONELY, Nurse
from tests.support import api_referral, cli, csrf_from, login, offer_of

PRO_SENECTUTE = "Pro Senectute Kanton Bern"  # received by the demo coordinator "koordination"
NURSE_ORG = "Spitex Demo Emmental"


def bern_today() -> date:
    return datetime.now(ZoneInfo("Europe/Zurich")).date()


@pytest.fixture(scope="module")
def token(server) -> str:
    return cli("tokens", "create", "--user", "pflege", "--name", "follow-ups", env=server.env).stdout.strip()


@pytest.fixture
def nurse(server):
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "pflege")
        yield Nurse(http)


def _coordinator_acts(server, referral_id: str, action: str, **form: str) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "koordination")
        token = csrf_from(http.get("/").text)
        assert http.get(f"/inbox/{referral_id}").status_code == 200  # received
        if action == "close":
            assert http.post(f"/inbox/{referral_id}/accept", data={"csrf_token": token}).status_code == 303
        done = http.post(f"/inbox/{referral_id}/{action}", data={"csrf_token": token, **form})
        assert done.status_code == 303, done.text[:600]


def _follow_ups(server, client_id: str) -> list:
    return server.database.execute(
        "SELECT id, reason, needs, due_on, status, screening_id, skip_reason, answers FROM follow_up "
        "WHERE client_id = :c",
        c=client_id,
    )


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _as_json(value):
    return value if isinstance(value, (list, dict)) else json.loads(value)


def _helped(server, token: str, name: str) -> tuple[str, str]:
    """A client whose one referral the receiving organisation closed with help started:
    (client id, follow-up id)."""
    client_id, referral_id = api_referral(server, token, name)
    assert _follow_ups(server, client_id) == []  # sent, not closed: nothing due
    _coordinator_acts(server, referral_id, "close", outcome="help_started")
    rows = _follow_ups(server, client_id)
    assert len(rows) == 1
    return client_id, rows[0][0]


def _make_due_now(server, follow_up_id: str, days_ago: int = 3) -> None:
    server.database.execute(
        "UPDATE follow_up SET due_on = :d WHERE id = :f",
        d=bern_today() - timedelta(days=days_ago),
        f=follow_up_id,
    )


def test_help_started_makes_the_follow_up_due_in_eight_weeks(server, token):
    client_id, _ = _helped(server, token, "F. A.")
    (_, reason, needs, due_on, status, screening_id, skip_reason, answers) = _follow_ups(server, client_id)[0]
    assert (reason, _as_json(needs), status, skip_reason) == ("after-help", ["loneliness"], "due", None)
    assert _as_date(due_on) == bern_today() + timedelta(weeks=8)
    baseline = server.database.execute("SELECT client_id FROM screening WHERE id = :s", s=screening_id)
    assert baseline == [(client_id,)]


def test_the_organisations_weeks_are_respected(server, token):
    refused = cli("organisations", "follow-up-weeks", NURSE_ORG, "0", env=server.env, check=False)
    assert refused.returncode != 0 and "0 is not in the range 1<=x<=52" in refused.stderr
    said = cli("organisations", "follow-up-weeks", NURSE_ORG, "4", env=server.env).stdout
    assert "4 weeks" in said
    try:
        client_id, _ = _helped(server, token, "F. B.")
    finally:
        cli("organisations", "follow-up-weeks", NURSE_ORG, "8", env=server.env)
    assert _as_date(_follow_ups(server, client_id)[0][3]) == bern_today() + timedelta(weeks=4)


def test_none_while_one_is_open_then_no_help_when_all_were_declined_or_rejected(server, nurse):
    client_id = nurse.client(name="F. C.")
    screening_id = nurse.screening(client_id, {**LONELY, **CARER})
    lonely = f"loneliness:{offer_of(server, PRO_SENECTUTE, 'loneliness')}"
    relief = f"caring_relatives:{_relief(server)}"  # not on Passerelle: the nurse arranges it
    sent = nurse.send(screening_id, [lonely, relief], accept_warnings="yes")
    assert sent.status_code == 303, sent.text[:800]
    ids = dict(
        server.database.execute("SELECT need_domain, id FROM referral WHERE client_id = :c", c=client_id)
    )
    declined = nurse.http.post(
        f"/referrals/{ids['caring_relatives']}/outcome",
        data={"csrf_token": nurse.token, "outcome": "client_declined", "note": ""},
    )
    assert declined.status_code == 303, declined.text[:600]
    assert _follow_ups(server, client_id) == []  # the loneliness referral is still open

    _coordinator_acts(server, ids["loneliness"], "reject", reason="no_capacity")
    rows = _follow_ups(server, client_id)
    assert len(rows) == 1
    _, reason, needs, due_on, status, baseline, *_ = rows[0]
    assert (reason, status, baseline) == ("no-help", "due", screening_id)
    assert sorted(_as_json(needs)) == ["caring_relatives", "loneliness"]
    assert _as_date(due_on) == bern_today() + timedelta(weeks=8)


def test_record_with_errors_then_success_and_the_due_list(server, token, nurse):
    client_id, follow_up_id = _helped(server, token, "F. D.")
    start = nurse.http.get("/").text
    assert follow_up_id not in start  # due in eight weeks, not yet
    _make_due_now(server, follow_up_id)
    start = nurse.http.get("/").text
    assert "Nachfrage fällig: F. D., seit 3 Tagen" in start
    assert f'href="/follow-ups/{follow_up_id}"' in start

    page = nurse.http.get(f"/follow-ups/{follow_up_id}")
    assert page.status_code == 200
    assert "Einsamkeit und soziale Isolation: " in page.text  # the repeated question names the need
    assert 'name="a-need-change:loneliness"' in page.text
    assert 'name="a-ons4-happy"' not in page.text  # only with the client's agreement
    views = server.database.execute(
        "SELECT count(*) FROM audit_event WHERE subject_type = 'follow_up' AND subject_id = :f AND action = 'view'",
        f=follow_up_id,
    )[0][0]
    assert views >= 1

    # Agreeing shows the wellbeing questions (the htmx fragment); nothing is saved.
    fragment = nurse.http.post(
        f"/follow-ups/{follow_up_id}",
        data={"csrf_token": nurse.token, "a-wellbeing-consent": "yes"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200 and 'name="a-ons4-happy"' in fragment.text
    assert _follow_ups(server, client_id)[0][4] == "due"

    form = {
        "csrf_token": nurse.token,
        "a-need-change:loneliness": "bogus",
        "a-offer-use:loneliness": "using",
        "a-what-helped:loneliness": "Der Besuchsdienst am Dienstag",
        "a-wellbeing-consent": "yes",
        "a-ons4-life-satisfaction": "7",
        "a-ons4-worthwhile": "declined",
        "a-ons4-happy": "6",
        "a-ons4-anxious": "2",
        "a-ucla-companionship": "some-of-the-time",
        "a-ucla-left-out": "hardly-ever",
        "a-ucla-isolated": "hardly-ever",
        "a-new-needs": "true",
    }
    wrong = nurse.http.post(f"/follow-ups/{follow_up_id}", data=form)
    assert wrong.status_code == 422
    assert "Wählen Sie eine der angebotenen Antworten." in wrong.text
    assert 'id="e-need-change:loneliness"' in wrong.text  # the error sits at its question
    assert "Der Besuchsdienst am Dienstag" in wrong.text  # nothing typed is lost
    assert 'value="using" checked' in wrong.text
    assert _follow_ups(server, client_id)[0][4] == "due"

    saved = nurse.http.post(
        f"/follow-ups/{follow_up_id}", data={**form, "a-need-change:loneliness": "better"}
    )
    assert saved.status_code == 303
    (_, _, _, _, status, _, _, answers) = _follow_ups(server, client_id)[0]
    answers = _as_json(answers)
    assert status == "done"
    assert answers["need-change:loneliness"] == "better" and answers["ons4-life-satisfaction"] == "7"
    assert answers["new-needs"] is True
    done = nurse.http.get(f"/follow-ups/{follow_up_id}").text
    assert "Die Nachfrage ist erfasst." in done
    assert f'action="/clients/{client_id}/screenings"' in done  # new needs: a new screening
    assert follow_up_id not in nurse.http.get("/").text
    again = nurse.http.post(f"/follow-ups/{follow_up_id}", data={**form, "a-need-change:loneliness": "same"})
    assert again.status_code == 409


def test_skip_needs_a_reason(server, token, nurse):
    client_id, follow_up_id = _helped(server, token, "F. E.")
    _make_due_now(server, follow_up_id, days_ago=1)
    assert "Nachfrage fällig: F. E., seit 1 Tag" in nurse.http.get("/").text
    missing = nurse.http.post(f"/follow-ups/{follow_up_id}/skip", data={"csrf_token": nurse.token})
    assert missing.status_code == 422
    assert "Wählen Sie, warum nicht nachgefragt wird." in missing.text
    assert _follow_ups(server, client_id)[0][4] == "due"
    unknown = nurse.http.post(
        f"/follow-ups/{follow_up_id}/skip", data={"csrf_token": nurse.token, "skip_reason": "bored"}
    )
    assert unknown.status_code == 422
    skipped = nurse.http.post(
        f"/follow-ups/{follow_up_id}/skip", data={"csrf_token": nurse.token, "skip_reason": "moved"}
    )
    assert skipped.status_code == 303
    row = _follow_ups(server, client_id)[0]
    assert (row[4], row[6]) == ("skipped", "moved")
    assert "Die Nachfrage wurde ausgelassen." in nurse.http.get(f"/follow-ups/{follow_up_id}").text
    assert follow_up_id not in nurse.http.get("/").text


def test_another_organisation_finds_nothing(server, token):
    _, follow_up_id = _helped(server, token, "F. F.")
    _make_due_now(server, follow_up_id)
    with httpx.Client(base_url=server.url, timeout=10) as other:
        login(other, "spital")  # a nurse of another organisation
        csrf = csrf_from(other.get("/").text)
        assert follow_up_id not in other.get("/").text
        assert other.get(f"/follow-ups/{follow_up_id}").status_code == 404
        assert other.post(f"/follow-ups/{follow_up_id}", data={"csrf_token": csrf}).status_code == 404
        skip = other.post(
            f"/follow-ups/{follow_up_id}/skip", data={"csrf_token": csrf, "skip_reason": "moved"}
        )
        assert skip.status_code == 404
        assert follow_up_id not in other.get("/api/v1/follow-ups").text


def test_the_api_lists_the_due_ones_without_names(server, token):
    client_id, follow_up_id = _helped(server, token, "F. G.")
    _, later_id = _helped(server, token, "F. H.")
    _make_due_now(server, follow_up_id)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, timeout=10, headers=headers) as api:
        due = api.get("/api/v1/follow-ups", params={"due": "1"})
        assert due.status_code == 200
        found = {f["id"]: f for f in due.json()}
        assert follow_up_id in found and later_id not in found
        assert found[follow_up_id] == {
            "id": follow_up_id,
            "client_id": client_id,
            "screening_id": _follow_ups(server, client_id)[0][5],
            "needs": ["loneliness"],
            "due_on": (bern_today() - timedelta(days=3)).isoformat(),
            "status": "due",
            "reason": "after-help",
        }
        assert "F. G." not in due.text
        every = {f["id"] for f in api.get("/api/v1/follow-ups", params={"due": "0"}).json()}
        assert {follow_up_id, later_id} <= every
        hers = api.get("/api/v1/follow-ups", params={"client_id": client_id}).json()
        assert [f["id"] for f in hers] == [follow_up_id]  # one client's, as a tablet takes her along
        bad = api.get("/api/v1/follow-ups", params={"due": "yes"})
        assert bad.status_code == 400
        assert bad.json()["message"] == "Der Parameter «due» muss 0 oder 1 sein."
    soins = cli("tokens", "create", "--user", "soins", "--name", "follow-ups", env=server.env).stdout.strip()
    with httpx.Client(base_url=server.url, timeout=10, headers={"Authorization": f"Bearer {soins}"}) as api:
        french = api.get("/api/v1/follow-ups", params={"due": "2"})  # a French-speaking nurse
        assert french.status_code == 400
        assert french.json()["message"] == "Le paramètre « due » doit valoir 0 ou 1."
        assert follow_up_id not in api.get("/api/v1/follow-ups").text  # another organisation's
    schema = httpx.get(f"{server.url}/schema/openapi.json").json()
    operation = schema["paths"]["/api/v1/follow-ups"]["get"]
    assert any(p["name"] == "due" for p in operation["parameters"])
    assert "200" in operation["responses"]


def test_export_includes_and_erasure_removes_the_follow_ups(server, token, nurse):
    client_id, follow_up_id = _helped(server, token, "F. I.")
    exported = nurse.http.get(f"/clients/{client_id}/export")
    assert exported.status_code == 200
    rows = exported.json()["follow_ups"]
    assert [r["id"] for r in rows] == [follow_up_id] and rows[0]["needs"] == ["loneliness"]
    assert "answers" in rows[0]
    erased = nurse.http.post(
        f"/clients/{client_id}/erase", data={"csrf_token": nurse.token, "confirm": "yes"}
    )
    assert erased.status_code == 303
    assert server.database.execute("SELECT count(*) FROM follow_up WHERE id = :f", f=follow_up_id)[0][0] == 0
    assert server.database.execute("SELECT count(*) FROM client WHERE id = :c", c=client_id)[0][0] == 0


def test_erasing_a_client_with_open_referrals_leaves_no_follow_up(server, token, nurse):
    # Erasure cancels the open referral, which closes the screening's last one: the follow-up
    # that this would make goes with the client.
    client_id, _ = api_referral(server, token, "F. J.")
    erased = nurse.http.post(
        f"/clients/{client_id}/erase", data={"csrf_token": nurse.token, "confirm": "yes"}
    )
    assert erased.status_code == 303
    assert server.database.execute("SELECT count(*) FROM follow_up WHERE client_id = :c", c=client_id) == [
        (0,)
    ]


BASELINE_WELLBEING = {
    **LONELY,  # UCLA-3: 3 + 3 + 3 = 9
    "wellbeing-consent": "yes",
    "ons4-life-satisfaction": "4",
    "ons4-worthwhile": "5",
    "ons4-happy": "3",
    "ons4-anxious": "8",
}


def test_the_recorded_event_carries_the_paired_change_and_no_person(server, token):
    """FollowUpRecorded, as the reports will count it: handled in-process by a subscriber of the
    real event, against the server's database."""
    service_id = offer_of(server, PRO_SENECTUTE, "loneliness")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, timeout=10, headers=headers) as api:
        client = api.post(
            "/api/v1/clients",
            json={"display_name": "F. K.", "birth_year": 1940, "municipality": 902, "language": "de"},
        ).json()
        instrument = api.get("/api/v1/instruments/social-situation-short").json()
        screening = api.post(
            "/api/v1/screenings",
            json={
                "client_id": client["id"],
                "instrument_id": instrument["id"],
                "instrument_version": instrument["version"],
                "answers": BASELINE_WELLBEING,
            },
        )
        assert screening.status_code == 201, screening.text
        sent = api.post(
            "/api/v1/referrals",
            json={
                "screening_id": screening.json()["id"],
                "offers": [{"service_id": service_id, "need_domain": "loneliness"}],
                "consent": {"confirmed": True, "scope": ["contact"]},
                "accept_warnings": True,
            },
        )
        assert sent.status_code == 201, sent.text
    _coordinator_acts(server, sent.json()["referrals"][0]["id"], "close", outcome="help_started")
    follow_up_id = _follow_ups(server, client["id"])[0][0]

    from backend.accounts.roles import Role
    from backend.accounts.service import CurrentUser
    from backend.capabilities import wire
    from backend.db.engine import make_engine, session_scope
    from backend.events import subscribe
    from backend.followup import service
    from backend.followup.events import FollowUpRecorded

    wire()
    seen: list[FollowUpRecorded] = []
    subscribe(FollowUpRecorded, lambda session, event: seen.append(event))
    user_id, org_id = server.database.execute(
        "SELECT id, organisation_id FROM user_account WHERE username = 'pflege'"
    )[0]
    user = CurrentUser(user_id, "pflege", "Petra Pflege", Role.NURSE, org_id, NURSE_ORG, "de", True)
    engine = make_engine(server.database.url)
    try:
        with session_scope(engine) as session:
            follow_up = service.open_follow_up(session, user, follow_up_id)
            service.record_answers(
                session,
                user,
                follow_up,
                {
                    "need-change:loneliness": "better",
                    "offer-use:loneliness": "using",
                    "what-helped:loneliness": "Frau Meier vom Besuchsdienst",
                    "wellbeing-consent": "yes",
                    "ons4-life-satisfaction": "7",
                    "ons4-worthwhile": "declined",
                    "ons4-happy": "6",
                    "ons4-anxious": "2",
                    "ucla-companionship": "some-of-the-time",
                    "ucla-left-out": "hardly-ever",
                    "ucla-isolated": "hardly-ever",
                    "new-needs": False,
                },
            )
    finally:
        engine.dispose()
    (event,) = [e for e in seen if e.organisation_id == org_id and e.needs[0].change == "better"][-1:]
    assert event.wellbeing_change == {
        "ons4-life-satisfaction": 3,
        "ons4-worthwhile": None,  # declined at the follow-up: no pair
        "ons4-happy": 3,
        "ons4-anxious": -6,
        "ucla3": -5,
    }
    (need,) = event.needs
    assert (need.need_domain, need.change, need.offer_use, need.helped) == (
        "loneliness",
        "better",
        "using",
        True,
    )
    assert need.offer_types and all(need.offer_types)
    assert (event.reason, event.referrals, event.new_needs) == ("after-help", 1, False)
    assert event.district and event.life_phase  # Langnau's district, the client's life phase now
    flat = repr(event)
    for personal in ("F. K.", client["id"], follow_up_id, "Meier", "1940"):
        assert personal not in flat
    assert _follow_ups(server, client["id"])[0][4] == "done"


def _arranged_offer(server, need: str, not_id: str = "") -> str:
    """An accepting offer for `need` of an organisation not on Passerelle (the nurse arranges it)."""
    return server.database.execute(
        "SELECT s.id FROM directory_service s JOIN directory_organization o ON o.id = s.organization_id "
        "JOIN directory_service_tag t ON t.service_id = s.id WHERE o.organisation_id IS NULL "
        "AND t.kind = 'need_domain' AND t.value = :n AND s.capacity_status = 'accepting' AND s.id != :x "
        "AND s.status = 'active' ORDER BY s.id LIMIT 1",
        n=need,
        x=not_id,
    )[0][0]


def test_the_last_two_referrals_closing_at_once_make_one_follow_up(server, nurse):
    """Each closing reads the other referral; without the screening's row lock, on PostgreSQL
    each saw the other still open and no follow-up was made at all."""
    client_id = nurse.client(name="F. L.")
    screening_id = nurse.screening(client_id, {**LONELY, **CARER})
    offers = [f"caring_relatives:{_relief(server)}", f"loneliness:{_arranged_offer(server, 'loneliness')}"]
    sent = nurse.send(screening_id, offers, accept_warnings="yes")
    assert sent.status_code == 303, sent.text[:800]
    ids = [r[0] for r in server.database.execute("SELECT id FROM referral WHERE client_id = :c", c=client_id)]
    assert len(ids) == 2
    sessions = []
    for _ in ids:
        http = httpx.Client(base_url=server.url, timeout=30)
        login(http, "pflege")
        sessions.append((http, csrf_from(http.get("/").text)))
    try:

        def close(i: int) -> int:
            http, csrf = sessions[i]
            data = {"csrf_token": csrf, "outcome": "help_started", "note": ""}
            return http.post(f"/referrals/{ids[i]}/outcome", data=data).status_code

        assert _together(2, close) == [303, 303]
    finally:
        for http, _ in sessions:
            http.close()
    rows = _follow_ups(server, client_id)
    assert len(rows) == 1
    assert rows[0][1] == "after-help" and sorted(_as_json(rows[0][2])) == ["caring_relatives", "loneliness"]


def test_two_nurses_closing_one_follow_up_at_once_count_it_once(server, token):
    """Both read it due; without the follow-up's row lock, on PostgreSQL both skipped it (two
    audit entries, two tallies). Now the second waits, sees it closed and gets 409."""
    _, follow_up_id = _helped(server, token, "F. M.")
    _make_due_now(server, follow_up_id)
    sessions = []
    for _ in range(2):
        http = httpx.Client(base_url=server.url, timeout=30)
        login(http, "pflege")
        sessions.append((http, csrf_from(http.get("/").text)))
    try:

        def skip(i: int) -> int:
            http, csrf = sessions[i]
            data = {"csrf_token": csrf, "skip_reason": ("moved", "not-reachable")[i]}
            return http.post(f"/follow-ups/{follow_up_id}/skip", data=data).status_code

        assert sorted(_together(2, skip)) == [303, 409]
    finally:
        for http, _ in sessions:
            http.close()
    updates = server.database.execute(
        "SELECT count(*) FROM audit_event WHERE action = 'update' AND subject_type = 'follow_up' "
        "AND subject_id = :f",
        f=follow_up_id,
    )
    assert updates == [(1,)]
