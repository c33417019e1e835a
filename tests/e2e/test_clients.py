"""A nurse records a client in the browser; the pages are accessible."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, serious_violations

pytestmark = pytest.mark.e2e


def test_nurse_records_a_client(e2e_server, page):
    log_in(page, e2e_server.url, "pflege")
    page.get_by_role("navigation").get_by_role("link", name="Klientinnen und Klienten").click()
    page.get_by_role("link", name="Neue Klientin / neuer Klient").click()
    assert serious_violations(page) == []
    page.get_by_label("Name oder Initialen").fill("R. B.")
    page.get_by_label("Geburtsjahr").fill("19")
    page.get_by_label("Gemeinde oder Postleitzahl").fill("3550")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Geburtsjahr")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name oder Initialen")).to_have_value("R. B.")
    assert serious_violations(page) == []
    page.get_by_label("Geburtsjahr").fill("1941")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("R. B.")
    expect(page.get_by_text("Langnau im Emmental")).to_be_visible()
    assert "R. B." not in page.url and "R.%20B." not in page.url
    assert serious_violations(page) == []


def test_nurse_screens_a_client_and_sees_needs_with_offers(e2e_server, page):
    log_in(page, e2e_server.url, "pflege")
    page.goto(e2e_server.url + "/clients/new")
    page.get_by_label("Name oder Initialen").fill("M. M.")
    page.get_by_label("Geburtsjahr").fill("1944")
    page.get_by_label("Gemeinde oder Postleitzahl").fill("Langnau im Emmental")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_role("button", name="Abklärung beginnen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Soziale Situation – Kurzabklärung")
    assert serious_violations(page) == []
    # A follow-up appears after the answer that calls for it, and focus stays where it was.
    follow_up = page.locator("#q-housing-problems")
    expect(follow_up).to_have_count(0)
    first = page.locator("#q-housing-situation input[type=radio]").nth(1)
    first.check()
    expect(follow_up).to_have_count(1)
    assert (
        page.evaluate("() => document.activeElement && document.activeElement.name") == "a-housing-situation"
    )
    for name in ("ucla-companionship", "ucla-left-out", "ucla-isolated"):
        page.locator(f"#q-{name} input[type=radio]").last.check()
    page.get_by_role("button", name="Abschliessen und Bedarf anzeigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bedarf und Angebote")
    expect(page.get_by_role("heading", level=2, name="Einsamkeit und soziale Isolation")).to_be_visible()
    expect(page.locator(".need .offer").first).to_be_visible()
    assert serious_violations(page) == []
