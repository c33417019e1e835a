"""Journey 2 of PRODUCT.md in the browser: a referral arrives, the coordinator opens it
(received), accepts, assigns a colleague, logs two call attempts and closes it as "help
started"; the referring nurse sees the outcome. In German and in French; axe on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from backend.i18n import translate
from tests.e2e.helpers import log_in, serious_violations
from tests.support import api_referral, cli

pytestmark = pytest.mark.e2e

PAIRS = {
    # nurse, coordinator, colleague, directory organisation, client municipality, need
    "de": ("pflege", "koordination", "Beat Besuchsdienst", "Pro Senectute Kanton Bern", 902, "loneliness"),
    "fr": (
        "soins",
        "coordination",
        "Bernadette Bénévoles",
        "Pro Senectute Arc jurassien",
        446,
        "administration",
    ),
}


def send_referral(server, nurse: str, organization: str, municipality: int, language: str, need: str) -> str:
    token = cli("tokens", "create", "--user", nurse, "--name", "journey", env=server.env).stdout.strip()
    return api_referral(
        server,
        token,
        municipality=municipality,
        language=language,
        need=need,
        organization=organization,
        phone=None,
    )[1]


@pytest.mark.parametrize("language", ["de", "fr"])
def test_coordinator_closes_the_loop(e2e_server, browser: Browser, page: Page, language: str):
    def t(msgid: str) -> str:
        return translate(language, msgid)

    nurse, coordinator, colleague, organization, municipality, need = PAIRS[language]
    referral_id = send_referral(e2e_server, nurse, organization, municipality, language, need)

    log_in(page, e2e_server.url, coordinator)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_role("link", name=t("Open the inbox")).click()
    assert serious_violations(page) == []
    # Not opened yet: "new" to the coordinator ("sent" is the nurse's word).
    row = page.locator("tr", has=page.locator(f'a[href="/inbox/{referral_id}"]'))
    expect(row.locator(".status")).to_have_text(t("New (not opened yet)"))
    page.locator(f'a[href="/inbox/{referral_id}"]').click()
    expect(page.locator(".page-head .status")).to_have_text(t("Received"))
    expect(page.get_by_text("R. S.")).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_role("button", name=t("Accept"), exact=True).click()
    expect(page.locator(".page-head .status")).to_have_text(t("Accepted"))
    page.get_by_label(t("Colleague")).select_option(label=colleague)
    page.get_by_role("button", name=t("Assign")).click()
    expect(page.get_by_label(t("Colleague"))).to_have_value(
        str(
            e2e_server.database.execute("SELECT id FROM user_account WHERE display_name = :n", n=colleague)[
                0
            ][0]
        )
    )
    page.get_by_role("button", name=t("Log contact attempt")).click()  # tried, not reached
    page.get_by_label(t("The person was reached")).check()
    page.get_by_role("button", name=t("Log contact attempt")).click()
    expect(page.locator("#contacts-title + ul li")).to_have_count(2)
    page.get_by_label(t("New note")).fill("Tochter als Kontakt")
    page.get_by_role("button", name=t("Add note")).click()
    assert serious_violations(page) == []
    # Closing without an outcome is refused with a message; nothing changes.
    page.get_by_role("button", name=t("Close referral")).click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#close-error")).to_have_text(t("Choose an outcome."))
    expect(page.get_by_text(t("Choose an outcome."))).to_have_count(1)
    assert page.url.endswith(f"/inbox/{referral_id}")
    assert serious_violations(page) == []
    page.get_by_label(t("Help started")).check()
    page.get_by_role("button", name=t("Close referral")).click()
    expect(page.locator(".page-head")).to_contain_text(f"{t('Completed')} · {t('Help started')}")

    # The nurse sees the outcome, not the internal note.
    nurse_page = browser.new_page(locale="fr-CH" if language == "fr" else "de-CH")
    log_in(nurse_page, e2e_server.url, nurse)
    nurse_page.goto(f"{e2e_server.url}/referrals?status=closed")
    expect(nurse_page.locator(f'a[href="/referrals/{referral_id}"]')).to_be_visible()
    nurse_page.goto(f"{e2e_server.url}/referrals/{referral_id}")
    expect(nurse_page.locator(".page-head")).to_contain_text(f"{t('Completed')}: {t('Help started')}")
    expect(nurse_page.locator(".history")).to_contain_text(t("Accepted"))
    expect(nurse_page.get_by_text("Tochter als Kontakt")).to_have_count(0)
    assert serious_violations(nurse_page) == []
    nurse_page.close()
