"""Working-day deadlines (referrals/deadlines.py): weekends do not count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.referrals.deadlines import FIRST_CONTACT_WITHIN, RECEIVE_WITHIN, add_working_days

# 2026-03-16 is a Monday.
MONDAY = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start_day", "days", "due_day"),
    [
        (0, 0, 0),  # no days: the same moment
        (0, 1, 1),  # Monday + 1 → Tuesday
        (0, 2, 2),  # Monday + 2 → Wednesday
        (0, 5, 7),  # Monday + 5 → next Monday
        (3, 2, 7),  # Thursday + 2 → Monday
        (4, 1, 7),  # Friday + 1 → Monday
        (4, 2, 8),  # Friday + 2 → Tuesday
        (5, 1, 7),  # Saturday + 1 → Monday
        (6, 1, 7),  # Sunday + 1 → Monday
        (6, 5, 11),  # Sunday + 5 → Friday
        (0, 10, 14),  # two working weeks
        (0, -3, 0),  # a negative count adds nothing
    ],
)
def test_add_working_days_skips_weekends(start_day, days, due_day):
    start = MONDAY + timedelta(days=start_day)
    due = add_working_days(start, days)
    assert due == MONDAY + timedelta(days=due_day)
    assert due.time() == start.time() and due.tzinfo is start.tzinfo


def test_the_deadlines_are_two_and_five_working_days():
    friday = MONDAY + timedelta(days=4)
    assert (RECEIVE_WITHIN, FIRST_CONTACT_WITHIN) == (2, 5)
    assert add_working_days(friday, RECEIVE_WITHIN).weekday() == 1  # Tuesday
    assert add_working_days(friday, FIRST_CONTACT_WITHIN) == friday + timedelta(days=7)
