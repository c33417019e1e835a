"""Reports over HTTP on SQLite and PostgreSQL: who may read them, the JSON shape, the period
filter, small counts hidden so that no CSV gives them away, and aggregates that follow the
real app (a nurse completes a screening, a coordinator handles the referral)."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from backend.reports import service
from backend.reports.catalog import REPORTS
from backend.reports.suppression import HIDDEN, SMALL, Line, recoverable
from tests.support import api_referral, cli, csrf_from, login

# The tallies count by month in Bern's calendar (a UTC evening may already be tomorrow there).
TODAY = service.today()
NOW = {"from": TODAY.replace(day=1).isoformat(), "to": TODAY.isoformat()}


@pytest.fixture(scope="module")
def tokens(server) -> dict[str, str]:
    return {
        user: cli("tokens", "create", "--user", user, "--name", "reports", env=server.env).stdout.strip()
        for user in ("analyse", "pflege", "koordination")
    }


def api(server, token: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        server.url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_only_analysts_and_admins_read_reports(server, tokens):
    assert httpx.get(server.url + "/api/v1/reports").status_code == 401
    assert httpx.get(server.url + "/api/v1/reports/needs").status_code == 401
    for user in ("pflege", "koordination"):
        assert api(server, tokens[user], "/api/v1/reports").status_code == 403
        assert api(server, tokens[user], "/api/v1/reports/needs").status_code == 403
    listed = api(server, tokens["analyse"], "/api/v1/reports")
    assert listed.status_code == 200
    assert {r["id"] for r in listed.json()} == set(REPORTS)
    assert all(set(r) == {"id", "title"} for r in listed.json())


def test_every_report_answers_columns_and_rows(server, tokens):
    for report_id in REPORTS:
        body = api(server, tokens["analyse"], f"/api/v1/reports/{report_id}").json()
        assert set(body) == {"id", "title", "columns", "rows"} and body["id"] == report_id
        assert body["rows"], report_id
        for row in body["rows"]:
            assert len(row) == len(body["columns"])
            for name, value in zip(body["columns"], row, strict=True):
                if name == "count" or name.endswith("_count"):
                    # The API's contract has one mark for every hidden cell.
                    assert isinstance(value, int) or value == SMALL, (report_id, name, value)


def test_the_period_filter_and_bad_parameters(server, tokens):
    token = tokens["analyse"]
    demo_year = api(server, token, "/api/v1/reports/screenings-by-month").json()
    assert len(demo_year["rows"]) == 13  # 12 months and the total
    assert demo_year["rows"][-1][-1] > 1000  # the demo seed's synthetic year
    one_month = api(
        server, token, "/api/v1/reports/screenings-by-month", **{"from": "2020-03-01", "to": "2020-03-31"}
    )
    assert one_month.json()["rows"] == [["2020-03", 0, 0, 0], ["*", 0, 0, 0]]
    assert api(server, token, "/api/v1/reports/needs", **{"from": "2020-13-01"}).status_code == 422
    assert api(server, token, "/api/v1/reports/needs", district="XX").status_code == 422
    assert api(server, token, "/api/v1/reports/nothing").status_code == 404


def _screen(server, token: str, name: str, municipality: int, need: str = "loneliness") -> None:
    api_referral(server, token, name, municipality=municipality, birth_year=1938, need=need)


def _rows(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


def test_small_counts_are_hidden_and_no_csv_gives_them_back(server, tokens):
    nurse = tokens["pflege"]
    # This month holds no demo data: 6 screenings in Langnau, 2 in Trub, all flagging loneliness.
    for i in range(6):
        _screen(server, nurse, f"L{i}", 902)
    for i in range(2):
        _screen(server, nurse, f"T{i}", 908)
    body = api(server, tokens["analyse"], "/api/v1/reports/screenings-by-municipality", **NOW).json()
    by_place = {(r[0], r[1]): r[2] for r in body["rows"]}
    assert by_place[("EM", 908)] == SMALL  # Trub: 2
    # Langnau: 6, hidden so that the district total keeps Trub's (the page and CSV mark it "x").
    assert by_place[("EM", 902)] == SMALL
    assert by_place[("EM", "*")] == 8
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        login(browser, "analyse")
        for report_id in REPORTS:
            response = browser.get(f"/reports/{report_id}/csv", params=NOW)
            assert response.status_code == 200, (report_id, server.log()[-1500:])
            assert response.headers["content-type"].startswith("text/csv")
            assert "attachment" in response.headers["content-disposition"]
            rows = _rows(response)
            _assert_nothing_recoverable(report_id, rows)
            text = response.text
            for name in ("L0", "T1", "Langnau im Emmental 1938"):
                assert name not in text
        _assert_shared_totals_agree(server, tokens["analyse"])
        municipality_csv = _rows(browser.get("/reports/screenings-by-municipality/csv", params=NOW))
        assert ["Emmental", "Trub", SMALL] in municipality_csv


def _assert_nothing_recoverable(report_id: str, rows: list[list[str]]) -> None:
    """The attacker's view of one CSV: its rows and columns with their totals as lines."""
    header, body = rows[0], rows[1:]
    if not body:
        return
    counts = [i for i, h in enumerate(header) if body and all(_is_count(r[i]) for r in body)]
    cells: list[str | int] = []
    index: dict[tuple[int, int], int] = {}
    for r, row in enumerate(body):
        for c in counts:
            index[(r, c)] = len(cells)
            cells.append(int(row[c]) if row[c].lstrip("-").isdigit() else row[c])
    total_rows = [r for r, row in enumerate(body) if "Total" in row[: min(counts, default=0)]]
    lines: list[Line] = []
    if total_rows:  # the last total row sums every non-total row above it, column by column
        last = total_rows[-1]
        parts = [r for r in range(last) if r not in total_rows] or []
        subtotal_rows = [r for r in total_rows if r != last]
        for c in counts:
            if subtotal_rows:
                lines.append(Line(tuple(index[(r, c)] for r in subtotal_rows), index[(last, c)]))
                start = 0
                for s in subtotal_rows:
                    lines.append(Line(tuple(index[(r, c)] for r in range(start, s)), index[(s, c)]))
                    start = s + 1
            else:
                lines.append(Line(tuple(index[(r, c)] for r in parts), index[(last, c)]))
    hidden = [i for i, v in enumerate(cells) if v in (SMALL, HIDDEN)]
    assert not (recoverable(cells, lines) & set(hidden)), report_id


def _assert_shared_totals_agree(server, token: str) -> None:
    """Totals that several tables show must be shown (or hidden) alike, or one table's total
    would open another's hidden cells."""

    def totals(report_id: str, key: int, column: str, keep=lambda row: True) -> dict:
        body = api(server, token, f"/api/v1/reports/{report_id}", **NOW).json()
        index = body["columns"].index(column)
        return {row[key]: row[index] for row in body["rows"] if keep(row) and row[index] != 0}

    by_need = [totals(r, 0, "count") for r in ("needs", "needs-by-life-phase", "needs-by-district")]
    assert by_need[0] == by_need[1] == by_need[2]
    by_district = totals("screenings-by-district", 0, "count")
    subtotals = totals("screenings-by-municipality", 0, "count", keep=lambda row: row[1] == "*")
    assert by_district == subtotals


def _is_count(value: str) -> bool:
    return value in (SMALL, HIDDEN) or value.isdigit()


def test_aggregates_follow_screenings_and_referral_changes(server, tokens):
    analyst = tokens["analyse"]

    def stage_counts() -> dict[str, object]:
        body = api(server, analyst, "/api/v1/reports/referral-outcomes", **NOW, district="JB").json()
        return {r[0]: r[2] for r in body["rows"] if r[1] == "*"}

    def jb_needs() -> int:
        body = api(server, analyst, "/api/v1/reports/needs", **NOW, district="JB").json()
        return next((r[4] for r in body["rows"] if r[0] == "*"), 0)

    before = server.database.execute(
        "SELECT coalesce(sum(count), 0) FROM report_screening_tally WHERE district = 'JB' AND demo = :f "
        "AND need_domain = '*'",
        f=False,
    )[0][0]
    soins = cli("tokens", "create", "--user", "soins", env=server.env).stdout.strip()
    referrals = [
        api_referral(
            server,
            soins,
            f"J{i}",
            municipality=446,
            language="fr",
            organization="Pro Senectute Arc jurassien",
            need="administration",
        )[1]
        for i in range(5)
    ]
    after = server.database.execute(
        "SELECT coalesce(sum(count), 0) FROM report_screening_tally WHERE district = 'JB' AND demo = :f "
        "AND need_domain = '*'",
        f=False,
    )[0][0]
    assert after == before + 5
    assert jb_needs() >= 5
    assert stage_counts().get("requested") == 5
    with httpx.Client(base_url=server.url, timeout=30) as coordinator:
        login(coordinator, "coordination")
        token = csrf_from(coordinator.get("/").text)
        for referral_id in referrals:
            coordinator.get(f"/inbox/{referral_id}")  # opening marks it received
            assert (
                coordinator.post(f"/inbox/{referral_id}/accept", data={"csrf_token": token}).status_code
                == 303
            )
            coordinator.post(
                f"/inbox/{referral_id}/contacts",
                data={"csrf_token": token, "channel": "phone", "reached": "1"},
            )
            closed = coordinator.post(
                f"/inbox/{referral_id}/close", data={"csrf_token": token, "outcome": "help_started"}
            )
            assert closed.status_code == 303
    counts = stage_counts()
    assert counts["received"] == 5 and counts["accepted"] == 5 and counts["completed"] == 5
    waits = api(server, analyst, "/api/v1/reports/waits-by-district", **NOW, district="JB").json()
    jb = next(r for r in waits["rows"] if r[0] == "JB")
    assert jb[1:] == [0, 0, 0, 0, 0, 0]  # all the same day
    # Nothing in the aggregate tables points to a person.
    columns = (
        {
            row[0]
            for table in ("report_screening_tally", "report_referral_tally", "report_referral_wait")
            for row in server.database.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = :t", t=table
            )
        }
        if "postgresql" in server.database.url
        else set()
    )
    assert not columns & {"client_id", "referral_id", "screening_id", "user_id", "birth_year"}


def test_pages_charts_and_the_printable_district_report(server):
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        login(browser, "analyse")
        home = browser.get("/").text
        assert 'href="/reports"' in home
        page = browser.get("/reports/needs", params={"district": "OA", "life_phase": "very_old"})
        assert page.status_code == 200
        assert "<svg" in page.text and "<title" in page.text and "<table" in page.text
        assert "Einsamkeit" in page.text or "Loneliness" in page.text
        fragment = browser.get("/reports/needs", headers={"HX-Request": "true", "HX-Target": "report-body"})
        assert fragment.text.lstrip().startswith('<div id="report-body">')
        french = browser.get("/reports/districts/JB", params={"lang": "fr"})
        assert french.status_code == 200 and '<html lang="fr">' in french.text
        assert "Rapport de l’arrondissement Jura bernois" in french.text
        german = browser.get("/reports/districts/OA", params={"lang": "de"})
        assert "Bericht Verwaltungskreis Oberaargau" in german.text
        assert browser.get("/reports/districts/XX").status_code == 404
        assert browser.get("/reports/nothing").status_code == 404


def test_a_self_check_adds_to_the_reports_and_only_as_counts(server, tokens):
    from tests.api.test_selfcheck import TRAMELAN, form

    def self_checks() -> int:
        body = api(
            server, tokens["analyse"], "/api/v1/reports/screenings-by-district", **NOW, source="self-check"
        )
        total = body.json()["rows"][-1][1]
        return total if isinstance(total, int) else -1

    rows_before = server.database.execute(
        "SELECT coalesce(sum(count), 0) FROM report_screening_place WHERE source = 'self-check' AND municipality = 446"
    )[0][0]
    with httpx.Client(base_url=server.url, timeout=10) as anonymous:
        for _ in range(5):
            done = anonymous.post("/check/fr/result", data=form(TRAMELAN, age_band="older", go="result"))
            assert done.status_code == 200
    rows_after = server.database.execute(
        "SELECT coalesce(sum(count), 0) FROM report_screening_place WHERE source = 'self-check' AND municipality = 446"
    )[0][0]
    assert rows_after == rows_before + 5
    assert self_checks() >= 5
    finances = server.database.execute(
        "SELECT coalesce(sum(count), 0) FROM report_screening_tally WHERE source = 'self-check' "
        "AND district = 'JB' AND need_domain = 'finances' AND language = 'fr' AND life_phase = 'older' "
        "AND demo = :f",
        f=False,
    )[0][0]
    assert finances >= 5


def test_csv_names_totals_and_the_previous_period(server, tokens):
    """Issue 17, item 11: the CSV's file name says which report, period and filters; a grand
    total reads "Total" once; unmet needs compare with the previous period like the others."""
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        login(browser, "analyse")
        quarter = {"from": "2026-07-01", "to": "2026-09-30", "district": "EM", "need": "housing"}
        response = browser.get("/reports/unmet-needs/csv", params=quarter)
        assert response.status_code == 200
        assert response.headers["content-disposition"] == (
            'attachment; filename="passerelle-unmet-needs-2026-Q3-district-emmental.csv"'
        )
        rows = _rows(response)
        assert rows[0][-1] == "Vorperiode"
        assert rows[-1][:2] == ["Total", ""]  # once, in the first key column
        year = browser.get(
            "/reports/needs/csv", params={"from": "2025-01-01", "to": "2025-12-31", "district": "BB"}
        )
        assert (
            'filename="passerelle-needs-2025-district-biel-bienne.csv"' in year.headers["content-disposition"]
        )
        assert sum(row.count("Total") for row in _rows(year)) == 1
        municipalities = _rows(browser.get("/reports/screenings-by-municipality/csv", params=NOW))
        assert municipalities[-1][:2] == ["Total", ""]
        assert all(row[1] == "Total" for row in municipalities[1:-1] if "Total" in row)  # subtotals
        page = browser.get("/reports/unmet-needs", params=quarter).text
        assert "Vorperiode: 01.04.2026 bis 30.06.2026" in page
        # A report without a previous-period column does not name one.
        assert "Vorperiode" not in browser.get("/reports/waits-by-district").text
    body = api(server, tokens["analyse"], "/api/v1/reports/unmet-needs", **quarter).json()
    assert body["columns"] == ["district", "need_domain", "unmet_count", "previous_count"]
    assert body["rows"][-1][:2] == ["*", "*"]  # the API keeps its marks
