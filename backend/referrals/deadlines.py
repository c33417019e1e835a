"""Working-day deadlines for overdue referrals. Pure.

A referral carries `due_at`: by then it must be received (2 working days after it was sent) or,
once accepted, the first contact must be tried (5 working days). Overdue means `due_at < now`.
Weekends do not count; public holidays are not modelled yet (they differ by municipality)."""

from __future__ import annotations

from datetime import datetime, timedelta

RECEIVE_WITHIN = 2
FIRST_CONTACT_WITHIN = 5


def add_working_days(moment: datetime, days: int) -> datetime:
    current = moment
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current
