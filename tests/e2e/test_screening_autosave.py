"""A screening saves every answer as it is given (htmx). On a slow network an earlier save may
answer after a later one: its questions must not replace the newer ones, or the answer just
given disappears from the form (and from the finished screening)."""

from __future__ import annotations

import json
import re

from playwright.sync_api import APIResponse, Page, Route, expect

from tests.e2e.helpers import log_in


def test_a_late_answer_to_an_earlier_save_does_not_undo_a_newer_answer(e2e_server, page: Page):
    log_in(page, e2e_server.url, "pflege")
    page.get_by_role("navigation").get_by_role("link", name="Klientinnen und Klienten").click()
    page.get_by_role("link", name="H. M.").click()
    page.get_by_role("button", name=re.compile("Abklärung")).first.click()
    expect(page.locator("#q-ucla-companionship")).to_be_visible()

    held: list[tuple[Route, APIResponse]] = []

    def hold_the_first(route: Route) -> None:
        if not held:  # the server stores it at once; its answer reaches the browser late
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route(re.compile(r"/screenings/[^/]+/answers$"), hold_the_first)
    page.locator("#q-ucla-companionship input[type=radio]").nth(2).check()  # save 1, held
    page.wait_for_timeout(200)
    page.locator("#i-carer-yes-exhausted").check()  # save 2
    page.wait_for_timeout(500)

    # Save 1's answer arrives now, late, with the questions as they were before the carer answer.
    late, response = held[0]
    try:
        late.fulfill(response=response)
    except Exception:  # the browser gave up on it (the newer save replaced it)
        pass
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    expect(page.locator("#i-carer-yes-exhausted")).to_be_checked()
    expect(page.locator("#q-ucla-companionship input[type=radio]").nth(2)).to_be_checked()
    screening_id = page.url.rstrip("/").rsplit("/", 1)[1]
    [answers] = e2e_server.database.execute("SELECT answers FROM screening WHERE id = :s", s=screening_id)[0]
    stored = answers if isinstance(answers, dict) else json.loads(answers)
    assert stored.get("carer") == "yes-exhausted", stored
