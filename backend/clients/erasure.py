"""A client's right of access and to erasure (revDSG art. 25, 32): everything we hold about
one client as JSON, and erasing it. Erasure keeps the anonymous statistics a referral carries
(need, district, language, status and its timestamps) and removes everything personal:
the client, the screenings' answers, consents, what was shared and internal notes."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, delete, select

from backend.accounts.service import CurrentUser
from backend.audit.models import record
from backend.clients.service import open_client
from backend.i18n import N_
from backend.referrals.models import CaseNote, Consent, Referral, ReferralEvent
from backend.referrals.service import change_status
from backend.referrals.states import OPEN, Status
from backend.screening.models import Screening

ERASED = N_("The client asked for erasure.")


def _row(obj: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in obj.model_dump().items()}


def export(session: Session, user: CurrentUser, client_id: str) -> dict[str, Any]:
    client = open_client(session, user, client_id)
    screenings = session.exec(select(Screening).where(Screening.client_id == client.id)).all()
    consents = session.exec(select(Consent).where(Consent.client_id == client.id)).all()
    referrals = session.exec(select(Referral).where(Referral.client_id == client.id)).all()
    ids = [r.id for r in referrals]
    events = session.exec(select(ReferralEvent).where(col(ReferralEvent.referral_id).in_(ids))).all()
    record(session, user.id, user.organisation_id, "export", "client", client.id)
    return {
        "client": _row(client),
        "screenings": [_row(s) for s in screenings],
        "consents": [_row(c) for c in consents],
        "referrals": [
            {
                **{k: v for k, v in _row(r).items() if k not in ("assigned_to", "created_by")},
                "history": [
                    {"status": e.to_status, "reason": e.reason, "at": e.at.isoformat()}
                    for e in events
                    if e.referral_id == r.id
                ],
            }
            for r in referrals
        ],
    }


def erase(session: Session, user: CurrentUser, client_id: str) -> None:
    client = open_client(session, user, client_id)
    referrals = session.exec(select(Referral).where(Referral.client_id == client.id)).all()
    ids = [r.id for r in referrals]
    for referral in referrals:
        if Status(referral.status) in OPEN:  # the receiving side stops, and is told why
            change_status(session, user, referral, Status.CANCELLED, ERASED)
    session.flush()
    for referral in referrals:
        referral.client_id = referral.screening_id = referral.consent_id = None
        referral.shared = {}
        referral.status_reason = None
    if ids:
        session.exec(delete(CaseNote).where(col(CaseNote.referral_id).in_(ids)))  # type: ignore[call-overload]
        for event in session.exec(select(ReferralEvent).where(col(ReferralEvent.referral_id).in_(ids))).all():
            if event.reason != ERASED:
                event.reason = None  # free text may name the person
    session.flush()
    session.exec(delete(Consent).where(col(Consent.client_id) == client.id))  # type: ignore[call-overload]
    session.exec(delete(Screening).where(col(Screening.client_id) == client.id))  # type: ignore[call-overload]
    session.delete(client)
    record(session, user.id, user.organisation_id, "erase", "client", client_id)
