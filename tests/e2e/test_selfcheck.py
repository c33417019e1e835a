"""The self-check on a 360×640 phone, in the browser: without JavaScript (server steps) in
German for someone in Thun, with JavaScript in French for the man in Tramelan (PRODUCT.md
journey 3, ending in a callback request), offline after the first visit, at 200 % zoom and in
dark mode. axe-core must report nothing, of any impact, on every step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from backend.i18n import translate
from tests.e2e.helpers import poll, wait_for_service_worker_control

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}


def t(lang: str, msgid: str, **params: object) -> str:
    return translate(lang, msgid, **params)


def violations(page: Page) -> list[str]:
    """Every axe violation, whatever its impact (the self-check must have none)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def check_page(page: Page, auditor: Page | None = None) -> None:
    """axe and horizontal overflow. A page without JavaScript cannot run axe (evaluate never
    returns there), so its HTML is shown, scripts blocked, in `auditor`, a page of the same
    origin and size with JavaScript."""
    if auditor is not None:
        html = page.content()
        origin = re.match(r"https?://[^/]+", page.url).group(0)
        auditor.route(origin + "/__audit__", lambda route: route.fulfill(body=html, content_type="text/html"))
        auditor.goto(origin + "/__audit__")
        page = auditor
    assert violations(page) == []
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"horizontal scroll of {overflow}px"


def auditor_for(browser, lang: str) -> Page:
    context = browser.new_context(viewport=PHONE, locale=f"{lang}-CH", service_workers="block")
    context.route("**/static/js/**", lambda route: route.abort())
    return context.new_page()


def phone_context(browser, lang: str, javascript: bool = True, **extra) -> BrowserContext:
    return browser.new_context(
        viewport=PHONE, locale=f"{lang}-CH", java_script_enabled=javascript, has_touch=True, **extra
    )


def choose(page: Page, lang: str, text: str) -> None:
    page.locator("section.step:not([hidden])").get_by_text(t(lang, text), exact=True).click()


def press(page: Page, lang: str, label: str) -> None:
    page.get_by_role("button", name=t(lang, label), exact=True).click()


def question(page: Page) -> object:
    return page.locator("section.step:not([hidden]) h2")


def test_without_javascript_in_german_for_thun(browser, e2e_server):
    context = phone_context(browser, "de", javascript=False)
    page = context.new_page()
    auditor = auditor_for(browser, "de")
    try:
        page.goto(e2e_server.url + "/check/de")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_text(t("de", "How are you? Find help near you."))).to_be_visible()
        check_page(page, auditor)
        press(page, "de", "Start")
        expect(question(page)).to_have_text(t("de", "How do you live at the moment?"))
        expect(page.locator("#progress")).to_contain_text("1")
        check_page(page, auditor)
        choose(page, "de", "I have a home, and it is OK")
        press(page, "de", "Next")
        expect(question(page)).to_have_text(t("de", "Is your money enough until the end of the month?"))
        # Back keeps the answer; skip moves on without one.
        press(page, "de", "Back")
        expect(page.get_by_label(t("de", "I have a home, and it is OK"))).to_be_checked()
        press(page, "de", "Next")
        choose(page, "de", "Only just")
        press(page, "de", "Next")
        # Switching language keeps the step and the answers.
        page.get_by_role("button", name="Français").click()
        expect(question(page)).to_have_text(
            t("fr", "Do you get supplementary benefits (EL/PC) or a helplessness allowance (HE/API)?")
        )
        press(page, "fr", "Back")
        expect(page.get_by_label(t("fr", "Only just"))).to_be_checked()
        page.get_by_role("button", name="Deutsch").click()
        press(page, "de", "Next")
        choose(page, "de", "I don't know")
        check_page(page, auditor)
        press(page, "de", "Next")
        press(page, "de", "Skip this question")  # food
        for _ in range(3):  # loneliness
            choose(page, "de", "Often")
            press(page, "de", "Next")
        choose(page, "de", "Yes, but this person is very tired or stressed")
        press(page, "de", "Next")
        choose(page, "de", "Yes, I get enough help")
        press(page, "de", "Next")
        choose(page, "de", "Letters, bills and forms")
        choose(page, "de", "Getting to the doctor or to the shops")
        check_page(page, auditor)
        press(page, "de", "Next")
        choose(page, "de", "No")  # hurt: no, so "danger now?" does not follow
        press(page, "de", "Next")
        # The age, asked once (issue 17, item 7): from 65 on, no question about work follows,
        # and the place step asks no age of its own.
        expect(question(page)).to_have_text(t("de", "How old are you?"))
        choose(page, "de", "80 or older")
        press(page, "de", "Next")
        expect(question(page)).to_have_text(t("de", "Where do you live?"))
        expect(page.locator('[name="age_band"]')).to_have_count(0)
        page.get_by_label(t("de", "Postal code or municipality")).fill("3600 Thun")
        check_page(page, auditor)
        press(page, "de", "Show my result")

        expect(page.get_by_role("heading", level=1)).to_have_text(t("de", "Your result"))
        expect(page.get_by_role("heading", name=t("de", "Loneliness and social isolation"))).to_be_visible()
        expect(page.get_by_role("heading", name=t("de", "Caring relatives under strain"))).to_be_visible()
        expect(page.locator('a[href^="tel:"]').first).to_be_visible()
        expect(page.get_by_text(t("de", "Offers for %(place)s.", place="Thun"))).to_be_visible()
        check_page(page, auditor)

        page.get_by_text(t("de", "Ask for a call"), exact=True).click()  # the form opens on demand
        page.get_by_label(t("de", "Your first name or initials")).fill("Anna")
        page.get_by_label(t("de", "Your phone number")).fill("079 12")
        page.get_by_label(t("de", "The coordination office of my district"), exact=False).check()
        press(page, "de", "Please call me back")
        expect(page.locator("#e-cb_phone")).to_be_visible()
        expect(page.locator("#e-cb_consent")).to_be_visible()
        check_page(page, auditor)
        page.get_by_label(t("de", "Your phone number")).fill("079 123 45 67")
        page.locator("#cb_consent").check()
        press(page, "de", "Please call me back")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            t("de", "Thank you. Your request has been sent.")
        )
        expect(page.get_by_text("Pro Senectute Kanton Bern")).to_be_visible()
        check_page(page, auditor)
        assert context.cookies() == []  # not even the language
    finally:
        context.close()
        auditor.context.close()
    rows = e2e_server.database.execute(
        "SELECT need_domain, shared FROM referral WHERE source = 'self-check' AND shared LIKE '%Anna%'"
    )
    assert len(rows) == 1


def test_with_javascript_in_french_for_tramelan(browser, e2e_server):
    context = phone_context(browser, "fr")
    page = context.new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    try:
        page.goto(e2e_server.url + "/check")
        assert page.url.endswith("/check/fr")
        check_page(page)
        press(page, "fr", "Start")
        expect(question(page)).to_have_text(t("fr", "How do you live at the moment?"))
        expect(question(page)).to_be_focused()
        check_page(page)
        press(page, "fr", "Skip this question")
        choose(page, "fr", "No")  # money
        press(page, "fr", "Next")
        choose(page, "fr", "No")  # benefits
        press(page, "fr", "Next")
        press(page, "fr", "Back")
        expect(page.get_by_label(t("fr", "No"), exact=True).first).to_be_checked()
        press(page, "fr", "Next")
        for _ in range(7):  # food … hard: skipped
            press(page, "fr", "Skip this question")
        expect(question(page)).to_have_text(
            t("fr", "Does someone hurt you, threaten you or make you afraid?")
        )
        choose(page, "fr", "Prefer not to say")
        press(page, "fr", "Next")
        # Not "no": the follow-up asks about danger now.
        expect(question(page)).to_have_text(t("fr", "Are you in danger right now?"))
        choose(page, "fr", "Yes")
        expect(page.locator("#emergency")).to_be_visible()
        expect(page.locator('#emergency a[href="tel:143"]')).to_be_visible()
        check_page(page)
        choose(page, "fr", "No")
        expect(page.locator("#emergency")).to_be_hidden()
        press(page, "fr", "Next")
        expect(question(page)).to_have_text(t("fr", "How old are you?"))
        check_page(page)
        choose(page, "fr", "65 to 79")
        press(page, "fr", "Next")
        assert posts == []  # the answers stayed in the browser
        # The browser's back button goes back a question too.
        page.go_back()
        expect(question(page)).to_have_text(t("fr", "How old are you?"))
        expect(page.get_by_label(t("fr", "65 to 79"))).to_be_checked()
        # Younger than 65: the question about work follows; 65 or older: it does not.
        choose(page, "fr", "26 to 64")
        press(page, "fr", "Next")
        expect(question(page)).to_have_text(t("fr", "Do you have worries about work?"))
        press(page, "fr", "Back")
        choose(page, "fr", "65 to 79")
        press(page, "fr", "Next")
        expect(question(page)).to_have_text(t("fr", "Where do you live?"))
        expect(page.locator('[name="age_band"]')).to_have_count(0)
        page.get_by_label(t("fr", "Postal code or municipality")).fill("Tramelan")
        check_page(page)
        press(page, "fr", "Show my result")

        expect(page.get_by_role("heading", level=1)).to_have_text(t("fr", "Your result"))
        expect(
            page.get_by_text(
                t(
                    "fr",
                    "You may be entitled to supplementary benefits (EL/PC). An advice service can check this with you for free.",
                )
            )
        ).to_be_visible()
        expect(page.get_by_role("heading", name=t("fr", "Finances"))).to_be_visible()
        expect(page.get_by_text("Pro Senectute Arc jurassien").first).to_be_visible()
        expect(page.get_by_role("button", name=t("fr", "Print or save as PDF"))).to_be_visible()
        check_page(page)
        # Language switch on the result keeps everything.
        page.get_by_role("button", name="Deutsch").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t("de", "Your result"))
        page.get_by_role("button", name="Français").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t("fr", "Your result"))

        page.get_by_text(t("fr", "Ask for a call"), exact=True).click()
        page.get_by_label(t("fr", "Your first name or initials")).fill("J. R.")
        page.get_by_label(t("fr", "Your phone number")).fill("032 487 12 34")
        page.get_by_label(t("fr", "Thursday")).check()
        page.get_by_label(t("fr", "In the afternoon")).check()
        page.get_by_label(t("fr", "The coordination office of my district"), exact=False).check()
        page.locator("#cb_consent").check()
        press(page, "fr", "Please call me back")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            t("fr", "Thank you. Your request has been sent.")
        )
        expect(page.get_by_text("Pro Senectute Arc jurassien")).to_be_visible()
        expect(page.get_by_text("+41 32 487 12 34", exact=False)).to_be_visible()
        check_page(page)
        assert context.cookies() == []
    finally:
        context.close()
    rows = e2e_server.database.execute(
        "SELECT r.need_domain, o.name FROM referral r JOIN organisation o ON o.id = r.receiving_organisation_id "
        "WHERE r.source = 'self-check' AND r.shared LIKE '%487 12 34%'"
    )
    assert [tuple(r) for r in rows] == [("finances", "Association Démo Entraide Biel/Bienne")]


def test_offline_after_the_first_visit(browser, make_server):
    server = make_server()
    context = phone_context(browser, "de")
    page = context.new_page()
    try:
        page.goto(server.url + "/check/de")
        wait_for_service_worker_control(page)
        poll(
            page,
            """async () => {
                const names = await caches.keys();
                const name = names.find((n) => n.startsWith("passerelle-selfcheck-"));
                return name && (await (await caches.open(name)).keys()).length === 2;
            }""",
        )
        cached = page.evaluate(
            """async () => {
                const out = [];
                for (const name of await caches.keys()) {
                    for (const request of await (await caches.open(name)).keys()) out.push(new URL(request.url).pathname);
                }
                return out;
            }"""
        )
        assert {"/check/de", "/check/fr", "/static/js/selfcheck.js", "/static/js/rules.js"} <= set(cached)
        assert not [u for u in cached if u.endswith(("/result", "/callback"))]

        server.stop()
        context.set_offline(True)
        response = page.goto(server.url + "/check/fr")
        assert response is not None and response.from_service_worker
        press(page, "fr", "Start")
        choose(page, "fr", "I am afraid I will lose my home")
        press(page, "fr", "Next")
        choose(page, "fr", "No, and I have debts or bills I cannot pay")
        press(page, "fr", "Next")
        # Switching language offline: the cached German page, same step, same answers.
        page.get_by_role("button", name="Deutsch").click()
        expect(question(page)).to_have_text(
            t("de", "Do you get supplementary benefits (EL/PC) or a helplessness allowance (HE/API)?")
        )
        press(page, "de", "Back")
        expect(page.get_by_label(t("de", "No, and I have debts or bills I cannot pay"))).to_be_checked()
        press(page, "de", "Next")
        for _ in range(12):
            if question(page).text_content() == t("de", "Where do you live?"):
                break
            press(page, "de", "Skip this question")
        expect(question(page)).to_have_text(t("de", "Where do you live?"))
        press(page, "de", "Show my result")
        expect(question(page)).to_have_text(t("de", "Your result"))
        expect(page.locator('#offline-needs li[data-domain="housing"]')).to_be_visible()
        expect(page.locator('#offline-needs li[data-domain="finances"]')).to_be_visible()
        expect(page.locator('#offline-needs li[data-domain="food"]')).to_be_hidden()
        check_page(page)
    finally:
        context.close()


@pytest.mark.parametrize(("lang", "scheme"), [("fr", "light"), ("de", "dark")])
def test_200_percent_zoom_and_dark_mode(browser, e2e_server, lang, scheme):
    # 200 % zoom on a 360-px phone leaves 180 CSS pixels.
    context = browser.new_context(
        viewport={"width": 180, "height": 320},
        device_scale_factor=2,
        locale=f"{lang}-CH",
        color_scheme=scheme,
    )
    page = context.new_page()
    try:
        page.goto(e2e_server.url + f"/check/{lang}")
        check_page(page)
        press(page, lang, "Start")
        while page.locator("[data-nav=skip]").is_visible():  # every question
            check_page(page)
            press(page, lang, "Skip this question")
        expect(question(page)).to_have_text(t(lang, "Where do you live?"))
        page.get_by_label(t(lang, "Postal code or municipality")).fill("Tramelan")
        check_page(page)
        press(page, lang, "Show my result")
        expect(page.get_by_role("heading", level=1)).to_have_text(t(lang, "Your result"))
        check_page(page)
        page.goto(e2e_server.url + f"/check/{lang}/poster")
        check_page(page)
    finally:
        context.close()


def test_reduced_motion_and_keyboard(browser, e2e_server):
    context = browser.new_context(viewport=PHONE, locale="de-CH", reduced_motion="reduce")
    page = context.new_page()
    try:
        page.goto(e2e_server.url + "/check/de")
        start = page.get_by_role("button", name=t("de", "Start"), exact=True)
        start.focus()
        page.keyboard.press("Enter")
        expect(question(page)).to_be_focused()
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.id")
        assert re.match(r"i-home-", focused)
        page.keyboard.press("Space")
        expect(page.locator(f"#{focused}")).to_be_checked()
        duration = page.evaluate(
            "() => getComputedStyle(document.querySelector('.choice')).transitionDuration"
        )
        assert duration in ("0s", "")
    finally:
        context.close()
