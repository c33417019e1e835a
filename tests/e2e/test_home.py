"""Each role lands on its own start page; the layout holds from 320 px phones upwards."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, serious_violations

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
