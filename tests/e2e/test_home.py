"""Each role lands on its own start page; the layout holds from 320 px phones upwards."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from backend.i18n import translate
from backend.vocab import NEED_DOMAINS
from tests.e2e.helpers import log_in, serious_violations
from tests.support import api_referral, cli, csrf_from, login

pytestmark = pytest.mark.e2e

HOMES = [
    ("pflege", "Pflegefachperson · Spitex Demo Emmental", "Abklärungen"),
    ("koordination", "Koordinator/in · Pro Senectute Demo Bern", "Eingang"),
    ("analyse", "Analyst/in · Kanton Bern Demo", "Auswertungen"),
    ("admin", "Administrator/in", "Administration"),
]


@pytest.mark.parametrize(("username", "lead", "section"), HOMES)
def test_role_home_pages(e2e_server, page, username, lead, section):
    log_in(page, e2e_server.url, username)
    expect(page.locator(".page-head .lead")).to_have_text(lead)
    expect(page.get_by_role("heading", level=2, name=section)).to_be_visible()
    admin_link = page.get_by_role("navigation").get_by_role("link", name="Administration")
    expect(admin_link).to_have_count(1 if username == "admin" else 0)
    assert serious_violations(page) == []


def test_admin_sees_organisations_and_accounts(e2e_server, page):
    log_in(page, e2e_server.url, "admin")
    page.get_by_role("navigation").get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    expect(page.get_by_role("cell", name="Spitex Demo Emmental", exact=False).first).to_be_visible()
    spitex = page.get_by_role("row").filter(has_text="Spitex Demo Emmental")
    expect(spitex.get_by_role("cell", name="Emmental", exact=True)).to_be_visible()  # its district
    expect(page.get_by_role("cell", name="pflege", exact=True)).to_be_visible()
    assert serious_violations(page) == []


def test_nurse_cannot_open_administration(e2e_server, page):
    log_in(page, e2e_server.url, "pflege")
    response = page.goto(e2e_server.url + "/admin")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Kein Zugriff")


@pytest.mark.parametrize("width", [320, 360, 768, 1280])
def test_no_horizontal_scrolling(e2e_server, browser, width):
    """320 CSS px is what a 1280 px screen shows at 400 % zoom, and a 640 px one at 200 %."""
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-CH")
    try:
        page = context.new_page()
        page.goto(e2e_server.url + "/login")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        log_in(page, e2e_server.url, "soins")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def test_keyboard_reaches_skip_link_first(e2e_server, page):
    log_in(page, e2e_server.url, "pflege")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Zum Inhalt springen")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(e2e_server.url + "/#main")
    expect(page.locator("#main")).to_be_focused()


def test_login_form_focuses_the_first_field(e2e_server, page):
    page.goto(e2e_server.url + "/login")
    expect(page.locator("#username")).to_be_focused()


def test_login_and_error_pages_are_accessible(e2e_server, page):
    for path in ["/login", "/does-not-exist", "/offline/fr"]:
        page.goto(e2e_server.url + path)
        assert serious_violations(page) == [], path


def _close_with_outcome(server, referral_id: str, outcome: str) -> None:
    """The receiving coordinator opens, accepts, reaches the client and closes the referral."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        login(http, "koordination")
        token = csrf_from(http.get("/").text)
        http.get(f"/inbox/{referral_id}")  # opening marks it received
        assert http.post(f"/inbox/{referral_id}/accept", data={"csrf_token": token}).status_code == 303
        http.post(
            f"/inbox/{referral_id}/contacts", data={"csrf_token": token, "channel": "phone", "reached": "1"}
        )
        closed = http.post(f"/inbox/{referral_id}/close", data={"csrf_token": token, "outcome": outcome})
        assert closed.status_code == 303


@pytest.fixture(scope="module")
def same_initials(e2e_server) -> None:
    """Two clients "H. M." of the nurse: one referral closed yesterday as "help started", one
    sent today."""
    token = cli("tokens", "create", "--user", "pflege", "--name", "home", env=e2e_server.env).stdout
    _, closed = api_referral(
        e2e_server, token.strip(), "H. M.", need="loneliness", organization="Pro Senectute Kanton Bern"
    )
    api_referral(
        e2e_server,
        token.strip(),
        "H. M.",
        need="administration",
        organization="Pro Senectute Kanton Bern",
    )
    _close_with_outcome(e2e_server, closed, "help_started")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None)
    e2e_server.database.execute(
        "UPDATE referral SET closed_at = :at WHERE id = :id", at=yesterday.isoformat(" "), id=closed
    )


@pytest.mark.parametrize("language", ["de", "fr"])
def test_nurse_start_page_shows_recent_outcomes_and_tells_links_apart(
    e2e_server, browser, same_initials, language
):
    """Issue 17, item 10: the start page shows what became of the referrals (outcome and day);
    issue 20, item 9: two clients with the same initials get links with different names."""

    def t(msgid: str, **params: object) -> str:
        return translate(language, msgid, **params)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=f"{language}-CH")
    try:
        page = context.new_page()
        log_in(page, e2e_server.url, "pflege")
        if language == "fr":
            page.locator(".language-switcher button[lang=fr]").click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        outcomes = page.locator(
            "section", has=page.get_by_role("heading", name=t("What became of my referrals"))
        )
        help_started = t("Help started")
        item = outcomes.get_by_role("listitem").filter(has_text="H. M.")
        expect(item).to_have_count(1)
        expect(item).to_contain_text(help_started)
        expect(item).to_contain_text(t("yesterday"))
        outcome_name = "H. M. – " + t("%(outcome)s, %(when)s", outcome=help_started, when=t("yesterday"))
        expect(outcomes.get_by_role("link", name=outcome_name, exact=True)).to_have_count(1)
        sent_name = "H. M. – " + t(
            "%(need)s, sent %(when)s", need=t(NEED_DOMAINS["administration"]), when=t("today")
        )
        expect(page.get_by_role("link", name=sent_name, exact=True)).to_have_count(1)
        links = page.get_by_role("link", name=re.compile(r"^H\. M\."))
        names = [link.text_content() for link in links.all()]
        assert len(names) == 2 and len(set(names)) == 2, names
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width
            assert serious_violations(page) == []
    finally:
        context.close()
