"""Journey 4 of PRODUCT.md in the browser, as `analyse`, in German and in French: the most
flagged need of people over 80 in Oberaargau, the median wait for first contact there, a
district without a French-language carer-relief offer, and the table downloaded as CSV. axe
on every page."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from backend.geo.reference import DISTRICTS
from backend.i18n import translate
from backend.vocab import LIFE_PHASES, NEED_DOMAINS, SERVICE_TYPES
from tests.e2e.helpers import log_in, log_in_speaking, serious_violations

pytestmark = pytest.mark.e2e

# The demo directory has French carer relief in the Jura bernois; the journey starts from a
# directory without it, so these offers are taken out of service first.
NO_FRENCH_CARER_RELIEF = (
    "UPDATE directory_service SET status = 'inactive' WHERE service_type = 'carer_relief' AND id IN "
    "(SELECT service_id FROM directory_service_tag WHERE kind = 'language' AND value = 'fr')"
)


def table_rows(page: Page) -> list[list[str]]:
    rows = page.locator("#report-body table tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("th, td").all_inner_texts()]
        for i in range(rows.count())
    ]


def show(page: Page, label: str) -> None:
    with page.expect_response(lambda r: "/reports/" in r.url and r.request.method == "GET"):
        page.get_by_role("button", name=label, exact=True).click()
    expect(page.locator("#report-body table")).to_be_visible()


@pytest.mark.parametrize("language", ["de", "fr"])
def test_journey_4_planning(e2e_server, page: Page, language: str):
    def t(msgid: str) -> str:
        return translate(language, msgid)

    e2e_server.database.execute(NO_FRENCH_CARER_RELIEF)
    log_in(page, e2e_server.url, "analyse")
    if language == "fr":
        page.locator(".language-switcher button[lang=fr]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("main").get_by_role("link", name=t("All reports")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Reports"))
    assert serious_violations(page) == []

    # The most flagged need of people over 80 in Oberaargau.
    page.get_by_role("link", name=t("Flagged needs by severity")).click()
    page.get_by_label(t("District")).select_option(label=DISTRICTS["OA"].name(language))
    page.get_by_label(t("Life phase")).select_option(label=t(LIFE_PHASES["very_old"][0]))
    show(page, t("Show"))
    rows = [r for r in table_rows(page) if r[0] != t("Total")]
    top = max(rows, key=lambda r: int(r[4].replace("’", "").replace("\u202f", "").replace(" ", "")))
    assert top[0] == t(NEED_DOMAINS["loneliness"])
    expect(page.locator("#report-body svg title")).to_have_text(t("Flagged needs by severity"))
    assert serious_violations(page) == []

    # The median wait for first contact there.
    page.goto(e2e_server.url + "/reports/waits-by-district")
    oberaargau = next(r for r in table_rows(page) if r[0] == DISTRICTS["OA"].name(language))
    assert oberaargau[3] == "6"  # median days until first contact
    assert serious_violations(page) == []

    # A district without a French-language carer-relief offer, and the table as CSV.
    page.goto(e2e_server.url + "/reports/coverage")
    page.get_by_label(t("Need")).select_option(label=t(NEED_DOMAINS["caring_relatives"]))
    page.get_by_label(t("Language of the offer")).select_option(label="Français")
    page.get_by_label(t("Offer type")).select_option(label=t(SERVICE_TYPES["carer_relief"]))
    show(page, t("Show"))
    jura = next(r for r in table_rows(page) if r[0] == DISTRICTS["JB"].name(language))
    assert jura[-1] == "0"
    assert serious_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name=t("Download the table (CSV)")).click()
    path = download.value.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0][0] == t("District") and rows[0][-1] == t("Offers")
    assert [DISTRICTS["JB"].name(language), "0", "0", "0", "0", "0", "0", "0"] in rows

    # The printable district report, in the other language too.
    other = "fr" if language == "de" else "de"
    page.goto(f"{e2e_server.url}/reports/districts/OA?lang={other}")
    expect(page.locator("html")).to_have_attribute("lang", other)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translate(other, "District report: %(district)s") % {"district": DISTRICTS["OA"].name(other)}
    )
    assert serious_violations(page) == []


# Per table: fits its region, or the region scrolls and the keyboard reaches it with a name.
# Per chart text: its rendered size in px (font size × the SVG's scale on screen).
LAYOUT = """() => ({
  tables: [...document.querySelectorAll('.report-table')].map(table => {
    const region = table.closest('.table-wrap');
    return {
      fits: table.scrollWidth <= region.clientWidth,
      reachable: region.tabIndex === 0 && region.getAttribute('role') === 'region'
        && !!region.getAttribute('aria-label') && ['auto', 'scroll'].includes(getComputedStyle(region).overflowX),
    };
  }),
  fonts: [...document.querySelectorAll('svg.chart text')].map(text => {
    const m = text.getScreenCTM();
    return parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b);
  }),
  pageWidth: document.documentElement.scrollWidth,
})"""


@pytest.mark.parametrize("language", ["de", "fr"])
def test_report_tables_get_their_width_and_chart_labels_are_readable(e2e_server, browser, language: str):
    """Issue 17, item 5 and issue 20, item 9: at 1280 px every table has the page's width (the
    chart sits above it), only the grid of ten districts still needs to scroll; at 360 px wide
    tables scroll in a region the keyboard reaches; chart text is at least 12 px on screen."""
    from backend.reports.catalog import REPORTS

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=f"{language}-CH")
    try:
        page = context.new_page()
        log_in_speaking(page, e2e_server.url, "analyse", language)
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 900})
            scrolling = []
            for report_id in [*REPORTS, "districts/EM"]:
                page.goto(f"{e2e_server.url}/reports/{report_id}")
                layout = page.evaluate(LAYOUT)
                assert layout["tables"], report_id
                assert layout["pageWidth"] <= width, (report_id, width, layout["pageWidth"])
                for table in layout["tables"]:
                    assert table["fits"] or table["reachable"], (report_id, width)
                    if not table["fits"]:
                        scrolling.append(report_id)
                assert layout["fonts"], report_id
                assert min(layout["fonts"]) >= 12, (report_id, width, min(layout["fonts"]))
            if width == 1280:
                assert set(scrolling) <= {"needs-by-district"}, scrolling
            else:
                assert "coverage" in scrolling  # seven columns do not fit a phone
        page.goto(f"{e2e_server.url}/reports/needs-by-district")
        region = page.get_by_role("region", name=translate(language, "Flagged needs by district"))
        region.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.querySelector('.report-scroll').scrollLeft > 0", timeout=5000)
        assert serious_violations(page) == []
        page.set_viewport_size({"width": 1280, "height": 900})
        assert serious_violations(page) == []
    finally:
        context.close()
