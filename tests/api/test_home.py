"""The nurse's start page over HTTP on SQLite and PostgreSQL (issue 17, item 10): what became of
her organisation's referrals in the last 14 days, newest first; older closings, and other
organisations' referrals, are not shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.support import api_referral, cli, csrf_from, login


def _close(server, referral_id: str, outcome: str) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        login(http, "koordination")
        token = csrf_from(http.get("/").text)
        http.get(f"/inbox/{referral_id}")  # opening marks it received
        assert http.post(f"/inbox/{referral_id}/accept", data={"csrf_token": token}).status_code == 303
        http.post(
            f"/inbox/{referral_id}/contacts", data={"csrf_token": token, "channel": "phone", "reached": "1"}
        )
        assert (
            http.post(
                f"/inbox/{referral_id}/close", data={"csrf_token": token, "outcome": outcome}
            ).status_code
            == 303
        )


def _closed_days_ago(server, referral_id: str, days: int) -> None:
    at = datetime.now(UTC) - timedelta(days=days)
    if "sqlite" in server.database.url:  # stored naive, in UTC
        server.database.execute(
            "UPDATE referral SET closed_at = :at WHERE id = :id",
            at=at.replace(tzinfo=None).isoformat(" "),
            id=referral_id,
        )
    else:
        server.database.execute("UPDATE referral SET closed_at = :at WHERE id = :id", at=at, id=referral_id)


def _outcomes(html: str) -> str:
    start = html.index('id="outcomes-title"')
    return html[start : html.index("</section>", start)]


def test_recent_outcomes_on_the_nurse_start_page(server):
    token = cli("tokens", "create", "--user", "pflege", "--name", "home", env=server.env).stdout.strip()
    _, recent = api_referral(server, token, "Q. R.", organization="Pro Senectute Kanton Bern")
    _, older = api_referral(server, token, "Q. S.", organization="Pro Senectute Kanton Bern")
    _close(server, recent, "help_started")
    _close(server, older, "not_reachable")
    _closed_days_ago(server, recent, 3)
    _closed_days_ago(server, older, 15)
    with httpx.Client(base_url=server.url, timeout=30) as nurse:
        login(nurse, "pflege")
        shown = _outcomes(nurse.get("/").text)
        assert f'href="/referrals/{recent}"' in shown
        assert "Hilfe begonnen" in shown and "vor 3 Tagen" in shown
        assert f'href="/referrals/{older}"' not in shown  # closed 15 days ago
    with httpx.Client(base_url=server.url, timeout=30) as other:
        login(other, "soins")  # another organisation's nurse
        html = other.get("/").text
        assert f'href="/referrals/{recent}"' not in html and "Q. R." not in html
