"""Every page type, every role, both languages (issue 20, "How to check"): axe reports nothing
serious or critical at 320, 360 and 1280 px, and at 320 px (a 1280-px screen at 400 % zoom)
nothing scrolls sideways (WCAG 1.4.10). Each page is loaded once per language; the viewport
changes under it. Each page type is crawled once, as the role that sees most of it: the case
after "accepted", the offer page and its editor as org_staff, the admin import with its errors. At 320×256 the header folds so that the page starts
in the first screen, and its menu still opens onto the navigation and the language switcher."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, serious_violations
from tests.support import LiveServer, api_referral, cli, csrf_from, login

pytestmark = pytest.mark.e2e

WIDTHS = (320, 360, 1280)
HEIGHT = 640
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
ORGANISATION = "Pro Senectute Kanton Bern"  # its offers belong to Pro Senectute Demo Bern


def serious(page: Page) -> list[str]:
    """helpers.serious_violations, with axe-core injected once per document rather than once
    per run: the same page is audited at three widths, and the crawl must stay short."""
    from axe_playwright_python.sync_playwright import Axe

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(Axe().axe_script)
    violations = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def audit(page: Page, problems: dict[str, list[str]], what: str) -> None:
    """axe at each width, sideways scrolling at 320 px; findings are collected, not raised, so
    that one run lists every page that fails."""
    found: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        found += [f"{width}px {v}" for v in serious(page)]
        if width == 320:
            overflow = page.evaluate(OVERFLOW)
            if overflow > 1:
                found.append(f"320px: scrolls {overflow}px sideways")
    page.set_viewport_size({"width": 1280, "height": HEIGHT})
    if found:
        problems[what] = found


def use_language(page: Page, url: str, language: str) -> None:
    """The header's switcher (at 1280 px, where the menu is open), as a person would."""
    page.set_viewport_size({"width": 1280, "height": HEIGHT})
    if not page.locator(".language-switcher").count():
        page.goto(url + "/")
    if page.locator("html").get_attribute("lang") != language:
        page.locator(f".language-switcher button[value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def visit(page: Page, url: str, language: str, problems: dict[str, list[str]], paths: list[str]) -> None:
    for path in paths:
        response = page.goto(url + path)
        assert response is not None and response.ok, (path, response and response.status)
        if path.startswith("/offline/"):
            page.wait_for_load_state("networkidle")  # these pages are built by their script
        audit(page, problems, f"{language} {path}")


@pytest.fixture(scope="module")
def data(e2e_server: LiveServer) -> dict[str, str]:
    """A client with a completed screening and a referral that the coordinator accepted, a draft
    screening, and an org_staff account of Pro Senectute Demo Bern."""
    server = e2e_server
    token = cli("tokens", "create", "--user", "pflege", "--name", "crawl", env=server.env).stdout.strip()
    client_id, referral_id = api_referral(
        server, token, "C. R.", birth_year=1940, municipality=902, phone=None, organization=ORGANISATION
    )
    screening_id, service_id = server.database.execute(
        "SELECT screening_id, service_id FROM referral WHERE id = :r", r=referral_id
    )[0]
    with httpx.Client(base_url=server.url, timeout=20) as http:
        login(http, "koordination")
        case = http.get(f"/inbox/{referral_id}")  # opening the case marks it received
        accepted = http.post(f"/inbox/{referral_id}/accept", data={"csrf_token": csrf_from(case.text)})
        assert accepted.status_code == 303, accepted.text
    with httpx.Client(base_url=server.url, timeout=20) as http:
        login(http, "pflege")
        started = http.post(
            f"/clients/{client_id}/screenings", data={"csrf_token": csrf_from(http.get("/").text)}
        )
        assert started.status_code in (302, 303), started.text
        draft = started.headers["location"]
    cli(
        "users",
        "create",
        "angebote",
        "--role",
        "org_staff",
        "--organisation",
        "Pro Senectute Demo Bern",
        "--name",
        "Olga Angebote",
        env=server.env,
        input="staff-password-1\n",
    )
    return {
        "client": client_id,
        "screening": screening_id,
        "referral": referral_id,
        "draft": draft,
        "service": service_id,
    }


def nurse_pages(data: dict[str, str], language: str) -> list[str]:
    return [
        "/",
        "/directory",
        "/clients",
        f"/clients/{data['client']}",
        data["draft"],
        f"/screenings/{data['screening']}/summary",
        f"/screenings/{data['screening']}/handout",
        "/referrals",
        f"/referrals/{data['referral']}",
        "/settings/notifications",
        f"/offline/{language}/visit",
        f"/offline/{language}/outbox",
    ]


def import_with_errors(page: Page, url: str, language: str, problems: dict[str, list[str]]) -> None:
    page.goto(url + "/admin/directory/import")
    bad = b'[{"id": "not-a-uuid", "name": "", "organization_id": "nobody"}]'
    page.locator("#file").set_input_files({"name": "bad.json", "mimeType": "application/json", "buffer": bad})
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("#problems-title")).to_be_visible()
    audit(page, problems, f"{language} /admin/directory/import (errors)")


ROLES: dict[str, tuple[str, str | None, Callable[[dict[str, str], str], list[str]]]] = {
    "nurse": ("pflege", None, nurse_pages),
    "coordinator": ("koordination", None, lambda d, _: ["/", "/inbox", f"/inbox/{d['referral']}"]),
    "analyst": ("analyse", None, lambda d, _: ["/", "/reports"]),
    "admin": ("admin", None, lambda d, _: ["/", "/admin", "/admin/audit"]),  # and the import
    "org_staff": (
        "angebote",
        "staff-password-1",
        lambda d, _: [
            "/",
            "/directory/manage",
            f"/directory/services/{d['service']}",
            f"/directory/services/{d['service']}/edit",
        ],
    ),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_type_of_a_role_in_both_languages(e2e_server, page, data, role):
    url = e2e_server.url
    username, password, pages = ROLES[role]
    if password:
        log_in(page, url, username, password)
    else:
        log_in(page, url, username)
    page.wait_for_url(url + "/")
    problems: dict[str, list[str]] = {}
    for language in ("de", "fr"):
        use_language(page, url, language)
        visit(page, url, language, problems, pages(data, language))
        if role == "analyst":  # one report, whichever is listed first
            page.goto(url + "/reports")
            page.locator("main .report-list a").first.click()
            page.wait_for_url(re.compile(r"/reports/[^/]+$"))
            audit(page, problems, f"{language} {page.url.removeprefix(url)}")
        if role == "admin":
            import_with_errors(page, url, language, problems)
    assert not problems, problems


def test_public_pages_and_the_self_check_result(e2e_server, page):
    url = e2e_server.url
    problems: dict[str, list[str]] = {}
    for language in ("de", "fr"):
        page.context.clear_cookies()
        page.goto(url + "/login")
        use_language(page, url, language)
        audit(page, problems, f"{language} /login")
        page.goto(f"{url}/check/{language}")
        audit(page, problems, f"{language} /check/{language}")
        page.set_viewport_size({"width": 360, "height": HEIGHT})
        page.locator("[data-nav=start]").click()
        while page.locator("[data-nav=skip]").is_visible():  # every question
            page.locator("[data-nav=skip]").click()
        page.locator("#place").fill("Tramelan")
        page.locator("[data-nav=result]").click()
        page.wait_for_url(re.compile(r"/result$"))
        audit(page, problems, f"{language} /check/{language}/result")
    assert not problems, problems


def test_the_header_folds_at_320_by_256(e2e_server, page):
    """Before, the header of a nurse's page was 554 px high at 320 px: two screens of 256 px."""
    url = e2e_server.url
    log_in(page, url, "pflege")
    page.wait_for_url(url + "/")
    use_language(page, url, "de")
    page.set_viewport_size({"width": 320, "height": 256})
    page.goto(url + "/directory")
    menu = page.locator(".header-menu > summary")
    expect(menu).to_be_visible()
    expect(menu).to_have_text(re.compile("Menü"))
    expect(page.get_by_role("navigation", name="Hauptnavigation")).to_be_hidden()
    main_top = page.locator("main").bounding_box()
    assert main_top and main_top["y"] < 256 * 0.6, main_top  # the page starts in the first screen
    page.screenshot(path="test-artifacts/reflow-320x256-directory.png")
    menu.focus()
    page.keyboard.press("Enter")  # a keyboard opens it; no script is involved
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav.get_by_role("link", name="Unterstützungsangebote")).to_be_visible()
    expect(page.locator(".language-switcher button[value=fr]")).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 1
    assert serious_violations(page) == []
    page.screenshot(path="test-artifacts/reflow-320x256-menu-open.png", full_page=True)
    page.locator(".language-switcher button[value=fr]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    # Wide enough and tall enough, the menu is simply there: no button to press.
    page.set_viewport_size({"width": 360, "height": 640})
    expect(menu).to_be_hidden()
    expect(page.get_by_role("navigation").get_by_role("link", name="Offres de soutien")).to_be_visible()
    use_language(page, url, "de")
