"""Delivery of FHIR subscription notifications (rest-hook, id-only), run by the worker beside
the Web Push delivery (backend/jobs.py). Each outbox row becomes one notification Bundle (type
`history`, its first entry the R4 backport SubscriptionStatus Parameters naming the Task) posted
to the subscriber's endpoint. It holds no personal data: references and numbers only.

As for Web Push (backend/push/sender.py): rows are claimed as leases (`locked_until`; on
PostgreSQL with FOR UPDATE SKIP LOCKED so several workers share the table), the endpoint is
vetted again before each round and the request goes to the vetted address only, no redirect
is followed. 2xx: sent. No answer, 429 or 5xx: again later (backoff, Retry-After), and after
MAX_ATTEMPTS the subscription goes to `error` (it then hears of nothing more until replaced).
Another answer (3xx, 4xx): that notification failed; retrying would not help."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, update
from sqlmodel import col, select

from backend.db.engine import session_scope
from backend.db.outbox import claim_due
from backend.db.types import utcnow
from backend.errors import InvalidInput
from backend.fhir.models import FhirNotification, FhirSubscription
from backend.fhir.subscriptions import BACKPORT, FHIR_JSON, status_parameters
from backend.fhir.task import instant
from backend.push.guard import vet
from backend.push.transport import PushSession
from backend.settings import Settings

log = logging.getLogger("passerelle.fhir")
NOTIFICATION_PROFILE = f"{BACKPORT}/backport-subscription-notification-r4"
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8  # 5 s, 15 s, 45 s ... an hour: about two hours in all
TIMEOUT = 10
PARALLEL = 4


@dataclass
class Round:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def bundle(
    notification_id: str,
    subscription_id: str,
    subscription_status: str,
    task_id: str,
    event_number: int,
    at: datetime,
    base: str,
) -> dict[str, Any]:
    """The notification Bundle (R4 backport, id-only): the Task's reference, nothing of it."""
    subscription = f"{base}/Subscription/{subscription_id}"
    event = {
        "name": "notification-event",
        "part": [
            {"name": "event-number", "valueString": str(event_number)},
            {"name": "timestamp", "valueInstant": instant(at)},
            {"name": "focus", "valueReference": {"reference": f"{base}/Task/{task_id}"}},
        ],
    }
    status = status_parameters(
        notification_id, subscription, subscription_status, "event-notification", event_number, [event]
    )
    return {
        "resourceType": "Bundle",
        "id": notification_id,
        "meta": {"profile": [NOTIFICATION_PROFILE]},
        "type": "history",
        "timestamp": instant(utcnow()),
        "entry": [
            {
                "fullUrl": f"urn:uuid:{notification_id}",
                "resource": status,
                "request": {"method": "GET", "url": f"{subscription}/$status"},
                "response": {"status": "200"},
            }
        ],
    }


def _backoff(attempts: int, retry_after: int | None) -> timedelta:
    seconds = min(5 * 3 ** (attempts - 1), 3600)
    return timedelta(seconds=max(seconds, min(retry_after or 0, 3600)))


@dataclass
class Post:
    """One notification for one endpoint: plain data, so that it can be sent from a thread."""

    notification_id: str
    subscription_id: str
    attempts: int
    endpoint: str
    headers: list[str]
    body: bytes
    status_code: int | None = None
    error: str | None = None
    retry_after: int | None = None


def _prepare(http: PushSession, post: Post, production: bool) -> bool:
    """Vets the endpoint again (DNS may have changed) and pins the address to connect to."""
    try:
        address = vet(post.endpoint, production)
    except InvalidInput:
        post.error = "endpoint refused"
        return False
    host = urlsplit(post.endpoint).hostname or ""
    if http.adapter.pinned(host) is None:  # one address per name and round
        http.adapter.pin(host, address)
    return True


def _send(http: PushSession, post: Post) -> Post:
    headers = {}
    for header in post.headers:  # checked when the subscription was made
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    headers.update({"Content-Type": FHIR_JSON, "Accept": FHIR_JSON})
    try:
        # stream: the answer's body is never read (an endpoint could answer gigabytes).
        response = http.post(post.endpoint, data=post.body, headers=headers, timeout=TIMEOUT, stream=True)
        response.close()
    except Exception as error:
        post.error = type(error).__name__[:200]
        return post
    post.status_code = response.status_code
    retry_after = response.headers.get("Retry-After")
    post.retry_after = int(retry_after) if retry_after and retry_after.isdigit() else None
    return post


def deliver_due(engine: Engine, settings: Settings, limit: int = 100) -> Round:
    """One round: every due notification posted once, its outcome written."""
    result = Round()
    claimed = claim_due(engine, FhirNotification, limit, LEASE)
    if not claimed:
        return result
    base = settings.base_url + "/fhir"
    with session_scope(engine) as session, PushSession(PARALLEL) as http:
        rows = session.exec(select(FhirNotification).where(col(FhirNotification.id).in_(claimed))).all()
        wanted = {row.subscription_id for row in rows}
        subs = {
            s.id: s
            for s in session.exec(select(FhirSubscription).where(col(FhirSubscription.id).in_(wanted))).all()
        }
        # End the read: no transaction stays open while the posts travel (see push/sender.py).
        session.commit()
        posts: list[Post] = []
        stopped: list[str] = []
        for row in rows:
            sub = subs.get(row.subscription_id)
            if sub is None or sub.status != "active":
                stopped.append(row.id)
                continue
            body = bundle(row.id, sub.id, sub.status, row.task_id, row.event_number, row.created_at, base)
            posts.append(
                Post(row.id, sub.id, row.attempts, sub.endpoint, sub.headers, json.dumps(body).encode())
            )
        ready = [p for p in posts if _prepare(http, p, settings.production)]
        with ThreadPoolExecutor(PARALLEL) as pool:
            list(pool.map(lambda p: _send(http, p), ready))

        # Plain UPDATEs: a subscription deleted meanwhile took its rows along, and that is fine.
        now = utcnow()
        table = FhirNotification
        if stopped:
            session.exec(
                update(table)
                .where(col(table.id).in_(stopped))
                .values(status="failed", locked_until=None, last_error="subscription not active")
            )
            result.failed += len(stopped)
        broken: dict[str, str] = {}
        for post in posts:
            attempts, code = post.attempts + 1, post.status_code
            values: dict[str, Any] = {
                "attempts": attempts,
                "locked_until": None,
                "last_status_code": code,
                "last_error": post.error,
            }
            if code is not None and 200 <= code < 300:
                values.update(status="sent", sent_at=now)
                result.sent += 1
            elif post.error == "endpoint refused":
                values.update(status="failed")
                broken[post.subscription_id] = "endpoint refused"
                result.failed += 1
            elif code is None or code == 429 or code >= 500:
                if attempts < MAX_ATTEMPTS:
                    values.update(next_attempt_at=now + _backoff(attempts, post.retry_after))
                    result.retried += 1
                else:
                    values.update(status="failed")
                    broken[post.subscription_id] = (
                        f"delivery failed {attempts} times (last: {code or post.error})"
                    )
                    result.failed += 1
            else:
                values.update(status="failed")
                result.failed += 1
            session.exec(update(table).where(col(table.id) == post.notification_id).values(**values))
        for sub_id, why in broken.items():
            session.exec(
                update(FhirSubscription)
                .where(col(FhirSubscription.id) == sub_id, col(FhirSubscription.status) == "active")
                .values(status="error", error=why[:200], updated_at=now)
            )
            log.warning("fhir subscription %s in error: %s", sub_id, why)
    return result
