"""A referral to an organisation that is not on Passerelle, in the browser (issue 17, item 3): the
nurse chooses the Red Cross's carer relief, is told she arranges it herself, finds its contact on
the referral's page, prints the letter in the client's language (French) and records that help
started; the page then shows the referral closed. axe on the referral page and the letter."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ARTIFACTS
from tests.e2e.helpers import log_in, serious_violations

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "referrals"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_nurse_arranges_a_referral_herself(e2e_server, page: Page):
    relief = e2e_server.database.execute(
        "SELECT s.id FROM directory_service s JOIN directory_organization o ON o.id = s.organization_id "
        "WHERE o.name = 'Schweizerisches Rotes Kreuz Kanton Bern' AND o.organisation_id IS NULL "
        "AND s.name_de = 'Entlastung für betreuende Angehörige'"
    )[0][0]
    page.set_viewport_size({"width": 1024, "height": 768})
    log_in(page, e2e_server.url, "pflege")
    page.goto(e2e_server.url + "/clients/new")
    page.get_by_label("Name oder Initialen").fill("C. F.")
    page.get_by_label("Geburtsjahr").fill("1944")
    page.get_by_label("Gemeinde oder Postleitzahl").fill("Langnau im Emmental")
    page.get_by_label("Bevorzugte Sprache").select_option("fr")
    page.locator("form.stack button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("C. F.")
    page.get_by_role("button", name="Abklärung beginnen").click()
    page.locator("#i-carer-yes-exhausted").check()
    page.get_by_role("button", name="Abschliessen und Bedarf anzeigen").click()

    # Choosing: the summary and the consent step say that the nurse arranges it herself.
    choice = page.locator(f"li.offer:has(#o-caring_relatives-{relief})")
    expect(choice.locator(".badge.arranged")).to_have_text("Nicht auf Passerelle: Sie vermitteln selbst")
    choice.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    choice.screenshot(path=str(SHOTS / "summary-offer-not-on-passerelle.png"))
    page.locator(f"#o-caring_relatives-{relief}").check()
    page.get_by_role("button", name="Weiter zur Einwilligung").click()
    expect(page.locator(".arranged-note")).to_contain_text("Diese Organisation ist nicht auf Passerelle")
    _shot(page, "consent-step-not-on-passerelle")
    page.get_by_label("Mündlich").check()
    page.get_by_label(re.compile("Die Person ist einverstanden")).check()
    accept = page.locator("#accept_warnings")
    if accept.count():
        accept.check()
    page.get_by_role("button", name="Zuweisungen senden").click()

    sent = page.locator("section", has=page.get_by_role("heading", name="Gesendete Zuweisungen"))
    expect(sent.locator(".status-ready")).to_have_text("Selbst zu vermitteln")
    sent.get_by_role("link", name="Entlastung für betreuende Angehörige").click()

    # The referral's page: who acts next, the contact, the letter, the outcome form.
    expect(page.locator("#next-actor")).to_contain_text("Sie. Diese Organisation ist nicht auf Passerelle")
    contact = page.locator("section.arrange")
    expect(contact.get_by_role("link", name="+41 31 919 09 09")).to_have_attribute("href", "tel:+41319190909")
    expect(contact.get_by_role("link", name="kvbe@srk-bern.ch")).to_have_attribute(
        "href", "mailto:kvbe@srk-bern.ch"
    )
    expect(contact).to_contain_text("Bernstrasse 162")
    expect(page.get_by_role("heading", name="Was die Organisation erhalten hat")).to_have_count(0)
    assert serious_violations(page) == []
    _shot(page, "arranged-referral-page")
    referral_url = page.url
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    _shot(page, "arranged-referral-page-360")
    page.set_viewport_size({"width": 1024, "height": 768})

    page.get_by_role("link", name="Zuweisungsbrief (drucken)").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orientation : Proches aidant·e·s épuisé·e·s")
    letter = page.locator("article.letter")
    expect(letter).to_contain_text("Spitex Demo Emmental")
    expect(letter).to_contain_text("Relève pour proches aidants")
    expect(letter).to_contain_text("+41 31 919 09 09")
    expect(letter).to_contain_text("C. F.")
    assert serious_violations(page) == []
    _shot(page, "referral-letter-fr")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(letter.locator("[data-print]")).to_be_hidden()
    _shot(page, "referral-letter-fr-print")
    page.emulate_media(media="screen")

    page.goto(referral_url)
    page.get_by_role("button", name="Ergebnis speichern").click()  # nothing chosen
    expect(page.locator("#outcome-error")).to_have_text("Wählen Sie aus, was geschehen ist.")
    expect(page.locator("#outcome-help_started")).to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []
    page.get_by_label("Hilfe begonnen").check()
    page.get_by_role("button", name="Ergebnis speichern").click()
    expect(page.locator(".page-head .status")).to_have_text("Abgeschlossen")
    expect(page.locator(".page-head")).to_contain_text("Abgeschlossen: Hilfe begonnen")
    expect(page.locator("#next-actor")).to_contain_text("keiner, diese Zuweisung ist abgeschlossen")
    expect(page.locator("input[name=outcome]")).to_have_count(0)
    assert serious_violations(page) == []
    _shot(page, "arranged-referral-closed")
