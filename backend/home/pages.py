"""GET /: what each role starts from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.response import Template
from sqlmodel import Session, col, select

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.clients.models import Client
from backend.db.types import utcnow
from backend.deps import Caller, Unit
from backend.directory.models import DirectoryService
from backend.followup import service as follow_ups
from backend.i18n import TIMEZONE
from backend.referrals import cases
from backend.referrals.models import Referral
from backend.referrals.service import sent_by_organisation
from backend.referrals.states import OUTCOME_LABELS, REJECT_REASONS, STATUS_LABELS, Status
from backend.web import render

RECENT_DAYS = 14  # how far back the start page shows what became of the referrals
RECENT_OUTCOMES = 5
# What the other side (or the nurse, for an offer she arranges) decided; a referral the nurse
# cancelled herself is no news to her.
OUTCOME_STATUSES = (Status.COMPLETED, Status.FAILED, Status.REJECTED)


@dataclass
class Outcome:
    referral_id: str
    client_name: str  # as the nurse entered it: initials or a name
    need_domain: str
    offer: DirectoryService
    status: str
    label: str | None  # msgid: the outcome, or why it was rejected
    days_ago: int  # 0 today, 1 yesterday, in Bern's calendar


def days_between(earlier: datetime, now: datetime) -> int:
    zone = ZoneInfo(TIMEZONE)
    return max(0, (now.astimezone(zone).date() - earlier.astimezone(zone).date()).days)


def recent_outcomes(session: Session, user: CurrentUser, now: datetime) -> list[Outcome]:
    """The latest closings of the organisation's referrals in the last RECENT_DAYS days, newest
    first: one query, whatever the number of rows."""
    query = (
        select(Referral, Client.display_name, DirectoryService)
        .join(Client, col(Client.id) == col(Referral.client_id))
        .join(DirectoryService, col(DirectoryService.id) == col(Referral.service_id))
        .where(Referral.organisation_id == user.organisation_id)
        .where(col(Referral.status).in_([s.value for s in OUTCOME_STATUSES]))
        .where(col(Referral.closed_at) >= now - timedelta(days=RECENT_DAYS))
        .order_by(col(Referral.closed_at).desc(), col(Referral.id))
        .limit(RECENT_OUTCOMES)
    )
    found = []
    for referral, name, offer in session.exec(query).all():
        assert referral.closed_at is not None
        if referral.status == Status.REJECTED:
            label = REJECT_REASONS.get(referral.reject_reason or "")
        else:
            label = OUTCOME_LABELS.get(referral.outcome or "")
        found.append(
            Outcome(
                referral.id,
                name,
                referral.need_domain,
                offer,
                referral.status,
                label,
                days_between(referral.closed_at, now),
            )
        )
    return found


def _nurse_context(reader: Session, user: CurrentUser) -> dict:
    now = utcnow()
    recent = sent_by_organisation(reader, user, open_only=True, limit=5)
    return {
        "recent": recent,
        "sent_days": {row.referral.id: days_between(row.referral.created_at, now) for row in recent},
        "outcomes": recent_outcomes(reader, user, now),
        "follow_ups": follow_ups.due_by_client(reader, user),  # whom to ask again (issue 19)
        "recent_days": RECENT_DAYS,
        "status_labels": STATUS_LABELS,
    }


def _coordinator_context(reader: Session, user: CurrentUser) -> dict:
    counts = cases.counts(reader, user)
    return {"counts": counts, "tabs": cases.TAB_LABELS}


@get("/", name="home.index", opt=allow(), include_in_schema=False, sync_to_thread=True)
def home(request: Request, reader: Unit, user: Caller) -> Template:
    context = {}
    if user.role == Role.NURSE:
        context = _nurse_context(reader, user)
    elif user.role == Role.COORDINATOR:
        context = _coordinator_context(reader, user)
    return render(request, f"home/{user.role.value}.html", context)


ROUTES = [home]
