"""When a follow-up is due and why (backend/followup/due.py), and the paired wellbeing change."""

from __future__ import annotations

from datetime import date

import pytest

from backend.followup import due
from backend.followup.due import ReferralState as R

CLOSED_ON = date(2026, 3, 2)


def test_help_started_is_due_eight_weeks_after_the_close():
    found = due.plan([R("completed", "help_started", "housing")], CLOSED_ON, 8)
    assert found == due.Plan(due.AFTER_HELP, ["housing"], date(2026, 4, 27))


def test_advice_given_next_to_a_rejection_counts_as_help():
    found = due.plan([R("rejected", None, "food"), R("completed", "advice_given", "finances")], CLOSED_ON, 8)
    assert found is not None and found.reason == due.AFTER_HELP
    assert found.needs == ["food", "finances"]


@pytest.mark.parametrize(
    "states",
    [
        [R("rejected", None, "housing")],
        [R("rejected", None, "housing"), R("failed", "not_reachable", "food")],
        [R("cancelled", None, "housing"), R("completed", "client_declined", "food")],
        [R("completed", "referred_elsewhere", "housing")],
    ],
)
def test_nothing_helped_is_due_with_reason_no_help_after_the_same_delay(states):
    found = due.plan(states, CLOSED_ON, 8)
    assert found is not None
    assert found.reason == due.NO_HELP
    assert found.due_on == date(2026, 4, 27)


@pytest.mark.parametrize("open_status", sorted(due.OPEN_STATUSES))
def test_one_referral_still_open_means_none_yet(open_status):
    assert (
        due.plan([R("completed", "help_started", "housing"), R(open_status, None, "food")], CLOSED_ON, 8)
        is None
    )


def test_no_referrals_no_follow_up():
    assert due.plan([], CLOSED_ON, 8) is None


def test_the_organisations_weeks_are_respected():
    found = due.plan([R("completed", "help_started", "housing")], CLOSED_ON, 4)
    assert found is not None and found.due_on == date(2026, 3, 30)


def test_a_need_referred_twice_is_asked_once():
    found = due.plan(
        [R("rejected", None, "housing"), R("completed", "help_started", "housing")], CLOSED_ON, 8
    )
    assert found is not None and found.needs == ["housing"]


def test_open_statuses_are_the_state_machines():
    from backend.referrals.states import OPEN

    assert due.OPEN_STATUSES == {s.value for s in OPEN}


@pytest.mark.parametrize(
    ("due_on", "days"), [(date(2026, 3, 2), 0), (date(2026, 2, 27), 3), (date(2026, 3, 9), 0)]
)
def test_overdue_days(due_on, days):
    assert due.overdue_days(due_on, CLOSED_ON) == days


def test_the_wellbeing_change_pairs_only_what_both_sides_have():
    from backend.followup.service import wellbeing_change

    baseline = {"ons4-happy": 3, "ons4-anxious": 8, "ons4-worthwhile": None, "ucla3": 9}
    now = {"ons4-happy": 6, "ons4-anxious": 2, "ons4-worthwhile": 7, "ons4-life-satisfaction": 5, "ucla3": 9}
    assert wellbeing_change(baseline, now) == {
        "ons4-happy": 3,
        "ons4-anxious": -6,
        "ons4-worthwhile": None,  # declined at the baseline
        "ons4-life-satisfaction": None,  # not asked at the baseline
        "ucla3": 0,
    }
