"""The outbox worker: claims due notifications, sends them to every device of their user with
pywebpush, records each attempt. At-least-once: a notification is marked sent only after the
push services accepted it; the id in the payload lets the service worker drop a repeat.

Claims are leases (`locked_until`), so a worker that dies mid-round only delays its rows; on
PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several workers share the table."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pywebpush import WebPushException, webpush
from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.db.engine import session_scope
from backend.db.types import utcnow
from backend.errors import InvalidInput
from backend.i18n import DEFAULT_LANGUAGE
from backend.push import messages, vapid
from backend.push.guard import check_endpoint
from backend.push.models import DeliveryAttempt, Notification, PushSubscription
from backend.settings import Settings

log = logging.getLogger("passerelle.push")
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 6
TTL = 24 * 3600  # a push older than a day is not worth showing


@dataclass
class Round:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    merged: int = 0
    removed_subscriptions: int = 0
    skipped: list[str] = field(default_factory=list)


def _claim(engine: Engine, limit: int) -> list[str]:
    now = utcnow()
    with session_scope(engine) as session:
        query = (
            select(Notification)
            .where(
                Notification.status == "pending",
                Notification.next_attempt_at <= now,
                or_(col(Notification.locked_until).is_(None), col(Notification.locked_until) < now),
            )
            .order_by(col(Notification.created_at))
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(session.exec(query).all())
        for row in rows:
            row.locked_until = now + LEASE
        return [row.id for row in rows]


def _backoff(attempts: int, retry_after: int | None) -> timedelta:
    seconds = min(30 * 2 ** (attempts - 1), 3600)
    return timedelta(seconds=max(seconds, retry_after or 0))


def _retry_after(response: Any) -> int | None:
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    return int(value) if value and str(value).isdigit() else None


def _send_group(
    session: Session, settings: Settings, signer: Any, lead: Notification, count: int, result: Round
):
    user = session.get(User, lead.user_id)
    locale = (user.language if user else None) or DEFAULT_LANGUAGE
    message = messages.render(lead.kind, lead.params, lead.referral_id, locale, count)
    payload = json.dumps(
        {
            "id": lead.id,
            "title": message.title,
            "body": message.body,
            "url": message.url,
            "tag": lead.topic,
            "count": count,
        }
    )
    subscriptions = session.exec(
        select(PushSubscription).where(PushSubscription.user_id == lead.user_id)
    ).all()
    retry, retry_after = False, None
    for subscription in subscriptions:
        if subscription.id in lead.delivered_to:
            continue
        attempt = DeliveryAttempt(notification_id=lead.id, subscription_id=subscription.id)
        session.add(attempt)
        try:
            check_endpoint(subscription.endpoint, settings.production)  # again: DNS may have changed
            response = webpush(
                {
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=payload,
                vapid_private_key=signer,
                vapid_claims={"sub": settings.vapid_subject},
                ttl=TTL,
                timeout=10,
                headers={"Urgency": "normal", "Topic": lead.topic.replace(":", "-")[:32]},
            )
            attempt.status_code = getattr(response, "status_code", None)
            lead.delivered_to = [*lead.delivered_to, subscription.id]
        except InvalidInput:
            attempt.error = "endpoint refused"
            session.delete(subscription)
            result.removed_subscriptions += 1
        except WebPushException as error:
            code = getattr(error.response, "status_code", None)
            attempt.status_code, attempt.error = code, "push service refused"
            if code in (404, 410):  # the device unsubscribed or the subscription expired
                session.delete(subscription)
                result.removed_subscriptions += 1
            elif code == 429 or code is None or code >= 500:
                retry, retry_after = True, _retry_after(error.response)
            # other 4xx: this payload will never be accepted; retrying would not help
        except Exception as error:  # noqa: BLE001 - network errors of any kind are retried
            attempt.error = type(error).__name__[:200]
            retry = True
    lead.attempts += 1
    lead.locked_until = None
    if retry and lead.attempts < MAX_ATTEMPTS:
        lead.next_attempt_at = utcnow() + _backoff(lead.attempts, retry_after)
        result.retried += 1
    elif retry:
        lead.status = "failed"
        result.failed += 1
    else:
        lead.status, lead.sent_at = "sent", utcnow()
        result.sent += 1


def deliver_due(engine: Engine, settings: Settings, limit: int = 200) -> Round:
    """One round: everything due, grouped per user and topic (a burst becomes one summary)."""
    result = Round()
    signer = vapid.load(settings.vapid_key_file)
    if signer is None:
        result.skipped.append("no VAPID key: run `python -m backend vapid init`")
        return result
    claimed = _claim(engine, limit)
    if not claimed:
        return result
    with session_scope(engine) as session:
        rows = session.exec(select(Notification).where(col(Notification.id).in_(claimed))).all()
        groups: dict[tuple[int, str], list[Notification]] = {}
        for row in sorted(rows, key=lambda r: r.created_at):
            groups.setdefault((row.user_id, row.topic), []).append(row)
        for group in groups.values():
            lead, older = group[-1], group[:-1]
            for row in older:
                row.status, row.locked_until = "merged", None
                result.merged += 1
            _send_group(session, settings, signer, lead, len(group), result)
    return result
