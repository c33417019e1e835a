"""Follow-ups in the browser (issue 19): a French-speaking nurse sees the due follow-up on her
start page, records it online (one need better, the wellbeing questions after the client's
agreement) and sees it leave the due list; a German-speaking nurse skips one, first without a
reason (told what is missing), then because the client moved."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from backend.i18n import translate
from tests.e2e.helpers import log_in, serious_violations
from tests.support import api_referral, cli, csrf_from, login

pytestmark = pytest.mark.e2e


def _due_follow_up(server, nurse: str, name: str, municipality: int, language: str, days_ago: int) -> str:
    """A client of `nurse`'s organisation whose referral Pro Senectute closed with help started,
    the follow-up made due `days_ago` days ago: its id."""
    token = cli("tokens", "create", "--user", nurse, "--name", "e2e", env=server.env).stdout.strip()
    client_id, referral_id = api_referral(server, token, name, municipality=municipality, language=language)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "koordination")
        csrf = csrf_from(http.get("/").text)
        assert http.get(f"/inbox/{referral_id}").status_code == 200
        assert http.post(f"/inbox/{referral_id}/accept", data={"csrf_token": csrf}).status_code == 303
        closed = http.post(
            f"/inbox/{referral_id}/close", data={"csrf_token": csrf, "outcome": "help_started"}
        )
        assert closed.status_code == 303
    today = datetime.now(ZoneInfo("Europe/Zurich")).date()
    follow_up_id = server.database.execute("SELECT id FROM follow_up WHERE client_id = :c", c=client_id)[0][0]
    server.database.execute(
        "UPDATE follow_up SET due_on = :d WHERE id = :f", d=today - timedelta(days=days_ago), f=follow_up_id
    )
    return follow_up_id


def _row(server, follow_up_id: str) -> tuple[str, str | None, dict]:
    status, skip_reason, answers = server.database.execute(
        "SELECT status, skip_reason, answers FROM follow_up WHERE id = :f", f=follow_up_id
    )[0]
    return status, skip_reason, answers if isinstance(answers, dict) else json.loads(answers)


def test_a_french_nurse_records_a_follow_up_online(e2e_server, page: Page):
    follow_up_id = _due_follow_up(e2e_server, "soins", "N. P.", 446, "fr", days_ago=3)
    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, e2e_server.url, "soins")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    due_list = page.locator("section", has=page.get_by_role("heading", name="Suivis à faire"))
    link = due_list.get_by_role("link", name="Suivi à faire : N. P., depuis 3 jours")
    expect(link).to_be_visible()
    link.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(translate("fr", "Follow-up – did it help?"))
    need = page.locator('[id="q-need-change:loneliness"]')
    expect(need.locator("legend")).to_contain_text("Solitude et isolement social : ")
    expect(page.locator('[id="q-ons4-happy"]')).to_have_count(0)  # not before the agreement
    assert serious_violations(page) == []
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    need.get_by_label(translate("fr", "Better")).check()
    page.locator('[id="q-wellbeing-consent"]').get_by_label(translate("fr", "Yes, the client agrees")).check()
    for link_id, value in (
        ("ons4-life-satisfaction", "7"),
        ("ons4-worthwhile", "8"),
        ("ons4-happy", "6"),
        ("ons4-anxious", "3"),
    ):
        option = page.locator(f'[id="i-{link_id}-{value}"]')
        expect(option).to_be_visible()  # shown once the agreement is given
        option.check()
    page.get_by_role("button", name="Enregistrer le suivi").click()

    expect(page.get_by_role("heading", name="Le suivi est enregistré.")).to_be_visible()
    status, _, answers = _row(e2e_server, follow_up_id)
    assert status == "done"
    assert answers["need-change:loneliness"] == "better"
    assert [
        answers[k] for k in ("ons4-life-satisfaction", "ons4-worthwhile", "ons4-happy", "ons4-anxious")
    ] == [
        "7",
        "8",
        "6",
        "3",
    ]
    page.get_by_role("link", name="Retour à la page d’accueil").click()
    expect(page.get_by_role("link", name="Suivi à faire : N. P., depuis 3 jours")).to_have_count(0)


def test_a_german_nurse_skips_a_follow_up_with_a_reason(e2e_server, page: Page):
    follow_up_id = _due_follow_up(e2e_server, "pflege", "S. K.", 902, "de", days_ago=1)
    log_in(page, e2e_server.url, "pflege")
    page.get_by_role("link", name="Nachfrage fällig: S. K., seit 1 Tag").click()
    skip = page.locator("section", has=page.get_by_role("heading", name="Nachfragen nicht möglich?"))
    skip.get_by_role("button", name="Nachfrage auslassen").click()
    expect(page.locator("#skip-error")).to_have_text("Wählen Sie, warum nicht nachgefragt wird.")
    assert _row(e2e_server, follow_up_id)[0] == "due"

    skip = page.locator("section", has=page.get_by_role("heading", name="Nachfragen nicht möglich?"))
    skip.get_by_label("Die Person ist weggezogen").check()
    skip.get_by_role("button", name="Nachfrage auslassen").click()
    expect(page.get_by_role("heading", name="Die Nachfrage wurde ausgelassen.")).to_be_visible()
    expect(page.get_by_text("Grund: Die Person ist weggezogen")).to_be_visible()
    assert _row(e2e_server, follow_up_id)[:2] == ("skipped", "moved")
    page.goto(e2e_server.url + "/")
    expect(page.get_by_role("link", name="Nachfrage fällig: S. K., seit 1 Tag")).to_have_count(0)
