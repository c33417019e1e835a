"""Offer texts shown in the language that is not the page's carry their own `lang` (WCAG 3.1.2,
issue 20, item 2), field by field: German-only demo offers in the French interface, French-only
ones in the German interface, on the directory list, the offer page, the screening summary, the
handout and the organisation's offer list. What is in the page's language stays unmarked."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import log_in
from tests.support import ANSWERS, LiveServer, cli

pytestmark = pytest.mark.e2e

GERMAN_ONLY = "Sozialdienst Langnau im Emmental"
FRENCH_ONLY = "Visites et accompagnement – Jura bernois"


def language_of(locator: Locator) -> str | None:
    """The language a screen reader reads the element in: the nearest `lang`."""
    return locator.evaluate("e => e.closest('[lang]')?.getAttribute('lang') ?? null")


def use_language(page: Page, language: str) -> None:
    if page.locator("html").get_attribute("lang") != language:
        page.locator(f".language-switcher button[value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def _service(server: LiveServer, name: str) -> str:
    return server.database.execute(
        "SELECT id FROM directory_service WHERE name_de = :n OR name_fr = :n", n=name
    )[0][0]


def _referred(server: LiveServer, token: str, offer: str, need: str, municipality: int) -> dict[str, str]:
    """A German-speaking client, a completed screening with `need`, one referral to `offer`."""
    with httpx.Client(base_url=server.url, timeout=20, headers={"Authorization": f"Bearer {token}"}) as http:
        client = http.post(
            "/api/v1/clients",
            json={
                "display_name": "L. M.",
                "birth_year": 1944,
                "municipality": municipality,
                "language": "de",
            },
        ).json()
        instrument = http.get("/api/v1/instruments/social-situation-short").json()
        screening = http.post(
            "/api/v1/screenings",
            json={
                "client_id": client["id"],
                "instrument_id": instrument["id"],
                "instrument_version": instrument["version"],
                "answers": ANSWERS[need],
            },
        ).json()
        sent = http.post(
            "/api/v1/referrals",
            json={
                "screening_id": screening["id"],
                "offers": [{"service_id": _service(server, offer), "need_domain": need}],
                "consent": {"confirmed": True, "scope": ["contact", "birth_year"]},
                "accept_warnings": True,
            },
        )
        assert sent.status_code == 201, sent.text
    return {"screening": screening["id"], "service": _service(server, offer)}


@pytest.fixture(scope="module")
def screened(e2e_server) -> dict[str, dict[str, str]]:
    token = cli("tokens", "create", "--user", "pflege", "--name", "lang", env=e2e_server.env).stdout.strip()
    return {
        "de": _referred(e2e_server, token, GERMAN_ONLY, "administration", 902),  # Langnau
        "fr": _referred(e2e_server, token, FRENCH_ONLY, "loneliness", 446),  # Tramelan
    }


def test_german_offer_texts_are_marked_in_the_french_interface(e2e_server, page, screened):
    url = e2e_server.url
    log_in(page, url, "pflege")
    page.wait_for_url(url + "/")
    use_language(page, "fr")

    page.goto(url + "/directory?q=Sozialdienst+Langnau")
    hit = page.locator(".offer-list > li", has_text=GERMAN_ONLY)
    expect(hit).to_have_count(1)
    assert language_of(hit.get_by_role("link", name=GERMAN_ONLY)) == "de"
    assert language_of(hit.get_by_text("Der Sozialdienst berät")) == "de"
    # The notice is French, and no German lang wraps it any more.
    assert language_of(hit.get_by_text("Seulement en allemand")) == "fr"
    assert hit.locator("p.other-language").get_attribute("lang") is None

    hit.get_by_role("link", name=GERMAN_ONLY).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(GERMAN_ONLY)
    assert language_of(page.get_by_role("heading", level=1)) == "de"
    for text in (
        "Der Sozialdienst berät",  # description
        "Einwohnerinnen und Einwohner von Langnau",  # eligibility
        "Kostenlos",  # fees
        "Mo–Fr, Bürozeiten",  # hours
        "Anrufen oder am Schalter",  # how to access
    ):
        assert language_of(page.locator("main").get_by_text(text)) == "de", text
    assert language_of(page.get_by_text("Cette offre n’est décrite qu’en allemand.")) == "fr"
    assert language_of(page.get_by_role("heading", level=2).first) == "fr"

    page.goto(f"{url}/screenings/{screened['de']['screening']}/summary")
    assert language_of(page.locator(".referral-list").get_by_role("link", name=GERMAN_ONLY)) == "de"
    choice = page.locator("label", has_text=GERMAN_ONLY)
    expect(choice).to_have_count(1)
    assert language_of(choice) == "de"
    assert language_of(page.locator("section.need h2").first) == "fr"

    # The handout speaks the client's German: the German offer is in the page's language.
    page.goto(f"{url}/screenings/{screened['de']['screening']}/handout")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    title = page.locator(".handout-offer h2")
    expect(title).to_have_text(GERMAN_ONLY)
    assert title.get_attribute("lang") is None


def test_french_offer_texts_are_marked_in_the_german_interface(e2e_server, page, screened):
    url = e2e_server.url
    log_in(page, url, "pflege")
    page.wait_for_url(url + "/")
    use_language(page, "de")

    page.goto(url + "/directory?q=Visites+accompagnement")
    hit = page.locator(".offer-list > li", has_text=FRENCH_ONLY)
    expect(hit).to_have_count(1)
    assert language_of(hit.get_by_role("link", name=FRENCH_ONLY)) == "fr"
    assert language_of(hit.get_by_text("Des bénévoles rendent visite")) == "fr"
    assert language_of(hit.get_by_text("Nur auf Französisch")) == "de"

    hit.get_by_role("link", name=FRENCH_ONLY).click()
    assert language_of(page.get_by_role("heading", level=1)) == "fr"
    for text in (
        "Des bénévoles rendent visite",
        "Personnes âgées, malades ou isolées",
        "Gratuit",
        "Selon entente",
        "Appeler l’antenne Jura bernois",
    ):
        assert language_of(page.locator("main").get_by_text(text)) == "fr", text
    assert language_of(page.get_by_text("Dieses Angebot ist nur auf Französisch beschrieben.")) == "de"

    page.goto(f"{url}/screenings/{screened['fr']['screening']}/summary")
    assert language_of(page.locator(".referral-list").get_by_role("link", name=FRENCH_ONLY)) == "fr"

    page.goto(f"{url}/screenings/{screened['fr']['screening']}/handout")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    offer = page.locator(".handout-offer")
    assert language_of(offer.get_by_role("heading", level=2)) == "fr"
    assert language_of(offer.get_by_text("Des bénévoles rendent visite")) == "fr"
    assert language_of(offer.get_by_text("Selon entente")) == "fr"
    assert language_of(offer.get_by_text("Kostenlos")) == "de"  # free: said by the page itself

    # The organisation's own list (an administrator sees every offer).
    page.context.clear_cookies()
    log_in(page, url, "admin")
    page.wait_for_url(url + "/")
    use_language(page, "de")
    page.goto(url + "/directory/manage")
    assert language_of(page.locator("table").get_by_role("link", name=FRENCH_ONLY)) == "fr"
    assert language_of(page.locator("table").get_by_role("link", name=GERMAN_ONLY)) == "de"
    assert page.locator("table").get_by_role("link", name=GERMAN_ONLY).get_attribute("lang") is None
