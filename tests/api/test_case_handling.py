"""The receiving side over HTTP: only the addressed organisation sees a referral and its notes;
case actions validate; overdue referrals are listed and reminded once a day; the audit log
for admins; a client's data exported and erased (anonymous statistics kept)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.api.test_concurrency import _together
from tests.support import ANSWERS, api_referral, cli, csrf_from, login


@pytest.fixture(scope="module")
def nurse_token(server) -> str:
    return cli("tokens", "create", "--user", "pflege", "--name", "cases", env=server.env).stdout.strip()


@contextmanager
def browser(server, user: str) -> Iterator[tuple[httpx.Client, str]]:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, user)
        yield http, csrf_from(http.get("/").text)


def test_only_the_addressed_organisation_sees_the_case(server, nurse_token):
    _, referral_id = api_referral(server, nurse_token, "K. K.", phone="0791112233")
    with browser(server, "coordination") as (other, token):
        assert other.get(f"/inbox/{referral_id}").status_code == 404
        assert (
            other.post(f"/inbox/{referral_id}/notes", data={"csrf_token": token, "note": "x"}).status_code
            == 404
        )
        assert other.post(f"/inbox/{referral_id}/accept", data={"csrf_token": token}).status_code == 404
        assert referral_id not in other.get("/inbox?tab=new").text
        assert other.get("/admin/audit").status_code == 403
    with browser(server, "koordination") as (own, token):
        assert (
            own.post(
                f"/inbox/{referral_id}/notes", data={"csrf_token": token, "note": "Sohn anrufen"}
            ).status_code
            == 303
        )
        page = own.get(f"/inbox/{referral_id}").text
        assert "Sohn anrufen" in page and "K. K." in page
    with browser(server, "pflege") as (nurse, _):
        assert nurse.get(f"/inbox/{referral_id}").status_code == 403
        assert "Sohn anrufen" not in nurse.get(f"/referrals/{referral_id}").text


def test_case_actions_explain_what_is_wrong(server, nurse_token):
    _, referral_id = api_referral(server, nurse_token, "L. L.", phone="0791112233")
    with browser(server, "koordination") as (http, token):
        http.get(f"/inbox/{referral_id}")
        assert http.post(f"/inbox/{referral_id}/accept", data={"csrf_token": token}).status_code == 303
        future = http.post(
            f"/inbox/{referral_id}/contacts",
            data={"csrf_token": token, "on": "2999-01-01", "channel": "phone"},
        )
        assert future.status_code == 422 and "nicht in der Zukunft" in future.text
        stranger = server.database.execute("SELECT id FROM user_account WHERE username = 'coordination'")[0][
            0
        ]
        assign = http.post(
            f"/inbox/{referral_id}/assign", data={"csrf_token": token, "assignee": str(stranger)}
        )
        assert assign.status_code == 422 and "aus Ihrer Organisation" in assign.text
        wrong = http.post(f"/inbox/{referral_id}/progress", data={"csrf_token": token, "status": "completed"})
        assert wrong.status_code == 422
        again = http.post(f"/inbox/{referral_id}/accept", data={"csrf_token": token})
        assert again.status_code == 422 and "kann nicht von" in again.text
        assert http.post(f"/inbox/{referral_id}/unknown", data={"csrf_token": token}).status_code == 404
        status = server.database.execute(
            "SELECT status, assigned_to FROM referral WHERE id = :r", r=referral_id
        )[0]
        assert status[0] == "accepted" and status[1] is not None


def test_overdue_referrals_are_listed_and_reminded_once_a_day(server, nurse_token):
    _, referral_id = api_referral(server, nurse_token, "M. M.", phone="0791112233")
    server.database.execute(
        "UPDATE referral SET due_at = :t WHERE id = :r", t="2026-01-05 08:00:00+00:00", r=referral_id
    )
    with browser(server, "koordination") as (http, _):
        assert f'href="/inbox/{referral_id}"' in http.get("/inbox?tab=overdue").text
    before = server.database.execute("SELECT count(*) FROM notification WHERE kind = 'overdue'")[0][0]
    cli("worker", "--once", env=server.env)
    cli("worker", "--once", env=server.env)
    after = server.database.execute("SELECT count(*) FROM notification WHERE kind = 'overdue'")
    coordinators = server.database.execute(
        "SELECT count(*) FROM user_account u JOIN organisation o ON o.id = u.organisation_id "
        "WHERE o.name = 'Pro Senectute Demo Bern' AND u.role = 'coordinator'"
    )[0][0]
    assert after[0][0] - before == coordinators  # one reminder per coordinator, not two rounds' worth


def test_audit_log_for_admins(server, nurse_token):
    _, referral_id = api_referral(server, nurse_token, "N. N.", phone="0791112233")
    with browser(server, "koordination") as (own, _):
        own.get(f"/inbox/{referral_id}")
    with browser(server, "admin") as (admin, _):
        page = admin.get("/admin/audit", params={"subject": referral_id}).text
        assert "koordination" in page and "Angesehen" in page and "Erstellt" in page
        assert "N. N." not in page


def test_client_data_is_exported_and_erased_keeping_anonymous_statistics(server, nurse_token):
    client_id, referral_id = api_referral(server, nurse_token, "O. O.", phone="0791112233")
    with browser(server, "pflege") as (nurse, token):
        exported = nurse.get(f"/clients/{client_id}/export")
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        data = exported.json()
        assert data["client"]["display_name"] == "O. O." and data["referrals"][0]["id"] == referral_id
        assert data["screenings"][0]["answers"] == ANSWERS["loneliness"] and data["consents"]
        unconfirmed = nurse.post(f"/clients/{client_id}/erase", data={"csrf_token": token})
        assert unconfirmed.status_code == 422 and "Kreuzen Sie" in unconfirmed.text
        assert (
            nurse.post(
                f"/clients/{client_id}/erase", data={"csrf_token": token, "confirm": "yes"}
            ).status_code
            == 303
        )
        assert nurse.get(f"/clients/{client_id}").status_code == 404
    assert server.database.execute("SELECT count(*) FROM client WHERE id = :c", c=client_id)[0][0] == 0
    assert (
        server.database.execute("SELECT count(*) FROM screening WHERE client_id = :c", c=client_id)[0][0] == 0
    )
    kept = server.database.execute(
        "SELECT client_id, shared, need_domain, district, status FROM referral WHERE id = :r", r=referral_id
    )[0]
    shared = kept[1] if isinstance(kept[1], dict) else json.loads(kept[1])
    assert kept[0] is None and shared == {} and kept[2:] == ("loneliness", "EM", "cancelled")
    actions = [
        a[0]
        for a in server.database.execute(
            "SELECT action FROM audit_event WHERE subject_id = :c ORDER BY id", c=client_id
        )
    ]
    assert "export" in actions and actions[-1] == "erase"


def test_inbox_rows_and_case_errors_at_the_case_address(server, nurse_token):
    """A row shows what lets the coordinator triage (issue 17, item 8) and nothing the case page
    would not; a refused case form answers at the case's own address, the message once, tied to
    its field (issue 20, item 4)."""
    from backend.i18n import translate

    _, referral_id = api_referral(server, nurse_token, "N. Nachname", phone="0791112299", birth_year=1938)
    with browser(server, "koordination") as (http, token):
        page = http.get("/inbox?tab=new").text
        row = page[page.index(f'href="/inbox/{referral_id}"') :]
        row = row[: row.index("</tr>")]
        assert '<span class="status status-requested">Neu</span>' in row
        for shown in (
            "Langnau im Emmental",
            "Spitex Demo Emmental",
            'lang="de">Deutsch',
            "Hochaltrige Menschen (80+)",
        ):
            assert shown in row, shown
        for hidden in ("N. Nachname", "1938", "79 111 22 99"):
            assert hidden not in page, hidden
        assert server.database.execute("SELECT status FROM referral WHERE id = :r", r=referral_id)[0][0] == (
            "requested"
        )

        http.get(f"/inbox/{referral_id}")
        refused = http.post(
            f"/inbox/{referral_id}",
            data={"csrf_token": token, "action": "reject", "reason_text": "zu weit weg"},
        )
        assert refused.status_code == 422 and str(refused.url).endswith(f"/inbox/{referral_id}")
        message = translate("de", "Choose a reason.")
        assert refused.text.count(message) == 1
        assert 'id="reason-group" aria-invalid="true" aria-describedby="reject-error"' in refused.text
        assert f'<p class="field-error" id="reject-error">{message}</p>' in refused.text
        assert 'id="error-summary" tabindex="-1" autofocus' in refused.text
        assert 'href="#reason-not_our_offer"' in refused.text
        assert '<details class="reject" open>' in refused.text and ">zu weit weg</textarea>" in refused.text
        assert server.database.execute("SELECT status FROM referral WHERE id = :r", r=referral_id)[0][0] == (
            "received"
        )
        # A refusal with no field of its own is said in the summary, once.
        accepted = http.post(f"/inbox/{referral_id}", data={"csrf_token": token, "action": "accept"})
        assert accepted.status_code == 303 and accepted.headers["location"] == f"/inbox/{referral_id}#accept"
        again = http.post(f"/inbox/{referral_id}", data={"csrf_token": token, "action": "accept"})
        assert again.status_code == 422 and again.text.count("kann nicht von") == 1
        assert '<h2 id="error-summary-title">' in again.text and "aria-invalid" not in again.text
        assert (
            http.post(f"/inbox/{referral_id}", data={"csrf_token": token, "action": "x"}).status_code == 404
        )
        assert (
            http.post(f"/inbox/{referral_id}", data={"action": "accept"}).status_code == 403
        )  # no CSRF token


def test_two_coordinators_on_one_case_at_the_same_moment(server, nurse_token):
    """Opening a new case and deciding on it, by two coordinators at once (PostgreSQL: each
    change locks the referral's row): it is received once, and of accept and reject only one
    happens, the other is refused (422) with the status the first left."""
    with (
        browser(server, "koordination") as (first, token1),
        browser(server, "koordination") as (second, token2),
    ):
        people = [(first, token1), (second, token2)]
        for name in ("P. Q.", "R. S.", "T. U."):
            _, referral_id = api_referral(server, nurse_token, name, phone="0791112233")
            case = f"/inbox/{referral_id}"
            opened = _together(2, lambda i, case=case: people[i][0].get(case).status_code)
            assert opened == [200, 200]
            received = server.database.execute(
                "SELECT count(*) FROM referral_event WHERE referral_id = :r AND to_status = 'received'",
                r=referral_id,
            )[0][0]
            assert received == 1

            def decide(i: int, case: str = case) -> int:
                http, token = people[i]
                if i == 0:
                    return http.post(f"{case}/accept", data={"csrf_token": token}).status_code
                form = {"csrf_token": token, "reason": "no_capacity", "reason_text": "Voll"}
                return http.post(f"{case}/reject", data=form).status_code

            assert sorted(_together(2, decide)) == [303, 422]
            decided = server.database.execute(
                "SELECT count(*) FROM referral_event WHERE referral_id = :r AND to_status IN ('accepted', 'rejected')",
                r=referral_id,
            )[0][0]
            assert decided == 1
