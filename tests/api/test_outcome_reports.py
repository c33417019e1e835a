"""The outcome reports (issue 19) over HTTP, on SQLite and PostgreSQL: a follow-up recorded or
skipped through the real pages adds to the count-only tallies in its own transaction, the
paired wellbeing changes land in the bins worked out by hand, small cells stay hidden against
an attacker who uses every total of the new tables, and the CSV, the JSON and the district
report carry them."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta

import httpx
import pytest

from backend.reports import service
from backend.reports.suppression import SMALL, Line, recoverable
from tests.api.test_followups import _coordinator_acts, bern_today
from tests.api.test_referrals import LONELY
from tests.support import cli, csrf_from, login, offer_of

TODAY = service.today()
NOW = {"from": TODAY.replace(day=1).isoformat(), "to": TODAY.isoformat()}
MONTH = TODAY.strftime("%Y-%m")
PRO_SENECTUTE = "Pro Senectute Kanton Bern"
# A month long past, for tallies inserted by hand (the attack on suppression).
OLD = {"from": "2021-03-01", "to": "2021-03-31"}


@pytest.fixture(scope="module")
def tokens(server) -> dict[str, str]:
    return {
        user: cli("tokens", "create", "--user", user, "--name", "outcomes", env=server.env).stdout.strip()
        for user in ("analyse", "pflege")
    }


def api(server, token: str, path: str, **params: str) -> dict:
    response = httpx.get(
        server.url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text[:500]
    return response.json()


def _due_follow_up(server, token: str, name: str, baseline: dict[str, str]) -> str:
    """A client of Langnau (Emmental, born 1940: very old) screened with `baseline`, referred
    for loneliness, helped; the follow-up made due three days ago. Returns its id."""
    service_id = offer_of(server, PRO_SENECTUTE, "loneliness")
    with httpx.Client(base_url=server.url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as http:
        client = http.post(
            "/api/v1/clients",
            json={"display_name": name, "birth_year": 1940, "municipality": 902, "language": "de"},
        ).json()
        instrument = http.get("/api/v1/instruments/social-situation-short").json()
        screening = http.post(
            "/api/v1/screenings",
            json={
                "client_id": client["id"],
                "instrument_id": instrument["id"],
                "instrument_version": instrument["version"],
                "answers": {**LONELY, **baseline},
            },
        )
        assert screening.status_code == 201, screening.text
        sent = http.post(
            "/api/v1/referrals",
            json={
                "screening_id": screening.json()["id"],
                "offers": [{"service_id": service_id, "need_domain": "loneliness"}],
                "consent": {"confirmed": True, "scope": ["contact"]},
                "accept_warnings": True,
            },
        )
        assert sent.status_code == 201, sent.text
    _coordinator_acts(server, sent.json()["referrals"][0]["id"], "close", outcome="help_started")
    (follow_up_id,) = server.database.execute(
        "SELECT id FROM follow_up WHERE client_id = :c", c=client["id"]
    )[0]
    server.database.execute(
        "UPDATE follow_up SET due_on = :d WHERE id = :f", d=bern_today() - timedelta(days=3), f=follow_up_id
    )
    return follow_up_id


def _wellbeing(server) -> Counter:
    rows = server.database.execute(
        "SELECT score, change, sum(count) FROM report_wellbeing_tally WHERE month = :m AND district = 'EM' "
        "AND life_phase = 'very_old' AND demo = :f GROUP BY score, change",
        m=MONTH,
        f=False,
    )
    return Counter({(score, int(change)): int(n) for score, change, n in rows})


def _outcomes(server, table: str = "report_outcome_tally") -> Counter:
    rows = server.database.execute(
        f"SELECT change, sum(count) FROM {table} WHERE month = :m AND district = 'EM' "
        "AND life_phase = 'very_old' AND need_domain = 'loneliness' AND demo = :f GROUP BY change",
        m=MONTH,
        f=False,
    )
    return Counter({change: int(n) for change, n in rows})


def _record(http: httpx.Client, follow_up_id: str, answers: dict[str, str]) -> None:
    token = csrf_from(http.get("/").text)
    data = {"csrf_token": token, **{f"a-{k}": v for k, v in answers.items()}}
    saved = http.post(f"/follow-ups/{follow_up_id}", data=data)
    assert saved.status_code == 303, saved.text[:800]


def test_tallies_follow_the_recorded_and_skipped_follow_ups_with_hand_computed_pairs(server, tokens):
    nurse = tokens["pflege"]
    # A: life satisfaction 3 → 7 (+4: "+3 or more"), worthwhile 5 → declined (no pair),
    # happy 3 → 5 (+2), anxious 8 → 2 (−6: "−3 or less"), UCLA-3 3+3+3 = 9 → 2+1+1 = 4 (−5).
    first = _due_follow_up(
        server,
        nurse,
        "O. A.",
        {
            "wellbeing-consent": "yes",
            "ons4-life-satisfaction": "3",
            "ons4-worthwhile": "5",
            "ons4-happy": "3",
            "ons4-anxious": "8",
        },
    )
    # B: declined at the screening (happy) → no pair although answered now; 4 → 5 is +1 exactly,
    # worthwhile 6 → 6 is 0, anxious 5 → 7 is +2; UCLA-3 9 → 9 is 0.
    second = _due_follow_up(
        server,
        nurse,
        "O. B.",
        {
            "wellbeing-consent": "yes",
            "ons4-life-satisfaction": "4",
            "ons4-worthwhile": "6",
            "ons4-happy": "declined",
            "ons4-anxious": "5",
        },
    )
    skipped = _due_follow_up(server, nurse, "O. C.", {})
    wellbeing_before, outcomes_before = _wellbeing(server), _outcomes(server)
    by_type_before = _outcomes(server, "report_outcome_type_tally")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "pflege")
        _record(
            http,
            first,
            {
                "need-change:loneliness": "better",
                "offer-use:loneliness": "using",
                "wellbeing-consent": "yes",
                "ons4-life-satisfaction": "7",
                "ons4-worthwhile": "declined",
                "ons4-happy": "5",
                "ons4-anxious": "2",
                "ucla-companionship": "some-of-the-time",
                "ucla-left-out": "hardly-ever",
                "ucla-isolated": "hardly-ever",
            },
        )
        _record(
            http,
            second,
            {
                "need-change:loneliness": "same",
                "wellbeing-consent": "yes",
                "ons4-life-satisfaction": "5",
                "ons4-worthwhile": "6",
                "ons4-happy": "8",
                "ons4-anxious": "7",
                "ucla-companionship": "often",
                "ucla-left-out": "often",
                "ucla-isolated": "often",
            },
        )
        token = csrf_from(http.get("/").text)
        done = http.post(f"/follow-ups/{skipped}/skip", data={"csrf_token": token, "skip_reason": "moved"})
        assert done.status_code == 303
    added = _wellbeing(server) - wellbeing_before
    assert added == Counter(
        {
            ("ons4-life-satisfaction", 3): 1,
            ("ons4-happy", 2): 1,
            ("ons4-anxious", -3): 1,
            ("ucla3", -3): 1,
            ("ons4-life-satisfaction", 1): 1,
            ("ons4-worthwhile", 0): 1,
            ("ons4-anxious", 2): 1,
            ("ucla3", 0): 1,
        }
    )
    assert _outcomes(server) - outcomes_before == Counter({"better": 1, "same": 1, "skipped": 1})
    by_type = _outcomes(server, "report_outcome_type_tally") - by_type_before
    assert by_type == Counter({"better": 1, "same": 1})  # under the offer's type; a skip has none

    # The report shows them, small counts hidden, in the API's shape.
    body = api(server, tokens["analyse"], "/api/v1/reports/need-resolution", **NOW, district="EM")
    assert body["columns"] == [
        "need_domain",
        "better_count",
        "same_count",
        "worse_count",
        "cannot_say_count",
        "not_answered_count",
        "count",
        "skipped_count",
        "follow_up_rate",
        "better_share",
    ]
    loneliness = next(r for r in body["rows"] if r[0] == "loneliness")
    assert loneliness[1] == SMALL and loneliness[7] == SMALL and loneliness[8] == "–"
    assert body["rows"][-1][0] == "*"
    wellbeing = api(server, tokens["analyse"], "/api/v1/reports/wellbeing-change", **NOW, district="EM")
    assert wellbeing["columns"] == [
        "score",
        "minus_3_count",
        "minus_2_count",
        "minus_1_count",
        "zero_count",
        "plus_1_count",
        "plus_2_count",
        "plus_3_count",
        "count",
        "median_change",
    ]
    assert [r[0] for r in wellbeing["rows"]] == [
        "ons4-life-satisfaction",
        "ons4-worthwhile",
        "ons4-happy",
        "ons4-anxious",
        "ucla3",
    ]
    for row in wellbeing["rows"]:
        assert all(v == 0 or v == SMALL for v in row[1:9]), row  # a handful of pairs: all small
        assert row[9] == "–"  # fewer than 10 pairs: no median


def _insert(server, table: str, rows: list[dict]) -> None:
    for row in rows:
        columns = ", ".join(row)
        server.database.execute(
            f"INSERT INTO {table} ({columns}, demo, shard) VALUES ({', '.join(':' + c for c in row)}, :d, 0)",
            d=False,
            **row,
        )


TEMPTING = {
    "loneliness": {"better": 3, "same": 20, "worse": 7, "cannot-say": 0, "": 1, "skipped": 6},
    "finances": {"better": 12, "same": 9, "worse": 0, "cannot-say": 4, "": 0, "skipped": 30},
    "housing": {"better": 40, "same": 11, "worse": 6, "cannot-say": 8, "": 0, "skipped": 9},
}


def _need_lines(rows: int) -> list[Line]:
    """Every total an attacker sees in need-resolution: each need's outcomes add up to its
    followed-up count; every count column adds up to the total row."""
    width = 7  # better, same, worse, cannot say, not answered, followed up, skipped
    lines = [Line(tuple(r * width + c for c in range(5)), r * width + 5) for r in range(rows + 1)]
    lines += [Line(tuple(r * width + c for r in range(rows)), rows * width + c) for c in range(width)]
    return lines


def test_no_hidden_cell_of_the_new_tables_can_be_worked_out(server, tokens):
    """Tallies of a month long past, made to tempt an attacker: single small cells in rows and
    columns whose totals are shown."""
    outcomes = [
        {"month": "2021-03", "district": "OA", "life_phase": "very_old", "need_domain": need,
         "change": change, "count": n}
        for need, counts in TEMPTING.items()
        for change, n in counts.items()
        if n
    ]  # fmt: skip
    wellbeing = {
        "ucla3": {-3: 2, -2: 4, -1: 6, 0: 9, 1: 0, 2: 0, 3: 0},  # 21 pairs
        "ons4-happy": {-3: 0, -2: 0, -1: 0, 0: 3, 1: 30, 2: 12, 3: 1},
        "ons4-anxious": {-3: 1, -2: 0, -1: 0, 0: 6, 1: 0, 2: 0, 3: 0},  # 7 pairs: no median
    }
    rows = [
        {"month": "2021-03", "district": "OA", "life_phase": "very_old", "score": s, "change": b, "count": n}
        for s, h in wellbeing.items()
        for b, n in h.items()
        if n
    ]
    _insert(server, "report_outcome_tally", outcomes)
    by_type = [{**row, "service_type": "visiting"} for row in outcomes if row["change"] != "skipped"]
    _insert(server, "report_outcome_type_tally", by_type)
    _insert(server, "report_wellbeing_tally", rows)

    body = api(server, tokens["analyse"], "/api/v1/reports/need-resolution", **OLD, district="OA")
    needs = body["rows"]
    assert [r[0] for r in needs] == ["housing", "finances", "loneliness", "*"]  # vocabulary order
    cells = [v for r in needs for v in r[1:8]]
    hidden = {i for i, v in enumerate(cells) if v == SMALL}
    assert hidden  # there is something to attack
    assert recoverable(cells, _need_lines(len(needs) - 1)) & hidden == set()
    truth = {
        need: [c.get(k, 0) for k in ("better", "same", "worse", "cannot-say", "")]
        for need, c in TEMPTING.items()
    }
    truth = {need: [*t, sum(t), TEMPTING[need]["skipped"]] for need, t in truth.items()}
    truth["*"] = [sum(col) for col in zip(*truth.values(), strict=True)]
    for row in needs:
        shown = row[1:8]
        assert all(v == SMALL or v == t for v, t in zip(shown, truth[row[0]], strict=True)), row
        followed, skipped, better = shown[5], shown[6], shown[0]
        if isinstance(followed, int) and isinstance(skipped, int) and followed + skipped:
            assert row[8] == round(100 * followed / (followed + skipped), 1)
        else:
            assert row[8] == "–", row  # no rate of a hidden count
        assert row[9] == (
            round(100 * better / followed, 1)
            if isinstance(better, int) and isinstance(followed, int) and followed
            else "–"
        )
    assert needs[-1][6:8] == [121, 45]  # 31 + 25 + 65 followed up; 6 + 30 + 9 skipped

    table = api(server, tokens["analyse"], "/api/v1/reports/wellbeing-change", **OLD, district="OA")
    by_score = {r[0]: r for r in table["rows"]}
    happy = by_score["ons4-happy"]
    assert happy[1:9] == [0, 0, 0, SMALL, 30, 12, SMALL, 46]
    assert happy[9] == 1  # 46 pairs, the 23rd in the "+1" bin
    ucla = by_score["ucla3"]
    assert ucla[8] == 21 and ucla[9] == -1  # 2 + 4 + 6 = 12 ≥ the 11th pair: median bin −1
    assert by_score["ons4-anxious"][9] == "–"  # 7 pairs
    width = 8
    flat = [v for r in table["rows"] for v in r[1:9]]
    lines = [Line(tuple(r * width + c for c in range(7)), r * width + 7) for r in range(len(table["rows"]))]
    assert recoverable(flat, lines) & {i for i, v in enumerate(flat) if v == SMALL} == set()

    # The CSV and the page say the same in German and French, with the median bin named.
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        login(browser, "analyse")
        response = browser.get("/reports/wellbeing-change/csv", params={**OLD, "district": "OA"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert (
            'filename="passerelle-wellbeing-change-2021-03-district-oberaargau.csv"'
            in (response.headers["content-disposition"])
        )
        rows_csv = list(csv.reader(io.StringIO(response.text)))
        assert rows_csv[0][:2] == ["Mass des Wohlbefindens", "−3 oder weniger"]
        assert rows_csv[0][7:] == ["+3 oder mehr", "Paare", "Median der Veränderung (Stufe)"]
        assert [
            "Gestern glücklich (ONS4, 0–10)",
            "0",
            "0",
            "0",
            SMALL,
            "30",
            "12",
            SMALL,
            "46",
            "1",
        ] in rows_csv
        page = browser.get("/reports/need-resolution", params={**OLD, "district": "OA"})
        assert page.status_code == 200, server.log()[-3000:]
        page = page.text
        assert "Bedarfe bei der Nachfrage" in page and "Nachfragequote" in page and "<svg" in page
        french = browser.get(
            "/reports/wellbeing-change", params={**OLD, "district": "OA"}, headers={"Accept-Language": "fr"}
        ).text
        assert "Évolution du bien-être" in french or "Veränderung des Wohlbefindens" in french
        german = browser.get("/reports/districts/OA", params={**OLD, "lang": "de"}).text
        assert '<h2 id="effects-title">Wirkung</h2>' in german
        assert "Bedarfe bei der Nachfrage" in german and "Veränderung des Wohlbefindens" in german
        assert "+3 oder mehr" in german
        french_report = browser.get("/reports/districts/OA", params={**OLD, "lang": "fr"}).text
        assert '<h2 id="effects-title">Effets</h2>' in french_report
        assert "Besoins lors du suivi" in french_report and "Évolution du bien-être" in french_report


def test_an_offer_type_filter_leaves_out_the_rate(server, tokens):
    body = api(
        server,
        tokens["analyse"],
        "/api/v1/reports/need-resolution",
        **OLD,
        district="OA",
        offer_type="visiting",
    )
    every = api(server, tokens["analyse"], "/api/v1/reports/need-resolution", **OLD, district="OA")
    assert [r[:7] for r in body["rows"]] == [r[:7] for r in every["rows"]]  # all of them "visiting"
    assert all(r[7] == "–" and r[8] == "–" for r in body["rows"])
    other = api(
        server,
        tokens["analyse"],
        "/api/v1/reports/need-resolution",
        **OLD,
        district="OA",
        offer_type="advice",
    )
    assert other["rows"] == [["*", 0, 0, 0, 0, 0, 0, "–", "–", "–"]]
