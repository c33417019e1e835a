"""/fhir/Subscription (R4 Subscriptions Backport IG 1.1.0: create, read, search, delete) and the
topic they name, /fhir/Basic/task-changed (R4 has no SubscriptionTopic resource: the IG holds
one in a Basic resource). A subscription is its organisation's: another's id answers 404."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import AppSettings, Caller, Unit
from backend.errors import NotFound
from backend.fhir import subscriptions
from backend.fhir.bundle import searchset
from backend.fhir.outcome import FHIR_JSON
from backend.fhir.version import etag
from backend.i18n import N_

# Every organisation that sends or receives referrals may subscribe to its own Tasks.
MEMBERS = allow(Role.NURSE, Role.COORDINATOR, Role.ORG_STAFF)
NO_TOPIC = N_("No such subscription topic.")


def _base(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def _fhir(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(body, status_code=status, media_type=FHIR_JSON, headers=headers or {})


@post("/fhir/Subscription", name="fhir.subscription.create", opt=MEMBERS, sync_to_thread=True)
def create_subscription(
    data: JSONBody[dict[str, Any]],
    request: Request[Any, Any, Any],
    session: Unit,
    user: Caller,
    settings: AppSettings,
) -> Response[Any]:
    """Active at once (no handshake); 422 for what cannot be offered (full-resource payloads,
    endpoints that are not public https, filters on other organisations)."""
    made = subscriptions.create(session, user, data, settings.production)
    resource = subscriptions.resource(made)
    location = f"{_base(request)}/Subscription/{made.id}/_history/{resource['meta']['versionId']}"
    return _fhir(resource, 201, {"Location": location, "ETag": etag(made.updated_at)})


@get("/fhir/Subscription/{id:str}", name="fhir.subscription.read", opt=MEMBERS, sync_to_thread=True)
def read_subscription(id: FromPath[str], reader: Unit, user: Caller) -> Response[Any]:
    found = subscriptions.own(reader, user, id)
    return _fhir(subscriptions.resource(found), headers={"ETag": etag(found.updated_at)})


@get("/fhir/Subscription/{id:str}/$status", name="fhir.subscription.status", opt=MEMBERS, sync_to_thread=True)
def subscription_status(
    id: FromPath[str], request: Request[Any, Any, Any], reader: Unit, user: Caller
) -> Response[Any]:
    """The backport's $status: a searchset Bundle holding the SubscriptionStatus (query-status)."""
    found = subscriptions.own(reader, user, id)
    base = _base(request)
    status = subscriptions.status_parameters(
        str(uuid.uuid4()), f"{base}/Subscription/{found.id}", found.status, "query-status", found.events_count
    )
    entry = {"fullUrl": f"urn:uuid:{status['id']}", "resource": status, "search": {"mode": "match"}}
    link = [{"relation": "self", "url": f"{base}/Subscription/{found.id}/$status"}]
    return _fhir({"resourceType": "Bundle", "type": "searchset", "total": 1, "link": link, "entry": [entry]})


@get("/fhir/Subscription", name="fhir.subscription.search", opt=MEMBERS, sync_to_thread=True)
def search_subscriptions(
    request: Request[Any, Any, Any], reader: Unit, user: Caller, status: FromQuery[str | None] = None
) -> Response[Any]:
    """The caller's organisation's subscriptions (optionally by status)."""
    found = [subscriptions.resource(s) for s in subscriptions.of_organisation(reader, user, status)]
    params = [("status", status)] if status else []
    return _fhir(searchset(_base(request), "Subscription", found, params, total=len(found)))


@delete("/fhir/Subscription/{id:str}", name="fhir.subscription.delete", opt=MEMBERS, sync_to_thread=True)
def delete_subscription(id: FromPath[str], session: Unit, user: Caller) -> None:
    """204; nothing more is posted for it (its pending notifications go too)."""
    subscriptions.remove(session, user, id)


@get("/fhir/Basic/{id:str}", name="fhir.basic.read", opt=MEMBERS)
async def read_topic(id: FromPath[str]) -> Response[Any]:
    if id != subscriptions.TOPIC_ID:
        raise NotFound(NO_TOPIC)
    return _fhir(subscriptions.topic())


@get("/fhir/Basic", name="fhir.basic.search", opt=MEMBERS)
async def search_topics(request: Request[Any, Any, Any], code: FromQuery[str | None] = None) -> Response[Any]:
    """`?code=SubscriptionTopic` (or none): the one topic there is."""
    topics = (
        [subscriptions.topic()]
        if code in (None, "SubscriptionTopic") or (code or "").endswith("|SubscriptionTopic")
        else []
    )
    params = [("code", code)] if code else []
    return _fhir(searchset(_base(request), "Basic", topics, params, total=len(topics)))


ROUTES = [
    create_subscription,
    read_subscription,
    subscription_status,
    search_subscriptions,
    delete_subscription,
    read_topic,
    search_topics,
]
