"""Web Push for users (named for its main job, the JSON API): the server's public key, one
subscription per device, a test push; and the settings page that turns notifications on and off."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from litestar import Request, Response, delete, get, post
from litestar.params import JSONBody
from litestar.response import Template
from sqlmodel import Session, select

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import AppSettings, Caller, Unit
from backend.errors import InvalidInput
from backend.i18n import N_
from backend.push import notify, vapid
from backend.push.guard import check_endpoint
from backend.push.models import PushSubscription
from backend.web import render

SUBSCRIBERS = allow(Role.NURSE, Role.COORDINATOR)


@dataclass
class SubscriptionKeys:
    p256dh: str
    auth: str


@dataclass
class SubscriptionIn:
    """What the browser's `PushSubscription.toJSON()` gives."""

    endpoint: str
    keys: SubscriptionKeys
    expirationTime: int | None = None


@dataclass
class EndpointIn:
    endpoint: str


@dataclass
class PushKey:
    public_key: str


@dataclass
class Queued:
    devices: int
    notifications: list[str] = field(default_factory=list)


def _key_bytes(value: str, length: int, field_name: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != length:
        raise InvalidInput(N_("This push subscription has invalid keys."), field=field_name)
    return value


def _device_count(session: Session, user_id: int) -> int:
    return len(session.exec(select(PushSubscription.id).where(PushSubscription.user_id == user_id)).all())


@get("/api/v1/push/key", name="push.api.key", opt=allow(), tags=["Push"])
async def push_key(settings: AppSettings) -> PushKey:
    """The VAPID public key for `pushManager.subscribe({applicationServerKey})`."""
    signer = vapid.load(settings.vapid_key_file)
    if signer is None:
        raise InvalidInput(N_("Push notifications are not set up on this server yet."))
    return PushKey(vapid.public_key(signer))


@post(
    "/api/v1/push/subscriptions",
    name="push.api.subscribe",
    opt=SUBSCRIBERS,
    sync_to_thread=True,
    tags=["Push"],
    status_code=201,
)
def subscribe(data: JSONBody[SubscriptionIn], session: Unit, user: Caller, settings: AppSettings) -> Response:
    endpoint = check_endpoint(str(data.endpoint), settings.production)
    p256dh = _key_bytes(str(data.keys.p256dh), 65, "keys.p256dh")
    auth = _key_bytes(str(data.keys.auth), 16, "keys.auth")
    existing = session.exec(select(PushSubscription).where(PushSubscription.endpoint == endpoint)).first()
    # The same device after another login belongs to whoever subscribed last.
    row = existing or PushSubscription(user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth)
    row.user_id, row.p256dh, row.auth = user.id, p256dh, auth
    session.add(row)
    return Response({"subscribed": True}, status_code=201)


@delete(
    "/api/v1/push/subscriptions",
    name="push.api.unsubscribe",
    opt=SUBSCRIBERS,
    sync_to_thread=True,
    tags=["Push"],
    status_code=204,
)
def unsubscribe(data: JSONBody[EndpointIn], session: Unit, user: Caller) -> None:
    query = select(PushSubscription).where(
        PushSubscription.endpoint == str(data.endpoint), PushSubscription.user_id == user.id
    )
    for row in session.exec(query).all():
        session.delete(row)


@post(
    "/api/v1/push/test",
    name="push.api.test",
    opt=SUBSCRIBERS,
    sync_to_thread=True,
    tags=["Push"],
    status_code=202,
)
def test_push(session: Unit, user: Caller) -> Queued:
    """Queues one test notification for each of the caller's own devices."""
    devices = _device_count(session, user.id)
    ids = notify.queue(session, [user.id], "test", f"test:{user.id}", None, {}) if devices else []
    return Queued(devices, ids)


@get(
    "/settings/notifications",
    name="push.settings",
    opt=SUBSCRIBERS,
    sync_to_thread=True,
    include_in_schema=False,
)
def settings_page(request: Request, reader: Unit, user: Caller) -> Template:
    devices = _device_count(reader, user.id)
    return render(request, "settings/notifications.html", {"devices": devices})


ROUTES = [push_key, subscribe, unsubscribe, test_push, settings_page]
