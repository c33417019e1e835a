"""The outcome reports of issue 19 in the browser, as `analyse`, in German and French, on a phone
(360 px) and a desktop (1280 px): need-resolution and wellbeing-change with their filters, chart,
table and CSV link, and the district print report's "Effects" section. The demo year holds
follow-ups, so the tables have figures; they are the ones /api/v1/reports gives for the same
filters. axe on every page, and no page scrolls sideways."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Locator, Page, expect

from backend.geo.reference import DISTRICTS
from backend.i18n import translate
from backend.vocab import LIFE_PHASES, NEED_DOMAINS, SERVICE_TYPES
from tests.e2e.helpers import log_in_speaking, serious_violations

pytestmark = pytest.mark.e2e

EFFECTS = {"need-resolution": "Needs at the follow-up", "wellbeing-change": "Change in wellbeing"}
KEEP = str.maketrans("", "", "’'\u202f\u00a0 ")


def plain(text: str) -> str:
    """A cell as the API would write it: no thousands separators, a decimal point, a change
    without its "+" and with an ASCII minus."""
    return text.translate(KEEP).replace(",", ".").removeprefix("+").replace("\u2212", "-")


def same_figures(shown: list[list[str]], api: dict[str, Any]) -> None:
    """The table on the page holds the API's rows, figure by figure (the key columns are
    labels on the page and codes in the API: only their count is compared; the API marks a
    complementary hidden cell, "x" on the page, as "<5" too)."""
    assert len(shown) == len(api["rows"]) > 1, (shown, api["rows"])
    for cells, row in zip(shown, api["rows"], strict=True):
        assert len(cells) == len(row)
        for text, value in zip(cells[1:], row[1:], strict=True):
            if isinstance(value, float):
                assert abs(float(plain(text)) - value) < 0.051, (cells, row)
            elif value == "<5":
                assert plain(text) in ("<5", "x"), (cells, row)
            elif value != "*":
                assert plain(text) == str(value), (cells, row)


def table_rows(scope: Locator) -> list[list[str]]:
    rows = scope.locator("table.report-table tbody tr")
    return [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()] for i in range(rows.count())]


def fits(page: Page, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def api(page: Page, report_id: str, **params: str) -> dict[str, Any]:
    answer = page.request.get(f"/api/v1/reports/{report_id}?{urlencode(params)}")
    assert answer.ok, answer.text()
    body: dict[str, Any] = answer.json()
    return body


def counted(rows: list[list[str]]) -> bool:
    """Whether any cell of the table holds a count of at least one (shown or hidden as small)."""
    return any(plain(c) == "<5" or (plain(c).isdigit() and int(plain(c)) > 0) for r in rows for c in r[1:])


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["de", "fr"])
def test_effect_reports_show_the_follow_ups(e2e_server, browser, language: str, width: int):
    def t(msgid: str) -> str:
        return translate(language, msgid)

    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale=f"{language}-CH", base_url=e2e_server.url
    )
    try:
        page = context.new_page()
        log_in_speaking(page, e2e_server.url, "analyse", language)
        oberaargau = DISTRICTS["OA"].name(language)

        for report_id, title in reversed(EFFECTS.items()):  # need-resolution last, for its offer type
            page.goto(f"{e2e_server.url}/reports/{report_id}")
            expect(page.get_by_role("heading", level=1)).to_have_text(t(title))
            page.get_by_label(t("District")).select_option(label=oberaargau)
            page.get_by_label(t("Life phase")).select_option(label=t(LIFE_PHASES["very_old"][0]))
            path = f"/reports/{report_id}"
            with page.expect_response(lambda r, path=path: path in r.url):
                page.get_by_role("button", name=t("Show"), exact=True).click()
            expect(page.locator("#report-body table")).to_be_visible()
            expect(page.locator("#report-body svg title")).to_have_text(t(title))
            rows = table_rows(page.locator("#report-body"))
            assert counted(rows), (report_id, rows)
            period = {
                "from": page.locator("#from").input_value(),
                "to": page.locator("#to").input_value(),
            }
            same_figures(rows, api(page, report_id, district="OA", life_phase="very_old", **period))
            link = page.get_by_role("link", name=t("Download the table (CSV)"))
            expect(link).to_be_visible()
            href = link.get_attribute("href") or ""
            assert "district=OA" in href and "life_phase=very_old" in href, href
            if width == 360:
                with page.expect_download() as download:
                    link.click()
                table = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
                assert len(table) == len(rows) + 1 and table[1][1:] == [plain(c) for c in rows[0][1:]]
            fits(page, width)
            assert serious_violations(page) == [], (report_id, width)

        # With an offer type the follow-up rate cannot be given (a skipped follow-up has none).
        page.get_by_label(t("Offer type")).select_option(label=t(SERVICE_TYPES["advice"]))
        with page.expect_response(lambda r: "/reports/need-resolution" in r.url):
            page.get_by_role("button", name=t("Show"), exact=True).click()
        expect(page.locator("#report-body table")).to_be_visible()
        rows = table_rows(page.locator("#report-body"))
        assert counted(rows) and {r[-2] for r in rows} == {"–"}, rows
        # The demo refers finances and administration to advice, nothing else.
        assert [r[0] for r in rows] == [t(NEED_DOMAINS[n]) for n in ("finances", "administration")] + [
            t("Total")
        ]
        same_figures(
            rows,
            api(page, "need-resolution", district="OA", life_phase="very_old", offer_type="advice", **period),
        )

        # The district print report: its "Effects" section has both tables, with the API's figures.
        page.goto(f"{e2e_server.url}/reports/districts/OA")
        effects = page.locator("section.report-effects")
        expect(effects.get_by_role("heading", level=2)).to_have_text(t("Effects"))
        expect(effects.get_by_role("heading", level=3)).to_have_text([t(title) for title in EFFECTS.values()])
        parts = effects.locator("section.report-part")
        expect(parts).to_have_count(2)
        for index, report_id in enumerate(EFFECTS):
            expect(parts.nth(index).locator("table.report-table")).to_be_visible()
            rows = table_rows(parts.nth(index))
            assert counted(rows), (report_id, rows)
            same_figures(rows, api(page, report_id, district="OA"))
        fits(page, width)
        assert serious_violations(page) == [], width
    finally:
        context.close()
