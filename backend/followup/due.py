"""When a follow-up is due, and why. Pure; no I/O.

A nurse screening's follow-up falls due once none of its referrals is open any more: `weeks`
(the referring organisation's setting, 8 by default) after the day the last one closed. Its
reason is `after-help` when at least one referral closed with help started or advice given,
and `no-help` when every one was declined, rejected, failed or cancelled (then the follow-up
asks whether the client found help elsewhere)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from backend.i18n import N_

AFTER_HELP = "after-help"
NO_HELP = "no-help"
DEFAULT_WEEKS = 8

DUE, DONE, SKIPPED = "due", "done", "skipped"
STATUSES = (DUE, DONE, SKIPPED)

# Why a follow-up was not asked (the nurse chooses one).
SKIP_REASONS = {
    "client-declined": N_("The client declined"),
    "moved": N_("The client moved away"),
    "died": N_("The client died"),
    "not-reachable": N_("The client could not be reached"),
}

# Referral statuses (backend/referrals/states.py) by whether the referral still goes on.
OPEN_STATUSES = frozenset({"draft", "requested", "ready", "received", "accepted", "in-progress", "on-hold"})
HELPED_OUTCOMES = frozenset({"help_started", "advice_given"})


@dataclass(frozen=True)
class ReferralState:
    """What the due computation needs of one referral of the screening."""

    status: str
    outcome: str | None
    need_domain: str


@dataclass(frozen=True)
class Plan:
    reason: str
    needs: list[str]  # the referred need domains, each once, in the order first referred
    due_on: date


def helped(referral: ReferralState) -> bool:
    """Completed with help started or advice given (a completion without a recorded outcome
    counts as help: the organisation closed it as done)."""
    return referral.status == "completed" and (
        referral.outcome is None or referral.outcome in HELPED_OUTCOMES
    )


def plan(referrals: Iterable[ReferralState], closed_on: date, weeks: int) -> Plan | None:
    """The screening's follow-up once its last referral closed on `closed_on`; None while one
    is still open (or when there is none)."""
    states = list(referrals)
    if not states or any(r.status in OPEN_STATUSES for r in states):
        return None
    needs = list(dict.fromkeys(r.need_domain for r in states))
    reason = AFTER_HELP if any(helped(r) for r in states) else NO_HELP
    return Plan(reason, needs, closed_on + timedelta(weeks=max(1, weeks)))


def overdue_days(due_on: date, today: date) -> int:
    """How many days a due follow-up has waited (0 on its due day)."""
    return max(0, (today - due_on).days)
