"""Helpers for the offline tests: fill the offline screening, read the device's outbox."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, until, wait_for_service_worker_control
from tests.support import LiveServer

LONELY_AND_CARER = ("ucla-companionship", "ucla-left-out", "ucla-isolated")


def prepare_device(
    page: Page, server: LiveServer, username: str = "pflege", language: str = "de", *, logged_in: bool = False
) -> None:
    """The morning at the office: log in online, let the worker precache the offline pages."""
    if not logged_in:
        log_in(page, server.url, username)
        expect(page.locator("body")).to_have_attribute("data-outbox", "ready")
    page.goto(f"{server.url}/offline/{language}/visit")
    wait_for_service_worker_control(page)
    page.reload()
    expect(page.locator("#visit")).to_have_attribute("data-ready", "true")


def fill_visit(page: Page, name: str, *, birth_year: str = "1944", municipality: str = "902", offers: int = 2) -> None:
    """A new client, loneliness and an exhausted carer, `offers` offers, verbal consent."""
    expect(page.locator("#visit")).to_have_attribute("data-ready", "true")
    page.locator("#client-new").check()
    page.locator("#display_name").fill(name)
    page.locator("#birth_year").fill(birth_year)
    page.locator("#municipality").select_option(municipality)
    for item in LONELY_AND_CARER:
        page.locator(f"#q-{item} input[type=radio]").nth(2).check()  # "often"
    page.locator("#i-carer-yes-exhausted").check()
    needs = page.locator("#needs fieldset")
    expect(needs).to_have_count(2)
    for index in range(offers):
        needs.nth(index).locator("input[name=offer]:not([disabled])").first.check()
    page.locator("#method-verbal").check()
    page.locator("#confirmed").check()


def save_visit(page: Page) -> None:
    page.locator("#visit button[type=submit]").click()
    expect(page.locator("#visit-saved")).to_be_visible()


def outbox_rows(page: Page) -> list[dict]:
    """The outbox's rows as stored (ciphertext and all), without decrypting anything."""
    return page.evaluate(
        """() => self.PasserelleOutbox.all().then((rows) => rows.map((r) => ({
            id: r.id, type: r.type, state: r.state, error: r.error, errors: r.errors, group: r.group,
            sealed: r.sealed instanceof ArrayBuffer })))"""
    )


def server_counts(server: LiveServer, name_prefix: str) -> dict[str, int]:
    """What arrived on the server for clients whose name starts with `name_prefix`."""

    def count(sql: str) -> int:
        return server.database.execute(sql, p=name_prefix + "%")[0][0]

    return {
        "clients": count("SELECT COUNT(*) FROM client WHERE display_name LIKE :p"),
        "screenings": count(
            "SELECT COUNT(*) FROM screening s JOIN client c ON c.id = s.client_id WHERE c.display_name LIKE :p"
        ),
        "referrals": count(
            "SELECT COUNT(*) FROM referral r JOIN screening s ON s.id = r.screening_id "
            "JOIN client c ON c.id = s.client_id WHERE c.display_name LIKE :p"
        ),
    }


def wait_until_sent(page: Page, timeout: float = 15.0) -> None:
    """Until the device's outbox is empty (the server confirmed every record)."""
    until(page, lambda: not outbox_rows(page), timeout, "records still waiting")
