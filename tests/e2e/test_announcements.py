"""Live regions that stay in the page (issue 20, item 6): filtering the directory or the client
list swaps the results, and the count is announced by a status element that is never replaced
(a replaced live region is not read out)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in

MARK = "() => { const s = document.getElementById('{id}'); s.dataset.kept = 'yes'; }"


@pytest.mark.parametrize(
    "user,language,words",
    [("pflege", "de", r"\d+ Angebote? gefunden"), ("soins", "fr", r"\d+ offres? trouvées?")],
)
def test_the_directory_announces_its_count_in_a_region_that_stays(e2e_server, page, user, language, words):
    log_in(page, e2e_server.url, user)
    page.wait_for_url(e2e_server.url + "/")
    page.goto(e2e_server.url + "/directory")
    status = page.locator("#results-status")
    expect(status).to_have_attribute("role", "status")
    page.evaluate(MARK.replace("{id}", "results-status"))
    assert page.locator("#results").get_attribute("aria-live") is None
    page.locator("#need").select_option("loneliness")
    expect(status).to_have_text(re.compile(words))
    assert status.get_attribute("data-kept") == "yes"  # the same element, refilled
    assert page.locator("#results-status").count() == 1


def test_the_client_list_announces_its_count(e2e_server, page):
    log_in(page, e2e_server.url, "pflege")
    page.wait_for_url(e2e_server.url + "/")
    page.goto(e2e_server.url + "/clients")
    page.evaluate(MARK.replace("{id}", "client-rows-status"))
    page.locator("#q").fill("H. M.")
    status = page.locator("#client-rows-status")
    expect(status).to_have_text(re.compile(r"^\d+ (Klientin|Klient|Klientinnen)"))
    assert status.get_attribute("data-kept") == "yes"
    assert page.locator("#client-rows").get_attribute("aria-live") is None
