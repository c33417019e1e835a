"""What happens to referrals, as domain events (see backend/events.py). Recorded by the
referral services inside their transaction; reports (tallies) and push (notifications)
subscribe. Each event carries what its subscribers need as it was at that moment (the
deadline before it was reset, for instance), so it can be handled after the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.referrals.models import Referral


@dataclass(frozen=True)
class ReferralSent:
    """A referral left for the receiving organisation (status `requested`)."""

    referral: Referral


@dataclass(frozen=True)
class ReferralStatusChanged:
    """A referral's status changed (the referral already shows the new status)."""

    referral: Referral
    previous: str
    status: str
    due_before: datetime | None  # the deadline as it was before the change
    at: datetime
    by_organisation_id: int | None


@dataclass(frozen=True)
class ContactLogged:
    """A contact attempt was recorded; `first` when it is the referral's first."""

    referral: Referral
    first: bool
    due_before: datetime | None  # the deadline as it was before this contact
    at: datetime


@dataclass(frozen=True)
class ReferralsOverdue:
    """An organisation has `count` overdue referrals and was not reminded today."""

    organisation_id: int
    count: int
