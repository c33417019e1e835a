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
