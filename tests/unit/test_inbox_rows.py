"""The age band an inbox row shows: the self-check's band as given, or the band of the age a
nurse's client reaches this year; never the age, and nothing for values that are not ours."""

from __future__ import annotations

from datetime import UTC, date, datetime

from backend.referrals.cases import InboxRow, _life_phase

TODAY = date(2026, 12, 2)


def test_the_band_given_wins_and_the_year_of_birth_gives_one():
    assert _life_phase("older", 1940, TODAY) == "older"
    assert _life_phase(None, 1940, TODAY) == "very_old"  # 86 this year
    assert _life_phase(None, 1961, TODAY) == "older"  # 65 this year
    assert _life_phase(None, 1962, TODAY) == "adults"
    assert _life_phase("", 2010, TODAY) == "children_youth"


def test_nothing_for_what_is_not_a_band_or_a_year():
    for band, year in ((None, None), ("65+", None), (None, "1940"), (None, 2030), (None, 1800), (None, True)):
        assert _life_phase(band, year, TODAY) is None, (band, year)


def test_days_waiting_counts_calendar_days_and_never_below_zero():
    row = InboxRow(
        id="r",
        need_domain="finances",
        status="requested",
        source="nurse",
        language="de",
        district=None,
        due_at=None,
        created_at=datetime(2026, 11, 29, 23, 59, tzinfo=UTC),
        offer=None,
        referrer=None,
        municipality=None,
        life_phase=None,
        callback=None,
    )
    assert row.days_waiting(TODAY) == 3
    assert row.days_waiting(date(2026, 11, 29)) == 0
    assert row.days_waiting(date(2026, 11, 1)) == 0
