"""The wellbeing block (issue 19): the ONS4 questions as compact 0–10 scales, asked only with
the client's agreement; a declined question is stored as declined, never as 0. Online in
French, and in the offline visit form."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from backend.i18n import translate
from tests.e2e.helpers import log_in, serious_violations
from tests.e2e.offline_helpers import fill_visit, prepare_device, save_visit, wait_until_sent

pytestmark = pytest.mark.e2e

ONS4 = ("ons4-life-satisfaction", "ons4-worthwhile", "ons4-happy", "ons4-anxious")


def stored_answers(server, sql: str, **params: object) -> dict:
    answers = server.database.execute(sql, **params)[0][0]
    return json.loads(answers) if isinstance(answers, str) else answers


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def answer(page: Page, choice) -> None:
    """Check one radio and wait for the draft save that re-renders the questions (htmx), so the
    next answer is given on the new form, not on one about to be replaced."""
    with page.expect_response(lambda r: r.url.endswith("/answers") and r.request.method == "POST"):
        choice.check()
    expect(choice).to_be_checked()


def test_nurse_asks_the_wellbeing_questions_in_french_one_declined(e2e_server, page: Page):
    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, e2e_server.url, "soins")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("navigation").get_by_role("link", name="Client·e·s").click()
    page.get_by_role("link", name="J. R.").click()
    page.get_by_role("button", name="Commencer une évaluation").click()
    action = page.locator("form.screening-form").get_attribute("action")
    screening_id = action.rstrip("/").split("/")[-2]

    # Without the agreement the four questions are not shown.
    expect(page.locator("#q-ons4-happy")).to_have_count(0)
    consent = page.locator("#q-wellbeing-consent")
    expect(consent.locator("legend")).to_contain_text("quatre courtes questions")
    answer(page, consent.get_by_label("Oui, la personne est d’accord"))
    scales = page.locator("fieldset.scale")
    expect(scales).to_have_count(4)

    happy = page.locator("#q-ons4-happy")
    expect(happy.locator("legend")).to_have_text(
        "Dans l’ensemble, à quel point vous êtes-vous senti(e) heureux ou heureuse hier ?"
    )
    # Eleven real radios in the row, each with a label; the endpoints written out; "declined" apart.
    expect(happy.locator(".scale-row input[type=radio]")).to_have_count(11)
    expect(happy.locator(".scale-ends")).to_contain_text("0 = pas du tout")
    expect(happy.locator(".scale-ends")).to_contain_text("10 = complètement")
    expect(happy.locator(".scale-row ~ .field input[type=radio]")).to_have_count(1)
    expect(happy.get_by_label("Ne souhaite pas répondre")).to_be_visible()
    box = happy.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert fits_the_screen(page)
    assert serious_violations(page) == []

    answer(page, page.locator("#q-ons4-life-satisfaction").get_by_label("7", exact=True))
    answer(page, happy.get_by_label("Ne souhaite pas répondre"))
    answer(page, page.locator("#q-ons4-anxious").get_by_label("0 = pas du tout"))
    # The keyboard moves along the row like any radio group: 4, then the right arrow → 5.
    answer(page, page.locator("#q-ons4-worthwhile").get_by_label("4", exact=True))
    page.locator("#q-ons4-worthwhile").get_by_label("4", exact=True).focus()
    with page.expect_response(lambda r: r.url.endswith("/answers")):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#q-ons4-worthwhile").get_by_label("5", exact=True)).to_be_checked()
    expect(page.locator("#q-ons4-anxious").get_by_label("0 = pas du tout")).to_be_checked()

    page.get_by_role("button", name=translate("fr", "Finish and see the needs")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(translate("fr", "Needs and offers"))
    answers = stored_answers(e2e_server, "SELECT answers FROM screening WHERE id = :id", id=screening_id)
    assert answers["wellbeing-consent"] == "yes"
    assert answers["ons4-life-satisfaction"] == "7"
    assert answers["ons4-worthwhile"] == "5"
    assert answers["ons4-happy"] == "declined"  # declined, not 0
    assert answers["ons4-anxious"] == "0"


def test_offline_visit_form_shows_the_scales_and_sends_the_answers(e2e_server, page: Page):
    page.set_viewport_size({"width": 360, "height": 800})
    prepare_device(page, e2e_server)
    fill_visit(page, "Wellbeing W.")
    expect(page.locator("#q-ons4-happy")).to_be_hidden()
    page.locator("#q-wellbeing-consent").get_by_label("Ja, die Person ist einverstanden").check()
    for link_id in ONS4:
        scale = page.locator(f"#q-{link_id}")
        expect(scale).to_be_visible()
        expect(scale.locator(".scale-row input[type=radio]")).to_have_count(11)
        expect(scale.locator(".scale-ends")).to_contain_text("0 = überhaupt nicht")
        expect(scale.locator(".scale-ends")).to_contain_text("10 = vollständig")
        expect(scale.get_by_label("Möchte nicht antworten")).to_be_visible()
    assert fits_the_screen(page)
    page.locator("#q-ons4-life-satisfaction").get_by_label("3", exact=True).check()
    page.locator("#q-ons4-worthwhile").get_by_label("10 = vollständig").check()
    page.locator("#q-ons4-happy").get_by_label("Möchte nicht antworten").check()
    save_visit(page)
    wait_until_sent(page)
    answers = stored_answers(
        e2e_server,
        "SELECT s.answers FROM screening s JOIN client c ON c.id = s.client_id WHERE c.display_name = :name",
        name="Wellbeing W.",
    )
    assert {k: answers.get(k) for k in ("wellbeing-consent", *ONS4)} == {
        "wellbeing-consent": "yes",
        "ons4-life-satisfaction": "3",
        "ons4-worthwhile": "10",
        "ons4-happy": "declined",
        "ons4-anxious": None,
    }
