"""The self-check's result on a 360×640 phone (issue 17, item 6; issue 20, item 2): a few screens
long with the "more offers" closed, every offer listed with the ways to reach it that the
directory holds, each offer once among "who should call you?", offer texts in the other language
marked with `lang`. axe on the page in both languages, closed and opened.

Measured for the man in Tramelan (PRODUCT.md journey 3: money short, no supplementary benefits,
65 to 79), French, 360×640: 4,670 px before (three offers in full, the callback form open),
2,618 px after. The bound below, 3,200 px (five screens), leaves room for longer texts in the
directory without letting the page grow back to what it was."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from backend.i18n import translate
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}
MAX_HEIGHT = 3_200
SHOTS = ARTIFACTS / "selfcheck"

JOURNEY = {"a-money": ["no"], "a-benefits": ["no"], "a-hurt": ["no"], "a-age": ["65-79"]}
# Seven needs; several offers serve more than one of them.
MANY = {
    **JOURNEY,
    "a-lonely-company": ["often"],
    "a-lonely-left-out": ["often"],
    "a-lonely-isolated": ["often"],
    "a-helper": ["yes-tired"],
    "a-everyday": ["more"],
    "a-hard": ["letters", "going-out", "phone-internet"],
}


def show_result(page: Page, base: str, lang: str, answers: dict[str, list[str]], place: str) -> None:
    """Posts the answers as the self-check's last step does (the steps themselves are walked
    through in test_selfcheck.py) and waits for the result."""
    page.goto(f"{base}/check/{lang}")
    fields = {**answers, "place": [place], "go": ["result"]}
    page.evaluate(
        """([action, fields]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            for (const [name, values] of Object.entries(fields)) {
                if (name.startsWith("a-")) values.unshift(null);
                for (const value of values) {
                    const input = document.createElement("input");
                    input.type = "hidden";
                    input.name = value === null ? `${name}-present` : name;
                    input.value = value === null ? "1" : value;
                    form.append(input);
                }
            }
            document.body.append(form);
            form.submit();
        }""",
        [f"/check/{lang}/result", fields],
    )
    page.wait_for_url("**/result")
    expect(page.locator("[data-result]")).to_be_attached()


def violations(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def audit(page: Page) -> None:
    assert violations(page) == []
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"horizontal scroll of {overflow}px"


def height(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


def check_contacts(page: Page, database) -> int:
    """Every offer shown in full has a link for each way to reach it the directory holds, and
    none the directory does not hold. Returns how many offers were checked."""
    listed = page.locator("li.offer:not(.offer-repeat)").evaluate_all(
        """items => items.map(li => ({
            id: li.dataset.offer,
            hrefs: [...li.querySelectorAll("a[href]")].map(a => a.getAttribute("href")),
            text: li.textContent,
        }))"""
    )
    assert listed
    ids = sorted({item["id"] for item in listed})
    rows = database.execute(
        "SELECT s.id, s.phone, coalesce(s.email, o.email), s.url, s.city, o.website FROM directory_service s "
        "JOIN directory_organization o ON o.id = s.organization_id WHERE s.id IN ("
        + ", ".join(f":i{n}" for n in range(len(ids)))
        + ")",
        **{f"i{n}": i for n, i in enumerate(ids)},
    )
    directory = {r[0]: r[1:] for r in rows}
    for item in listed:
        phone, email, url, city, website = directory[item["id"]]
        hrefs = item["hrefs"]
        assert any(h.startswith("tel:") for h in hrefs) == bool(phone), item
        assert any(h.startswith("mailto:") for h in hrefs) == bool(email), item
        web = [h for h in hrefs if re.match(r"https?://", h) and "openstreetmap.org" not in h]
        assert bool(web) == bool(url or website), item
        maps = [h for h in hrefs if h.startswith("https://www.openstreetmap.org/search?query=")]
        assert bool(maps) == bool(city), item
        if city:
            assert city in item["text"]
        if any((phone, email, url, city, website)):
            assert hrefs, item
    return len(listed)


def check_callback_choices(page: Page) -> None:
    page.locator(".callback-form > summary").click()
    values = page.locator('#callback [name="cb_to"]').evaluate_all("inputs => inputs.map(i => i.value)")
    offers = [v.partition(":")[2] for v in values if v != "office"]
    labels = page.locator('#callback [name="cb_to"]').evaluate_all(
        "inputs => inputs.map(i => i.labels[0].textContent)"
    )
    assert values and len(offers) == len(set(offers)) and len(labels) == len(set(labels)), labels


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_result_is_a_few_screens_and_every_offer_can_be_reached(browser, e2e_server, lang):
    context = browser.new_context(viewport=PHONE, locale=f"{lang}-CH", has_touch=True)
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        show_result(page, e2e_server.url, lang, JOURNEY, "Tramelan")
        measured = height(page)
        print(f"\nresult, Tramelan, {lang}, 360×640: {measured} px")
        assert measured < MAX_HEIGHT
        page.screenshot(path=str(SHOTS / f"result-tramelan-journey3-{lang}-360-after.png"), full_page=True)
        expect(page.get_by_role("heading", name=translate(lang, "Finances"))).to_be_visible()
        # The best two in full, the rest on demand (closed, no script).
        more = page.locator("details.more-offers")
        assert (
            page.locator("section.need > .offer-list > li").count()
            <= 2 * page.locator("section.need").count()
        )
        for index in range(more.count()):
            expect(more.nth(index)).not_to_have_attribute("open", "")
            expect(more.nth(index).locator("li.offer").first).to_be_hidden()
        assert check_contacts(page, e2e_server.database) >= 2
        audit(page)
        if lang == "fr":
            check_callback_choices(page)
            expect(page.get_by_label(translate(lang, "Your first name or initials"))).to_be_visible()
            for index in range(more.count()):
                more.nth(index).locator("summary").click()
                expect(more.nth(index).locator("li.offer").first).to_be_visible()
            audit(page)
            page.screenshot(
                path=str(SHOTS / f"result-tramelan-journey3-{lang}-360-after-open.png"), full_page=True
            )

        # Seven needs: every offer still reachable, each once among the callback choices, and an
        # offer that serves two needs is shown in full once with a link to it the second time.
        show_result(page, e2e_server.url, lang, MANY, "Tramelan")
        print(f"result with seven needs, Tramelan, {lang}, 360×640: {height(page)} px")
        page.screenshot(path=str(SHOTS / f"result-tramelan-many-{lang}-360-after.png"), full_page=True)
        check_contacts(page, e2e_server.database)
        repeats = page.locator("li.offer-repeat a")
        for index in range(repeats.count()):
            target = repeats.nth(index).get_attribute("href")
            expect(page.locator(target)).to_be_visible()
        if lang == "fr":
            assert repeats.count() >= 1
            check_callback_choices(page)
        audit(page)
    finally:
        context.close()


def _swap_texts(database, service_id: str, drop: str) -> dict:
    """Removes an offer's texts in one language (as an offer described in one language only has
    them); returns what to put back."""
    fields = ("name", "description", "hours", "fees")
    row = database.execute(
        f"SELECT {', '.join(f'{f}_{drop}' for f in fields)} FROM directory_service WHERE id = :i",
        i=service_id,
    )[0]
    database.execute(
        f"UPDATE directory_service SET {', '.join(f'{f}_{drop} = NULL' for f in fields)} WHERE id = :i",
        i=service_id,
    )
    return {f"{f}_{drop}": value for f, value in zip(fields, row, strict=True)}


def _restore(database, service_id: str, saved: dict) -> None:
    database.execute(
        f"UPDATE directory_service SET {', '.join(f'{k} = :{k}' for k in saved)} WHERE id = :i",
        i=service_id,
        **saved,
    )


@pytest.mark.parametrize(
    ("lang", "other", "answers", "place"),
    [("fr", "de", JOURNEY, "Tramelan"), ("de", "fr", MANY, "3600 Thun")],
    ids=["french-page-german-offer", "german-page-french-offer"],
)
def test_offer_texts_in_the_other_language_are_marked(browser, e2e_server, lang, other, answers, place):
    """An offer described only in the other language: its name (on the result and among the
    callback choices), description, hours and fees carry that language; the others nothing."""
    database = e2e_server.database
    context = browser.new_context(viewport=PHONE, locale=f"{lang}-CH")
    page = context.new_page()
    try:
        show_result(page, e2e_server.url, lang, answers, place)
        offers = page.locator("li.offer:not(.offer-repeat)").evaluate_all(
            "items => items.map(li => li.dataset.offer)"
        )
        callback = page.locator('#callback [name="cb_to"]').evaluate_all("inputs => inputs.map(i => i.value)")
        texts = {
            r[0]: r[1:]
            for r in database.execute(
                f"SELECT id, name_{other}, hours_{other}, fees_{other} FROM directory_service"
            )
        }
        in_callback = [o for o in offers if any(v.endswith(":" + o) for v in callback)]
        # One that has its texts in the other language too (so that they can be shown alone).
        chosen = next(o for o in in_callback + offers if texts[o][0])
        row = texts[chosen]
        assert page.locator("li.offer h3[lang]").count() == 0  # all in the page's language
        saved = _swap_texts(database, chosen, lang)
        try:
            show_result(page, e2e_server.url, lang, answers, place)
            item = page.locator(f'li.offer[data-offer="{chosen}"]:not(.offer-repeat)').first
            expect(item.locator("h3")).to_have_attribute("lang", other)
            expect(item.locator("h3")).to_have_text(row[0])
            expect(item.locator(".offer-text")).to_have_attribute("lang", other)
            if row[1]:
                expect(item.locator(f'dd[lang="{other}"]', has_text=row[1])).to_have_count(1)
            if row[2]:
                expect(item.locator(f'dd[lang="{other}"]', has_text=row[2])).to_have_count(1)
            # Only this offer's texts are marked (it may be listed under several needs).
            marked = page.locator("li.offer [lang]").evaluate_all(
                "els => els.map(e => e.closest('li').dataset.offer)"
            )
            assert marked and set(marked) == {chosen}
            expect(
                page.locator(f'li.offer-repeat[data-offer="{chosen}"] strong:not([lang="{other}"])')
            ).to_have_count(0)
            if chosen in in_callback:
                label = page.locator(f'#callback [name="cb_to"][value$=":{chosen}"] + label span')
                expect(label).to_have_attribute("lang", other)
                assert page.locator("#callback label span[lang]").count() == 1
            audit(page)
        finally:
            _restore(database, chosen, saved)
    finally:
        context.close()


def test_result_at_200_percent_zoom(browser, e2e_server):
    """200 % zoom on a 360-px phone leaves 180 CSS pixels: the offers' label | value lists and
    the callback's two-column choices must not scroll sideways."""
    context = browser.new_context(
        viewport={"width": 180, "height": 320}, device_scale_factor=2, locale="fr-CH"
    )
    page = context.new_page()
    try:
        show_result(page, e2e_server.url, "fr", MANY, "Tramelan")
        page.locator(".callback-form > summary").click()
        for summary in page.locator("details.more-offers > summary").all():
            summary.click()
        audit(page)
    finally:
        context.close()
