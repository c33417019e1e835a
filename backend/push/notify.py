"""Queue notifications in the outbox, inside the producer's transaction: a change and the
notifications it causes are committed together or not at all (sender.py delivers them). The
referral events arrive here as subscriptions (see SUBSCRIPTIONS, wired by backend/capabilities.py)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.db.rows import insert_rows
from backend.directory.models import DirectoryService
from backend.push.models import Notification
from backend.referrals.events import ReferralSent, ReferralsOverdue, ReferralStatusChanged
from backend.referrals.models import Referral


def _offer_names(session: Session, service_id: str) -> dict[str, str]:
    """The offer's name in both languages (not personal): the message is rendered per recipient."""
    offer = session.get(DirectoryService, service_id)
    if offer is None:
        return {}
    return {
        "offer_de": offer.name_de or offer.name_fr or "",
        "offer_fr": offer.name_fr or offer.name_de or "",
    }


def queue(
    session: Session,
    user_ids: list[int],
    kind: str,
    topic: str,
    referral_id: str | None,
    params: dict[str, Any],
) -> list[str]:
    """One pending notification per user, written at once; returns their ids."""
    rows: list[dict[str, Any]] = [
        {
            "id": str(uuid.uuid4()),
            "user_id": uid,
            "kind": kind,
            "topic": topic,
            "referral_id": referral_id,
            "params": params,
            "delivered_to": [],
        }
        for uid in dict.fromkeys(user_ids)
    ]
    insert_rows(session, Notification, *rows)
    return [row["id"] for row in rows]


_COORDINATORS = select(User.id).where(
    User.organisation_id == bindparam("organisation_id"),
    User.role == Role.COORDINATOR.value,
    col(User.is_active).is_(True),
)


def coordinators(session: Session, organisation_id: int | None) -> list[int]:
    if organisation_id is None:
        return []
    return [uid for uid in session.exec(_COORDINATORS, params={"organisation_id": organisation_id}) if uid]


def new_referral(session: Session, referral: Referral) -> None:
    """The receiving organisation's coordinators learn that a referral arrived."""
    queue(
        session,
        coordinators(session, referral.receiving_organisation_id),
        "new_referral",
        f"new:{referral.receiving_organisation_id}",
        referral.id,
        _offer_names(session, referral.service_id),
    )


def status_changed(session: Session, referral: Referral, by_organisation_id: int | None) -> None:
    """The other side learns of every change: the referring nurse when the receiver acts,
    the receiver's coordinators when the referrer withdraws."""
    names = _offer_names(session, referral.service_id)
    if by_organisation_id == referral.organisation_id and referral.status == "cancelled":
        queue(
            session,
            coordinators(session, referral.receiving_organisation_id),
            "cancelled",
            f"cancelled:{referral.id}",
            referral.id,
            names,
        )
    elif by_organisation_id == referral.receiving_organisation_id and referral.created_by:
        params = {**names, "status": referral.status, "outcome": referral.outcome}
        queue(session, [referral.created_by], "status", f"status:{referral.id}", referral.id, params)


def overdue(session: Session, organisation_id: int, count: int) -> None:
    queue(
        session,
        coordinators(session, organisation_id),
        "overdue",
        f"overdue:{organisation_id}",
        None,
        {"count": count},
    )


# The domain events that notify someone (subscribed by backend/capabilities.py: wire()).


def on_referral_sent(session: Session, event: ReferralSent) -> None:
    new_referral(session, event.referral)


def on_status_changed(session: Session, event: ReferralStatusChanged) -> None:
    status_changed(session, event.referral, by_organisation_id=event.by_organisation_id)


def on_overdue(session: Session, event: ReferralsOverdue) -> None:
    overdue(session, event.organisation_id, event.count)


SUBSCRIPTIONS: list[tuple[type, Any]] = [
    (ReferralSent, on_referral_sent),
    (ReferralStatusChanged, on_status_changed),
    (ReferralsOverdue, on_overdue),
]
