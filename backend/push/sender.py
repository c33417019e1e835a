"""The outbox worker: claims due notifications, sends them to every device of their user with
pywebpush, records each attempt. At-least-once: a notification is marked sent only after the
push services accepted it; the id in the payload lets the service worker drop a repeat.

Claims are leases (`locked_until`), so a worker that dies mid-round only delays its rows; on
PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several workers share the table."""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from pywebpush import WebPusher
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.db.engine import session_scope
from backend.db.outbox import STOPPING, claim_due
from backend.db.types import utcnow
from backend.errors import InvalidInput
from backend.i18n import DEFAULT_LANGUAGE
from backend.push import messages, vapid
from backend.push.guard import vet
from backend.push.models import DeliveryAttempt, Notification, PushSubscription
from backend.push.transport import PushSession
from backend.settings import Settings
from backend.system import metrics

log = logging.getLogger("passerelle.push")
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 6
TTL = 24 * 3600  # a push older than a day is not worth showing
NOT_BEGUN = "worker stopping"  # a push the stopping worker leaves to the next one


@dataclass
class Round:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    merged: int = 0
    removed_subscriptions: int = 0
    skipped: list[str] = field(default_factory=list)


def _backoff(attempts: int, retry_after: int | None) -> timedelta:
    seconds = min(30 * 2 ** (attempts - 1), 3600)
    return timedelta(seconds=max(seconds, retry_after or 0))


def _retry_after(response: Any) -> int | None:
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    return int(value) if value and str(value).isdigit() else None


@dataclass
class Push:
    """One payload for one device: plain data, so that it can be sent from a thread."""

    lead: Notification
    subscription_id: int
    endpoint: str
    keys: dict[str, str]
    payload: str
    status_code: int | None = None
    error: str | None = None
    retry_after: int | None = None


class Courier:
    """Sends one round's pushes, several at a time: a keep-alive HTTP session, one VAPID
    signature per push service (valid for hours; signing each push would double the CPU cost).

    Every endpoint is vetted before its push; the session connects to the address vetted
    first for that name in this round, never to a later DNS answer (see transport.py)."""

    PARALLEL = 8

    def __init__(self, settings: Settings, signer: Any, http: PushSession) -> None:
        self.settings, self.signer, self.http = settings, signer, http
        self.signatures: dict[str, dict[str, str]] = {}

    def prepare(self, push: Push) -> bool:
        """Checks the endpoint again (DNS may have changed), pins its address, signs for it."""
        try:
            address = vet(push.endpoint, self.settings.production)
        except InvalidInput:
            push.error = "endpoint refused"
            return False
        parts = urlsplit(push.endpoint)
        if self.http.adapter.pinned(parts.hostname or "") is None:  # one address per name and round
            self.http.adapter.pin(parts.hostname or "", address)
        audience = f"{parts.scheme}://{parts.netloc}"
        if audience not in self.signatures:
            expires = int(time.time()) + 12 * 3600
            claims = {"sub": self.settings.vapid_subject, "aud": audience, "exp": expires}
            self.signatures[audience] = self.signer.sign(claims)
        return True

    def send(self, push: Push) -> Push:
        if STOPPING.is_set():  # SIGTERM: the pushes already travelling finish, no new one begins
            push.error = NOT_BEGUN
            return push
        parts = urlsplit(push.endpoint)
        topic = push.lead.topic.replace(":", "-")[:32]
        headers = {**self.signatures[f"{parts.scheme}://{parts.netloc}"], "Urgency": "normal", "Topic": topic}
        try:
            response = WebPusher(
                {"endpoint": push.endpoint, "keys": push.keys}, requests_session=self.http
            ).send(push.payload, headers, ttl=TTL, content_encoding="aes128gcm", timeout=10)
        except Exception as error:
            push.error = type(error).__name__[:200]
            return push
        push.status_code, push.retry_after = response.status_code, _retry_after(response)
        return push

    def send_all(self, pushes: list[Push]) -> list[Push]:
        ready = [p for p in pushes if self.prepare(p)]
        with ThreadPoolExecutor(self.PARALLEL) as pool:
            list(pool.map(self.send, ready))
        return pushes


def _payload(lead: Notification, count: int, locale: str) -> str:
    message = messages.render(lead.kind, lead.params, lead.referral_id, locale, count)
    body = {"id": lead.id, "title": message.title, "body": message.body, "url": message.url}
    return json.dumps({**body, "tag": lead.topic, "count": count})


def _record(session: Session, push: Push, result: Round) -> bool:
    """Writes the attempt; True when the push must be tried again later."""
    session.add(
        DeliveryAttempt(
            notification_id=push.lead.id,
            subscription_id=push.subscription_id,
            status_code=push.status_code,
            error=push.error,
        )
    )
    code = push.status_code
    if code is not None and code < 300:
        push.lead.delivered_to = [*push.lead.delivered_to, push.subscription_id]
        return False
    # Unsubscribed, expired or unsafe. A push service answers 201; one that redirects is not
    # followed (the Location could be any address, ours included) and would only redirect
    # again: its subscription goes, as a 410's does (notifications can be turned on again).
    if push.error == "endpoint refused" or code in (404, 410) or (code is not None and 300 <= code < 400):
        session.exec(delete(PushSubscription).where(col(PushSubscription.id) == push.subscription_id))
        result.removed_subscriptions += 1
        return False
    # No answer, 429 or 5xx: later. Another 4xx will never be accepted; retrying would not help.
    return code is None or code == 429 or code >= 500


def deliver_due(engine: Engine, settings: Settings, limit: int = 200) -> Round:
    """One round: everything due, grouped per user and topic (a burst becomes one summary)."""
    result = Round()
    signer = vapid.load(settings.vapid_key_file)
    if signer is None:
        result.skipped.append("no VAPID key: run `python -m backend vapid init`")
        return result
    claimed = claim_due(engine, Notification, limit, LEASE)
    if not claimed:
        return result
    with session_scope(engine) as session, PushSession(Courier.PARALLEL) as http, session.no_autoflush:
        rows = session.exec(select(Notification).where(col(Notification.id).in_(claimed))).all()
        user_ids = {row.user_id for row in rows}
        locales = {
            u.id: u.language or DEFAULT_LANGUAGE
            for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()
        }
        devices: dict[int, list[PushSubscription]] = {}
        for sub in session.exec(
            select(PushSubscription).where(col(PushSubscription.user_id).in_(user_ids))
        ).all():
            devices.setdefault(sub.user_id, []).append(sub)
        # End the read here: no transaction stays open while the pushes travel, and the writes
        # below begin a new one with a write (SQLite cannot turn a reader into a writer once
        # another process has committed, and would refuse the whole round).
        session.commit()
        groups: dict[tuple[int, str], list[Notification]] = {}
        for row in sorted(rows, key=lambda r: r.created_at):
            groups.setdefault((row.user_id, row.topic), []).append(row)
        leads, pushes = [], []
        for group in groups.values():
            lead = group[-1]
            for row in group[:-1]:
                row.status, row.locked_until = "merged", None
                result.merged += 1
            leads.append(lead)
            payload = _payload(lead, len(group), locales.get(lead.user_id, DEFAULT_LANGUAGE))
            keys_of = devices.get(lead.user_id, [])
            pushes += [
                Push(lead, sub.id, sub.endpoint, {"p256dh": sub.p256dh, "auth": sub.auth}, payload)
                for sub in keys_of
                if sub.id is not None and sub.id not in lead.delivered_to  # (a stored row always has an id)
            ]
        retry: dict[str, int | None] = {}
        given_back: set[str] = set()
        for push in Courier(settings, signer, http).send_all(pushes):
            if push.error == NOT_BEGUN:
                given_back.add(push.lead.id)
            elif _record(session, push, result):
                retry[push.lead.id] = max(retry.get(push.lead.id) or 0, push.retry_after or 0)
        for lead in leads:
            lead.locked_until = None
            if lead.id in given_back:  # due again at once; the devices it reached are noted
                continue
            lead.attempts += 1
            if lead.id in retry and lead.attempts < MAX_ATTEMPTS:
                lead.next_attempt_at = utcnow() + _backoff(lead.attempts, retry[lead.id])
                result.retried += 1
            elif lead.id in retry:
                lead.status = "failed"
                result.failed += 1
            else:
                lead.status, lead.sent_at = "sent", utcnow()
                result.sent += 1
    metrics.count_push(
        result.sent, result.retried, result.failed, result.merged, result.removed_subscriptions
    )
    return result
