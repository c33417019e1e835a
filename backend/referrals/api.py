"""/api/v1/referrals: send referrals with consent, read them (the sender sees everything it
sent; the receiver sees only what the consent shares), cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, JSONBody
from sqlmodel import Session

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import Caller, Unit
from backend.referrals import service
from backend.referrals.models import Referral
from backend.referrals.service import ReferralsIn, send_referrals

NURSES = allow(Role.NURSE)
BOTH_SIDES = allow(Role.NURSE, Role.COORDINATOR)


@dataclass
class StatusChange:
    status: str
    reason: str | None
    at: datetime


@dataclass
class ReferralOut:
    id: str
    status: str
    status_reason: str | None
    need_domain: str
    service_id: str
    directory_organization_id: str
    created_at: datetime
    updated_at: datetime
    shared: dict[str, Any]  # what the receiving organisation sees
    history: list[StatusChange]
    # Only for the organisation that sent it:
    client_id: str | None = None
    screening_id: str | None = None
    consent_id: str | None = None


@dataclass
class SentReferrals:
    referrals: list[ReferralOut]


@dataclass
class CancelIn:
    reason: str


def referral_out(session: Session, referral: Referral, as_sender: bool) -> ReferralOut:
    history = [StatusChange(e.to_status, e.reason, e.at) for e in service.history(session, referral.id)]
    return ReferralOut(
        id=referral.id,
        status=referral.status,
        status_reason=referral.status_reason,
        need_domain=referral.need_domain,
        service_id=referral.service_id,
        directory_organization_id=referral.directory_organization_id,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        shared=referral.shared,
        history=history,
        client_id=referral.client_id if as_sender else None,
        screening_id=referral.screening_id if as_sender else None,
        consent_id=referral.consent_id if as_sender else None,
    )


@post(
    "/api/v1/referrals",
    name="referrals.api.create",
    opt=NURSES,
    sync_to_thread=True,
    tags=["Referrals"],
    status_code=201,
)
def post_referrals(
    request: Request, data: JSONBody[ReferralsIn], session: Unit, user: Caller
) -> SentReferrals:
    """One referral per chosen offer, status `requested`, with the consent; all or nothing."""
    sent = send_referrals(session, user, data, request.state.locale, date.today())
    return SentReferrals([referral_out(session, r, True) for r in sent])


@get("/api/v1/referrals", name="referrals.api.list", opt=BOTH_SIDES, sync_to_thread=True, tags=["Referrals"])
def list_referrals(session: Unit, user: Caller) -> list[ReferralOut]:
    """Nurses: the referrals their organisation sent. Coordinators: those it receives."""
    if user.role == Role.NURSE:
        rows = [row.referral for row in service.sent_by_organisation(session, user)]
        return [referral_out(session, r, True) for r in rows]
    return [referral_out(session, r, False) for r in service.received_by_organisation(session, user)]


@get(
    "/api/v1/referrals/{referral_id:str}",
    name="referrals.api.show",
    opt=BOTH_SIDES,
    sync_to_thread=True,
    tags=["Referrals"],
)
def get_referral(referral_id: FromPath[str], session: Unit, user: Caller) -> ReferralOut:
    referral, as_sender = service.open_for(session, user, referral_id)
    return referral_out(session, referral, as_sender)


@post(
    "/api/v1/referrals/{referral_id:str}/cancel",
    name="referrals.api.cancel",
    opt=NURSES,
    sync_to_thread=True,
    tags=["Referrals"],
    status_code=200,
)
def cancel_referral(
    referral_id: FromPath[str], data: JSONBody[CancelIn], session: Unit, user: Caller
) -> ReferralOut:
    """The sending organisation withdraws an open referral; the reason is required."""
    referral = service.cancel(session, user, referral_id, str(data.reason))
    return referral_out(session, referral, True)


ROUTES = [post_referrals, list_referrals, get_referral, cancel_referral]
