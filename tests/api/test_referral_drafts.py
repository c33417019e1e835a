"""A proposed referral (a draft: the receiving side rejected and proposed another
organisation's offer) stays with the referring nurse until the client agreed and it is sent:
the proposed organisation neither sees it nor acts on it, and no report counts it."""

from __future__ import annotations

import httpx
import pytest

from tests.support import api_referral, cli, csrf_from, login, offer_of

ACTIONS = {
    "accept": {},
    "reject": {"reason": "no_capacity"},
    "assign": {"assignee": ""},
    "contacts": {"on": "", "channel": "phone", "reached": "yes"},
    "notes": {"note": "Vor der Einwilligung angerufen"},
    "progress": {"status": "in-progress"},
    "close": {"outcome": "advice_given"},
}
WRITTEN = (
    "SELECT (SELECT count(*) FROM contact_attempt WHERE referral_id = :r), "
    "(SELECT count(*) FROM case_note WHERE referral_id = :r), "
    "(SELECT count(*) FROM referral_event WHERE referral_id = :r), "
    "(SELECT count(*) FROM audit_event WHERE subject_id = :r), "
    "(SELECT coalesce(sum(count), 0) FROM report_referral_wait), "
    "(SELECT coalesce(sum(count), 0) FROM report_referral_tally)"
)


@pytest.fixture(scope="module")
def proposal(server) -> str:
    """pflege refers to Pro Senectute Kanton Bern (koordination's), which rejects and proposes
    an offer of Pro Senectute Arc jurassien (coordination's): the proposal's id."""
    token = cli("tokens", "create", "--user", "pflege", "--name", "drafts", env=server.env).stdout.strip()
    _, referral_id = api_referral(server, token, "D. E.")
    other = offer_of(server, "Pro Senectute Arc jurassien", "administration")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "koordination")
        csrf = csrf_from(http.get(f"/inbox/{referral_id}").text)
        rejected = http.post(
            f"/inbox/{referral_id}/reject",
            data={"csrf_token": csrf, "reason": "not_our_offer", "forward_to": other},
        )
        assert rejected.status_code == 303
    [(proposal_id, status)] = server.database.execute(
        "SELECT id, status FROM referral WHERE forwarded_from = :r", r=referral_id
    )
    assert status == "draft"
    return proposal_id


@pytest.fixture
def proposed(server) -> httpx.Client:
    """The proposed organisation's coordinator."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "coordination")
        yield http


def test_the_proposed_organisation_does_not_see_a_draft(server, proposal, proposed):
    assert proposed.get(f"/inbox/{proposal}").status_code == 404
    for tab in ("new", "received", "accepted", "in_progress", "overdue", "closed"):
        assert proposal not in proposed.get("/inbox", params={"tab": tab}).text, tab
    token = cli(
        "tokens", "create", "--user", "coordination", "--name", "drafts", env=server.env
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(f"{server.url}/api/v1/referrals", headers=headers)
    assert listed.status_code == 200 and proposal not in listed.text
    assert httpx.get(f"{server.url}/api/v1/referrals/{proposal}", headers=headers).status_code == 404
    assert server.database.execute("SELECT status FROM referral WHERE id = :r", r=proposal) == [("draft",)]


def test_the_start_page_does_not_count_a_draft(server, proposal, proposed):
    home = proposed.get("/").text
    server.database.execute("UPDATE referral SET status = 'requested' WHERE id = :r", r=proposal)
    try:
        sent_home = proposed.get("/").text
    finally:
        server.database.execute("UPDATE referral SET status = 'draft' WHERE id = :r", r=proposal)
    assert home != sent_home  # the count would change once it is sent…
    assert proposed.get("/").text == home  # …and a draft is not counted


@pytest.mark.parametrize("action", ACTIONS)
def test_no_case_action_on_a_draft(server, proposal, proposed, action):
    before = server.database.execute(WRITTEN, r=proposal)
    token = csrf_from(proposed.get("/").text)
    answer = proposed.post(f"/inbox/{proposal}/{action}", data={"csrf_token": token, **ACTIONS[action]})
    assert answer.status_code == 404
    assert server.database.execute(WRITTEN, r=proposal) == before
    assert server.database.execute(
        "SELECT status, assigned_to, first_contact_at FROM referral WHERE id = :r", r=proposal
    ) == [("draft", None, None)]


def test_the_referring_nurse_still_sees_and_sends_the_draft(server, proposal, proposed):
    with httpx.Client(base_url=server.url, timeout=10) as nurse:
        login(nurse, "pflege")
        page = nurse.get(f"/referrals/{proposal}")
        assert page.status_code == 200
        sent = nurse.post(
            f"/referrals/{proposal}/send",
            data={
                "csrf_token": csrf_from(page.text),
                "confirmed": "yes",
                "given_by": "client",
                "method": "verbal",
                "scope": "contact",
            },
        )
        assert sent.status_code == 303
    assert proposal in proposed.get("/inbox", params={"tab": "new"}).text
    assert proposed.get(f"/inbox/{proposal}").status_code == 200
