"""What happens to follow-ups, as domain events (see backend/events.py), recorded by the
follow-up service inside its transaction. The reports (need resolution, wellbeing change)
subscribe and count them; so each event carries what those tallies need and nothing that
identifies the person: no client, no screening, no free text, no date of birth. The wellbeing
items are paired with the baseline screening when the follow-up is stored, and only the change
travels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NeedOutcome:
    """One referred need at the follow-up."""

    need_domain: str
    change: str | None  # better | same | worse | cannot-say (None: not answered)
    offer_use: str | None  # using | stopped | never-started | cannot-say (None: not answered)
    offer_types: tuple[str, ...]  # the directory service types this need was referred to
    helped: bool  # a referral for this need closed with help started or advice given


@dataclass(frozen=True)
class FollowUpRecorded:
    """A follow-up was asked and its answers stored."""

    organisation_id: int
    at: datetime
    reason: str  # after-help | no-help
    district: str  # the client's district code now ("" when unknown), as the screening tallies
    life_phase: str  # backend/vocab.py LIFE_PHASES code ("" when unknown), as the screening tallies
    language: str
    referrals: int  # how many closed referrals this follow-up covers (the follow-up rate)
    needs: tuple[NeedOutcome, ...]
    help_elsewhere: str | None  # yes | no | cannot-say
    new_needs: bool | None
    # Follow-up minus baseline per wellbeing score (ONS4 items, "ucla3"); None where either side
    # is missing or declined, so no pair.
    wellbeing_change: dict[str, int | None]


@dataclass(frozen=True)
class FollowUpSkipped:
    """A due follow-up was skipped with a reason (the follow-up rate counts it)."""

    organisation_id: int
    at: datetime
    reason: str  # after-help | no-help
    skip_reason: str  # due.SKIP_REASONS
    district: str
    life_phase: str
    referrals: int
    needs: tuple[str, ...] = ()  # the referred need domains (the reports' follow-up rate per need)
