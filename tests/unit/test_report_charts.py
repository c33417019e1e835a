"""SVG bar charts, report periods, histogram quantiles and column headings (pure)."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

from backend.reports.builders import WAIT_STAGES
from backend.reports.charts import BAR_SPAN, LINE_CHARS, Bar, bar_chart, label_lines
from backend.reports.labels import heading
from backend.reports.periods import Period, period_from, quantile
from backend.reports.tables import Column

SVG = "{http://www.w3.org/2000/svg}"


def test_a_chart_is_svg_with_title_and_description_and_one_bar_per_shown_value():
    svg = bar_chart("Needs <all>", "Needs per row", [Bar("A & B", 10, "10"), Bar("C", None, "<5")], "c1")
    root = ElementTree.fromstring(str(svg))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Needs <all>"
    assert root.find(f"{SVG}desc").text == "Needs per row"
    assert len(root.findall(f"{SVG}rect")) == 1  # the hidden value gets no bar
    texts = [t.text for t in root.findall(f"{SVG}text")]
    assert texts == ["A & B", "10", "C", "<5"]


def test_bars_scale_to_the_largest_value():
    root = ElementTree.fromstring(str(bar_chart("t", "d", [Bar("a", 5, "5"), Bar("b", 10, "10")], "c")))
    widths = [float(r.get("width").rstrip("%")) for r in root.findall(f"{SVG}rect")]
    assert widths[1] == 2 * widths[0] == BAR_SPAN  # in % of the width, room left for the value


def test_chart_text_is_not_scaled_and_long_labels_wrap():
    """No viewBox: the SVG's units are CSS px, so its text is as large at 360 px as at 1280 px
    (the browser test measures it); a label too long for a phone's line wraps at a word."""
    long_label = "Frutigen-Niedersimmental · Einsamkeit und soziale Isolation"
    root = ElementTree.fromstring(str(bar_chart("t", "d", [Bar(long_label, 3, "3")], "c")))
    assert root.get("viewBox") is None and root.get("width") == "100%"
    labels = [t.text for t in root.findall(f"{SVG}text") if t.get("class") == "chart-label"]
    assert labels == ["Frutigen-Niedersimmental ·", "Einsamkeit und soziale…"]  # two lines at most
    assert all(len(line) <= LINE_CHARS for line in labels)
    assert label_lines("Wohnen") == ["Wohnen"]
    assert label_lines("x" * 40) == ["x" * 29 + "-", "x" * 11]


def test_an_empty_chart_is_still_valid_svg():
    root = ElementTree.fromstring(str(bar_chart("t", "d", [], "c")))
    assert root.findall(f"{SVG}rect") == []


def test_periods_are_whole_months_and_the_previous_one_is_as_long():
    period = period_from("2026-01-15", "2026-03-02", date(2026, 11, 29))
    assert period == Period("2026-01", "2026-03")
    assert period.previous() == Period("2025-10", "2025-12")
    assert period.start == date(2026, 1, 1) and period.end == date(2026, 3, 31)
    assert period_from(None, None, date(2026, 11, 29)) == Period("2025-12", "2026-11")


def test_bad_periods_are_refused():
    assert period_from("2026-13-01", None, date(2026, 11, 29)) is None
    assert period_from("2026-05-01", "2026-01-01", date(2026, 11, 29)) is None
    assert period_from("2000-01-01", "2026-01-01", date(2026, 11, 29)) is None


def test_median_and_90th_percentile_from_a_histogram():
    histogram = {1: 1, 2: 1, 3: 1, 10: 1}
    assert quantile(histogram, 0.5) == 2
    assert quantile(histogram, 0.9) == 10
    assert quantile({6: 10}, 0.5) == 6
    assert quantile({}, 0.5) is None
    # 10 referrals: 0 days ×5, 6 days ×4, 30 days ×1 → median 0, p90 6.
    assert quantile({0: 5, 6: 4, 30: 1}, 0.5) == 0
    assert quantile({0: 5, 6: 4, 30: 1}, 0.9) == 6


def test_waits_are_counted_in_day_buckets():
    from backend.reports.tally import day_bucket

    assert [day_bucket(d) for d in (-1, 0, 6, 14)] == [0, 0, 6, 14]
    assert [day_bucket(d) for d in (15, 21, 22, 56)] == [21, 21, 28, 56]
    assert [day_bucket(d) for d in (57, 61, 400)] == [60, 90, 365]


def test_column_headings_are_whole_phrases_in_each_language():
    """Headings are whole msgids, never glued from pieces: each language orders its own words."""
    median, p90 = WAIT_STAGES["first_contact"]
    assert heading(Column("first_contact_median_days", median, "days_median"), "fr") == (
        "Médiane des jours jusqu’au premier contact"
    )
    assert heading(Column("first_contact_p90_days", p90, "days_p90"), "de") == (
        "90. Perzentil Tage bis zum ersten Kontakt"
    )
    for name, label in (("acceptance_rate", "Acceptance rate (%)"), ("late_share", "Late share (%)")):
        assert heading(Column(name, label, "percent"), "fr").endswith(" (%)")
        assert heading(Column(name, label, "percent"), "fr") != label


def test_csv_names_carry_the_report_the_period_and_the_filters():
    from backend.reports.catalog import REPORTS
    from backend.reports.queries import Filters
    from backend.reports.service import csv_name, period_slug

    assert period_slug(Period("2026-07", "2026-09")) == "2026-Q3"
    assert period_slug(Period("2026-01", "2026-12")) == "2026"
    assert period_slug(Period("2026-05", "2026-05")) == "2026-05"
    assert period_slug(Period("2025-12", "2026-11")) == "2025-12-to-2026-11"
    assert period_slug(Period("2026-02", "2026-04")) == "2026-02-to-2026-04"  # not a calendar quarter
    unmet = Filters(Period("2026-07", "2026-09"), district="EM", source="self-check", need="housing")
    # `need` does not apply to this report: it is left out of the name as out of the figures.
    assert csv_name(REPORTS["unmet-needs"], unmet, "de") == (
        "passerelle-unmet-needs-2026-Q3-district-emmental-source-self-check.csv"
    )
    biel = Filters(Period("2026-01", "2026-12"), district="BB", life_phase="very_old")
    assert csv_name(REPORTS["needs"], biel, "fr") == (
        "passerelle-needs-2026-district-biel-bienne-life-phase-very-old.csv"
    )
    coverage = Filters(Period("2026-01", "2026-12"), need="caring_relatives", language="fr")
    name = csv_name(REPORTS["coverage"], coverage, "fr")
    assert name == "passerelle-coverage-2026-need-caring-relatives-language-fr.csv"
    assert name.isascii()


def test_a_grand_total_reads_total_once():
    from backend.reports.service import row_texts
    from backend.reports.tables import TOTAL

    columns = [
        Column("district", "District", "district"),
        Column("need_domain", "Need", "need_domain"),
        Column("count", "Flagged needs"),
    ]
    assert row_texts(columns, [TOTAL, TOTAL, 12], "de") == ["Total", "", "12"]
    assert row_texts(columns, ["EM", TOTAL, 7], "fr") == ["Emmental", "Total", "7"]
