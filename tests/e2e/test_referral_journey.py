"""The nurse's whole journey in the browser: a demo client, the screening, two matching
offers, verbal consent, two referrals ('requested', or 'ready' for an organisation not on
Passerelle); in German and in French.
axe-core is run on every step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, serious_violations

pytestmark = pytest.mark.e2e

JOURNEYS = {
    "de": {
        "user": "pflege",
        "client": "H. M.",
        "place": "Langnau im Emmental",
        "clients": "Klientinnen und Klienten",
        "start": "Abklärung beginnen",
        "finish": "Abschliessen und Bedarf anzeigen",
        "loneliness": "Einsamkeit und soziale Isolation",
        "carer": "Belastete betreuende Angehörige",
        "continue": "Weiter zur Einwilligung",
        "verbal": "Mündlich",
        "agree": "Die Person ist einverstanden",
        "send": "Zuweisungen senden",
        "no_consent": "Ohne Einwilligung kann keine Zuweisung gesendet werden",
        "sent": "Gesendete Zuweisungen",
        "status": "Gesendet",
        "arrange": "Selbst zu vermitteln",
        "referrals": "Zuweisungen",
        "handout": "Übersicht für die Klientin / den Klienten (drucken)",
        "handout_title": "Ihre Unterstützungsangebote",
    },
    "fr": {
        "user": "soins",
        "client": "J. R.",
        "place": "Tramelan",
        "clients": "Client·e·s",
        "start": "Commencer une évaluation",
        "finish": None,  # looked up from the catalog below
        "loneliness": None,
        "carer": None,
        "continue": "Continuer vers le consentement",
        "verbal": "Oralement",
        "agree": "La personne accepte",
        "send": "Envoyer les orientations",
        "no_consent": "Sans consentement, aucune orientation ne peut être envoyée",
        "sent": "Orientations envoyées",
        "status": None,
        "arrange": None,
        "referrals": "Orientations",
        "handout": "Résumé pour la personne (imprimer)",
        "handout_title": "Vos offres de soutien",
    },
}


def _french(msgid: str) -> str:
    from backend.i18n import translate

    return translate("fr", msgid)


@pytest.mark.parametrize("language", ["de", "fr"])
def test_nurse_screens_and_sends_two_referrals(e2e_server, page: Page, language: str):
    words = dict(JOURNEYS[language])
    if language == "fr":
        words.update(
            finish=_french("Finish and see the needs"),
            loneliness=_french("Loneliness and social isolation"),
            carer=_french("Caring relatives under strain"),
            status=_french("Sent"),
            arrange=_french("To arrange yourself"),
        )
    log_in(page, e2e_server.url, words["user"])
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_role("navigation").get_by_role("link", name=words["clients"]).click()
    page.get_by_role("link", name=words["client"]).click()
    expect(page.get_by_text(words["place"])).to_be_visible()
    page.get_by_role("button", name=words["start"]).click()
    assert serious_violations(page) == []

    for name in ("ucla-companionship", "ucla-left-out", "ucla-isolated"):
        page.locator(f"#q-{name} input[type=radio]").nth(2).check()  # "often"
    page.locator("#i-carer-yes-exhausted").check()
    expect(page.locator("#q-carer input:checked")).to_have_count(1)
    page.get_by_role("button", name=words["finish"]).click()

    expect(page.get_by_role("heading", level=2, name=re.compile(words["loneliness"]))).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=re.compile(words["carer"]))).to_be_visible()
    assert serious_violations(page) == []
    lonely = page.locator(
        "section.need", has=page.get_by_role("heading", name=re.compile(words["loneliness"]))
    )
    carer = page.locator("section.need", has=page.get_by_role("heading", name=re.compile(words["carer"])))
    lonely.locator("input[name=offer]:not([disabled])").first.check()
    carer.locator("input[name=offer]:not([disabled])").first.check()
    page.get_by_role("button", name=words["continue"]).click()

    expect(page.locator("input[type=hidden][name=offer]")).to_have_count(2)
    assert serious_violations(page) == []
    # Sending without the consent box is refused, and the choice is still there.
    page.get_by_role("button", name=words["send"]).click()
    expect(page.get_by_text(words["no_consent"])).to_be_visible()
    expect(page.locator("input[type=hidden][name=offer]")).to_have_count(2)
    assert serious_violations(page) == []
    page.get_by_label(words["verbal"]).check()
    page.get_by_label(re.compile(words["agree"])).check()
    page.get_by_role("button", name=words["send"]).click()

    sent = page.locator("section", has=page.get_by_role("heading", name=words["sent"]))
    # Sent to an organisation on Passerelle; to arrange by the nurse for one that is not.
    statuses = sent.locator(".status-requested, .status-ready")
    expect(statuses).to_have_count(2)
    labels = {words["status"], words["arrange"]}
    assert set(statuses.all_inner_texts()) <= labels
    assert serious_violations(page) == []

    page.get_by_role("navigation").get_by_role("link", name=words["referrals"]).click()
    rows = page.locator("table.referrals tbody tr", has_text=words["client"])
    expect(rows).to_have_count(2)
    assert serious_violations(page) == []
    rows.first.get_by_role("link").click()
    expect(page.locator(".page-head .status")).to_have_text(re.compile("|".join(map(re.escape, labels))))
    expect(page.locator("#next-actor")).to_be_visible()
    assert serious_violations(page) == []

    page.go_back()
    page.go_back()
    page.get_by_role("link", name=words["handout"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["handout_title"])
    expect(page.locator("section.handout-offer")).to_have_count(2)
    assert serious_violations(page) == []


def test_leaving_a_draft_asks_whether_to_keep_it(e2e_server, page: Page):
    log_in(page, e2e_server.url, "pflege")
    page.get_by_role("navigation").get_by_role("link", name="Klientinnen und Klienten").click()
    page.get_by_role("link", name="W. S.").click()
    page.get_by_role("button", name="Abklärung beginnen").click()
    page.locator("#q-ucla-companionship input[type=radio]").first.check()
    page.get_by_role("navigation").get_by_role("link", name="Unterstützungsangebote").click()
    dialog = page.get_by_role("dialog", name="Entwurf behalten?")
    expect(dialog).to_be_visible()
    assert serious_violations(page) == []
    dialog.get_by_role("button", name="Hier bleiben").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("navigation").get_by_role("link", name="Unterstützungsangebote").click()
    dialog.get_by_role("button", name="Entwurf verwerfen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("W. S.")
    expect(page.get_by_text("Noch keine Abklärung")).to_be_visible()
