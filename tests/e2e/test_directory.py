"""The directory in the browser: live filtering as you type, details, accessibility."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, serious_violations

pytestmark = pytest.mark.e2e


def test_nurse_finds_visiting_services_for_langnau_as_she_types(e2e_server, page):
    log_in(page, e2e_server.url, "pflege")
    page.get_by_role("navigation").get_by_role("link", name="Unterstützungsangebote").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unterstützungsangebote")
    assert serious_violations(page) == []

    page.get_by_label("Gemeinde oder Postleitzahl").fill("Langnau im Emmental")
    page.get_by_label("Gemeinde oder Postleitzahl").press("Tab")
    page.get_by_label("Suchbegriffe").press_sequentially("Einsamkeit", delay=20)
    # htmx swaps the results in place: the page itself is not reloaded.
    page.evaluate("() => { window.__notReloaded = true; }")
    # The address follows the filters, so a search can be shared and the back button works.
    expect(page).to_have_url(re.compile(r"q=Einsamkeit"), timeout=10_000)
    first = page.locator(".offer-list > li").first
    expect(first.locator(".badge").first).to_have_text("In dieser Gemeinde", timeout=10_000)
    expect(first).to_contain_text("Einsamkeit")
    assert page.evaluate("() => window.__notReloaded === true")

    first.get_by_role("heading").get_by_role("link").click()
    expect(page.get_by_role("heading", level=2, name="Was angeboten wird")).to_be_visible()
    expect(page.get_by_text("Demo-Verzeichnis")).to_be_visible()
    assert serious_violations(page) == []


def test_french_relief_offers_for_saint_imier(e2e_server, browser):
    context = browser.new_context(locale="fr-CH", viewport={"width": 360, "height": 800})
    try:
        page = context.new_page()
        log_in(page, e2e_server.url, "soins")
        page.goto(e2e_server.url + "/directory?q=proches+aidants&place=Saint-Imier")
        expect(page.get_by_role("heading", level=2, name="offres trouvées")).to_be_visible()
        expect(page.locator(".offer-list > li").first).to_contain_text("proches aidants")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        assert serious_violations(page) == []
    finally:
        context.close()


def test_search_works_without_javascript(e2e_server, browser):
    context = browser.new_context(java_script_enabled=False, locale="de-CH")
    try:
        page = context.new_page()
        log_in(page, e2e_server.url, "pflege")
        page.goto(e2e_server.url + "/directory")
        page.get_by_label("Suchbegriffe").fill("Budget")
        page.get_by_role("button", name="Suchen").click()
        expect(page).to_have_url(
            e2e_server.url + "/directory?q=Budget&place=&need=&language=&phase=&age=&access="
        )
        expect(page.locator(".offer-list > li").first).to_be_visible()
    finally:
        context.close()


def test_admin_edits_an_offer_and_sees_it_in_the_history(e2e_server, page):
    log_in(page, e2e_server.url, "admin")
    page.get_by_role("navigation").get_by_role("link", name="Unsere Angebote").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsere Angebote")
    assert serious_violations(page) == []
    page.locator("table a").first.click()
    page.get_by_role("link", name="Angebot bearbeiten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angebot bearbeiten")
    assert serious_violations(page) == []
    page.get_by_label("Öffnungszeiten (Deutsch)").fill("Di und Do 14–17 Uhr")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Di und Do 14–17 Uhr")).to_be_visible()
    expect(page.locator(".history li").first).to_contain_text("Demo Admin")
    expect(page.locator(".history li").first).to_contain_text("hours_de")
    assert serious_violations(page) == []
