"""A client's referrals in their export, and what erasing the client does to them (see
backend/clients/erasure.py): open referrals are cancelled (the receiving side stops, and is
told why), then every referral keeps only its anonymous statistics (need, district, language,
status and its timestamps); consents, what was shared and internal notes go."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, delete, select

from backend.clients.erasure import ERASED, ClientErasing, as_row
from backend.clients.models import Client
from backend.referrals.models import CaseNote, Consent, Referral, ReferralEvent
from backend.referrals.service import change_status
from backend.referrals.states import OPEN, Status


def export_part(session: Session, client: Client) -> dict[str, Any]:
    consents = session.exec(select(Consent).where(Consent.client_id == client.id)).all()
    referrals = session.exec(select(Referral).where(Referral.client_id == client.id)).all()
    ids = [r.id for r in referrals]
    events = session.exec(select(ReferralEvent).where(col(ReferralEvent.referral_id).in_(ids))).all()
    return {
        "consents": [as_row(c) for c in consents],
        "referrals": [
            {
                **{k: v for k, v in as_row(r).items() if k not in ("assigned_to", "created_by")},
                "history": [
                    {"status": e.to_status, "reason": e.reason, "at": e.at.isoformat()}
                    for e in events
                    if e.referral_id == r.id
                ],
            }
            for r in referrals
        ],
    }


def on_client_erasing(session: Session, event: ClientErasing) -> None:
    client, user = event.client, event.user
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
        session.exec(delete(CaseNote).where(col(CaseNote.referral_id).in_(ids)))
        for event_row in session.exec(
            select(ReferralEvent).where(col(ReferralEvent.referral_id).in_(ids))
        ).all():
            if event_row.reason != ERASED:
                event_row.reason = None  # free text may name the person
    session.flush()
    session.exec(delete(Consent).where(col(Consent.client_id) == client.id))


SUBSCRIPTIONS: list[tuple[type, Any]] = [(ClientErasing, on_client_erasing)]
