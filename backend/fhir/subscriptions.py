"""Topic-based FHIR Subscriptions as the R4 Subscriptions Backport IG 1.1.0 describes them: one
topic (Task changes), filtered by owner, requester and status, on rest-hook channels with
id-only payloads (a notification names the Task; the subscriber then reads it with its token).

A subscription belongs to its creator's organisation and only ever matches the Tasks that
organisation sends or receives; a filter naming another organisation is refused. The referral
events arrive here as subscriptions (SUBSCRIPTIONS, wired by backend/capabilities.py): each
matching subscription gets one outbox row in the producer's transaction, which the worker
posts (notifications.py)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from backend.accounts.service import CurrentUser
from backend.audit.models import record
from backend.db.rows import insert_rows, table_of
from backend.db.types import utcnow
from backend.directory.models import DirectoryOrganization
from backend.errors import InvalidInput, NotFound
from backend.fhir import codes
from backend.fhir.models import FhirNotification, FhirSubscription
from backend.fhir.task import instant
from backend.fhir.version import version_of
from backend.i18n import N_
from backend.push.guard import vet
from backend.referrals.events import ContactLogged, ReferralSent, ReferralStatusChanged
from backend.referrals.models import Referral
from backend.referrals.states import Status

BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"
SUBSCRIPTION_PROFILE = f"{BACKPORT}/backport-subscription"
FILTER_CRITERIA = f"{BACKPORT}/backport-filter-criteria"
PAYLOAD_CONTENT = f"{BACKPORT}/backport-payload-content"
STATUS_PROFILE = f"{BACKPORT}/backport-subscription-status-r4"
TOPIC_ID = "task-changed"
TOPIC_URL = f"https://fhir.passerelle.ch/SubscriptionTopic/{TOPIC_ID}"
FHIR_JSON = "application/fhir+json"
FILTERS = ("owner", "requester", "status")
MAX_FILTERS = 10
MAX_HEADERS = 5
# Headers a subscriber may not set: they belong to the request we make.
RESERVED_HEADERS = {"host", "content-type", "content-length", "transfer-encoding", "connection"}
HEADER = re.compile(r"^([A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}):[ \t]*([\x20-\x7e]{1,1000})$")

NO_SUCH = N_("No such subscription in your organisation.")
NOT_A_SUBSCRIPTION = N_("Expected a Subscription resource.")
BAD_STATUS = N_("A new subscription has the status requested.")
UNKNOWN_TOPIC = N_("This server offers one topic: put its address in Subscription.criteria.")
BAD_FILTER = N_(
    "A filter reads like Task?owner=Organization/ID&status=requested; the parameters are owner, "
    "requester and status."
)
NOT_YOUR_OWNER = N_("A filter may name as owner only your own organisation.")
NOT_YOUR_REQUESTER = N_("A filter may name as requester only your own organisation.")
UNKNOWN_TASK_STATUS = N_("A filter names a Task status that does not exist.")
ONLY_REST_HOOK = N_("Only rest-hook channels are offered.")
ONLY_FHIR_JSON = N_("Notifications are sent as application/fhir+json.")
ONLY_ID_ONLY = N_(
    "Notifications carry only the Task's id, never its content: use the payload content id-only."
)
BAD_ENDPOINT = N_("This endpoint cannot be used: it must be an https address on the public internet.")
BAD_HEADER = N_("A channel header reads like 'Authorization: Bearer ...', on one line.")
PAST_END = N_("The end of a subscription cannot lie in the past.")


# --- reading a Subscription resource (pure) --------------------------------------------------


@dataclass(frozen=True)
class Request:
    """What a Subscription resource asks for, checked for form (not yet against the caller)."""

    criteria: list[str]
    filters: dict[str, list[str]]
    reason: str
    endpoint: str
    headers: list[str]
    end: datetime | None


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _extensions(element: Any, url: str) -> list[Any]:
    if not isinstance(element, dict) or not isinstance(element.get("extension"), list):
        return []
    return [e for e in element["extension"] if isinstance(e, dict) and e.get("url") == url]


def _reference_id(value: str, prefix: str) -> str:
    return value.removeprefix(prefix)


def parse_filter(text: str) -> dict[str, set[str]]:
    """`Task?owner=Organization/X&status=requested,accepted` → {"owner": {"X"}, "status": {...}}.
    One parameter given twice must match both (so: the values they share)."""
    resource, _, query = text.partition("?")
    if not query or resource != "Task":
        raise InvalidInput(BAD_FILTER, field="Subscription.criteria.extension")
    found: dict[str, set[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_FILTERS):
        values = {v.strip() for v in value.split(",") if v.strip()}
        if name not in FILTERS or not values:
            raise InvalidInput(BAD_FILTER, field="Subscription.criteria.extension")
        if name in ("owner", "requester"):
            values = {_reference_id(v, "Organization/") for v in values}
        found[name] = found[name] & values if name in found else values
    return found


def read_request(resource: Any, now: datetime) -> Request:
    """A Subscription resource as a client posts it: checked for form, every refusal pointing
    at its element."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Subscription":
        raise InvalidInput(NOT_A_SUBSCRIPTION, field="Subscription.resourceType")
    if resource.get("status") not in ("requested", "active"):
        raise InvalidInput(BAD_STATUS, field="Subscription.status")
    if resource.get("criteria") != TOPIC_URL:
        raise InvalidInput(UNKNOWN_TOPIC, field="Subscription.criteria")
    criteria: list[str] = []
    filters: dict[str, set[str]] = {}
    for extension in _extensions(resource.get("_criteria"), FILTER_CRITERIA):
        text = extension.get("valueString")
        if not isinstance(text, str) or len(text) > 1000 or len(criteria) >= MAX_FILTERS:
            raise InvalidInput(BAD_FILTER, field="Subscription.criteria.extension")
        criteria.append(text)
        for name, values in parse_filter(text).items():  # several filters: all must match
            filters[name] = filters[name] & values if name in filters else values
    for status in filters.get("status", set()):
        if status not in {s.value for s in Status}:
            raise InvalidInput(UNKNOWN_TASK_STATUS, field="Subscription.criteria.extension")

    channel = resource.get("channel")
    if not isinstance(channel, dict) or channel.get("type") != "rest-hook":
        raise InvalidInput(ONLY_REST_HOOK, field="Subscription.channel.type")
    if channel.get("payload") != FHIR_JSON:
        raise InvalidInput(ONLY_FHIR_JSON, field="Subscription.channel.payload")
    contents = [e.get("valueCode") for e in _extensions(channel.get("_payload"), PAYLOAD_CONTENT)]
    if contents != ["id-only"]:  # full-resource would send personal data; empty is not offered
        raise InvalidInput(ONLY_ID_ONLY, field="Subscription.channel.payload")
    endpoint = channel.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidInput(BAD_ENDPOINT, field="Subscription.channel.endpoint")
    headers = _strings(channel.get("header"))
    if headers is None or len(headers) > MAX_HEADERS:
        raise InvalidInput(BAD_HEADER, field="Subscription.channel.header")
    for header in headers:
        match = HEADER.match(header)
        if match is None or match.group(1).lower() in RESERVED_HEADERS:
            raise InvalidInput(BAD_HEADER, field="Subscription.channel.header")

    end = None
    if resource.get("end") is not None:
        try:
            end = datetime.fromisoformat(str(resource["end"]))
        except ValueError:
            end = None
        if end is None or end.tzinfo is None or end <= now:
            raise InvalidInput(PAST_END, field="Subscription.end")
    reason = resource.get("reason")
    return Request(
        criteria=criteria,
        filters={name: sorted(values) for name, values in filters.items()},
        reason=reason.strip()[:500] if isinstance(reason, str) and reason.strip() else "Task changes",
        endpoint=endpoint,
        headers=headers,
        end=end,
    )


# --- the service ----------------------------------------------------------------------------


def own_owners(session: Session, organisation_id: int) -> set[str]:
    """The directory organisations whose referrals this organisation receives: Task.owner."""
    query = select(DirectoryOrganization.id).where(DirectoryOrganization.organisation_id == organisation_id)
    return set(session.exec(query).all())


def create(session: Session, user: CurrentUser, resource: Any, production: bool) -> FhirSubscription:
    """A new subscription of the caller's organisation, active at once (no handshake)."""
    now = utcnow()
    wanted = read_request(resource, now)
    org = user.organisation_id
    if org is None:
        raise NotFound(NO_SUCH)
    if not set(wanted.filters.get("owner", [])) <= own_owners(session, org):
        raise InvalidInput(NOT_YOUR_OWNER, field="Subscription.criteria.extension")
    if not set(wanted.filters.get("requester", [])) <= {codes.passerelle_org_id(org)}:
        raise InvalidInput(NOT_YOUR_REQUESTER, field="Subscription.criteria.extension")
    try:
        vet(wanted.endpoint, production)
    except InvalidInput:
        raise InvalidInput(BAD_ENDPOINT, field="Subscription.channel.endpoint") from None
    subscription = FhirSubscription(
        id=str(uuid.uuid4()),
        organisation_id=org,
        created_by=user.id,
        status="active",
        topic=TOPIC_URL,
        criteria=wanted.criteria,
        filters=wanted.filters,
        reason=wanted.reason,
        endpoint=wanted.endpoint,
        headers=wanted.headers,
        ends_at=wanted.end,
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    session.flush()
    record(session, user.id, org, "create", "fhir_subscription", subscription.id)
    return subscription


def own(session: Session, user: CurrentUser, subscription_id: str, lock: bool = False) -> FhirSubscription:
    """One of the caller's organisation's subscriptions; another's is 'not found'. `lock`: its
    row stays locked until the end of the transaction (PostgreSQL; SQLite has one writer)."""
    subscription = session.get(FhirSubscription, subscription_id, with_for_update=lock)
    if (
        subscription is None
        or user.organisation_id is None
        or subscription.organisation_id != user.organisation_id
    ):
        raise NotFound(NO_SUCH)
    return subscription


def of_organisation(session: Session, user: CurrentUser, status: str | None = None) -> list[FhirSubscription]:
    query = select(FhirSubscription).where(FhirSubscription.organisation_id == user.organisation_id)
    if status:
        query = query.where(col(FhirSubscription.status).in_(status.split(",")))
    return list(session.exec(query.order_by(col(FhirSubscription.created_at))).all())


def remove(session: Session, user: CurrentUser, subscription_id: str) -> None:
    """The subscription and its notifications go (nothing more will be posted). Its row is
    locked first: an event being numbered for it finishes before, or finds it gone after."""
    subscription = own(session, user, subscription_id, lock=True)
    session.exec(delete(FhirNotification).where(col(FhirNotification.subscription_id) == subscription.id))
    session.delete(subscription)
    record(session, user.id, user.organisation_id, "delete", "fhir_subscription", subscription_id)


# --- the resources (pure) -------------------------------------------------------------------


def _redacted(header: str) -> str:
    """A header's value is the subscriber's secret: it is used, never shown again."""
    name, _, _ = header.partition(":")
    return f"{name}: ***"


def resource(subscription: FhirSubscription, now: datetime | None = None) -> dict[str, Any]:
    """The Subscription as R4 shows it; past its `end` it is `off` (it matches nothing more)."""
    ended = subscription.ends_at is not None and subscription.ends_at <= (now or utcnow())
    channel: dict[str, Any] = {
        "type": "rest-hook",
        "endpoint": subscription.endpoint,
        "payload": subscription.payload,
        "_payload": {"extension": [{"url": PAYLOAD_CONTENT, "valueCode": subscription.content}]},
    }
    if subscription.headers:
        channel["header"] = [_redacted(h) for h in subscription.headers]
    body: dict[str, Any] = {
        "resourceType": "Subscription",
        "id": subscription.id,
        "meta": {
            "versionId": version_of(subscription.updated_at),
            "lastUpdated": instant(subscription.updated_at),
            "profile": [SUBSCRIPTION_PROFILE],
        },
        "status": "off" if ended else subscription.status,
        "reason": subscription.reason,
        "criteria": subscription.topic,
    }
    if subscription.criteria:
        body["_criteria"] = {
            "extension": [{"url": FILTER_CRITERIA, "valueString": c} for c in subscription.criteria]
        }
    if subscription.ends_at is not None:
        body["end"] = instant(subscription.ends_at)
    if subscription.error:
        body["error"] = subscription.error
    body["channel"] = channel
    return body


def status_parameters(
    status_id: str,
    subscription: str,
    status: str,
    kind: str,
    events: int,
    notification_events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The R4 backport SubscriptionStatus (a Parameters resource): first entry of a notification
    (`event-notification`) and the answer of $status (`query-status`)."""
    parameters: list[dict[str, Any]] = [
        {"name": "subscription", "valueReference": {"reference": subscription}},
        {"name": "topic", "valueCanonical": TOPIC_URL},
        {"name": "status", "valueCode": status},
        {"name": "type", "valueCode": kind},
        {"name": "events-since-subscription-start", "valueString": str(events)},
    ]
    return {
        "resourceType": "Parameters",
        "id": status_id,
        "meta": {"profile": [STATUS_PROFILE]},
        "parameter": parameters + (notification_events or []),
    }


def _sub(url: str, **value: Any) -> dict[str, Any]:
    return {"url": url, **value}


def topic() -> dict[str, Any]:
    """The topic as R4 can hold it: a Basic resource with the R5 SubscriptionTopic's
    cross-version extensions (as the Backport IG's R4 topic example does)."""
    r5 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic"
    filters = {
        "owner": "The organisation that receives the referral (Task.owner), your own.",
        "requester": "The organisation that sent the referral (Task.requester), your own.",
        "status": "The Task's status (comma-separated values: any of them).",
    }
    return {
        "resourceType": "Basic",
        "id": TOPIC_ID,
        "meta": {"profile": ["http://hl7.org/fhir/5.0/StructureDefinition/profile-SubscriptionTopic"]},
        "modifierExtension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/artifact-status", "valueCode": "active"}
        ],
        "extension": [
            _sub("http://hl7.org/fhir/StructureDefinition/artifact-url", valueUri=TOPIC_URL),
            _sub(f"{r5}.version", valueString="1.0.0"),
            _sub(f"{r5}.name", valueString="TaskChanged"),
            _sub(f"{r5}.title", valueString="Passerelle referral Task changed"),
            _sub(
                f"{r5}.description",
                valueMarkdown="A referral (Task) was sent to or by your organisation, changed its "
                "status, or a contact was recorded on it.",
            ),
            _sub(
                f"{r5}.resourceTrigger",
                extension=[
                    _sub("description", valueMarkdown="A referral Task is created or updated."),
                    _sub("resource", valueUri="http://hl7.org/fhir/StructureDefinition/Task"),
                    _sub("supportedInteraction", valueCode="create"),
                    _sub("supportedInteraction", valueCode="update"),
                ],
            ),
            *(
                _sub(
                    f"{r5}.canFilterBy",
                    extension=[
                        _sub("description", valueMarkdown=text),
                        _sub("resource", valueUri="Task"),
                        _sub("filterParameter", valueString=name),
                    ],
                )
                for name, text in filters.items()
            ),
            _sub(f"{r5}.notificationShape", extension=[_sub("resource", valueUri="Task")]),
        ],
        "code": {"coding": [{"system": "http://hl7.org/fhir/fhir-types", "code": "SubscriptionTopic"}]},
    }


# --- matching events (subscribed by backend/capabilities.py) --------------------------------


def matches(
    filters: dict[str, list[str]], organisation_id: int, referral: Referral, receiver_sees: bool
) -> bool:
    """Whether a subscription of this organisation, with these filters, hears of this Task:
    never of a Task the organisation neither sent nor (visibly) receives."""
    sends = referral.organisation_id == organisation_id
    receives = receiver_sees and referral.receiving_organisation_id == organisation_id
    if not (sends or receives):
        return False
    if "owner" in filters and not (receives and referral.directory_organization_id in filters["owner"]):
        return False
    if "requester" in filters and not (
        sends and codes.passerelle_org_id(organisation_id) in filters["requester"]
    ):
        return False
    return "status" not in filters or referral.status in filters["status"]


def notify(session: Session, referral: Referral, event: str, receiver_sees: bool) -> int:
    """One outbox row per matching active subscription, numbered per subscription; returns
    how many. The counter is raised in the database, so concurrent events never share a number."""
    orgs = {referral.organisation_id}
    if receiver_sees:
        orgs.add(referral.receiving_organisation_id)
    orgs.discard(None)
    if not orgs:
        return 0
    table = table_of(FhirSubscription)
    now = utcnow()
    # In id order: concurrent events lock the counters they raise in the same order (no deadlock).
    found = session.connection().execute(
        select(table.c.id, table.c.organisation_id, table.c.filters, table.c.ends_at)
        .where(table.c.organisation_id.in_(orgs), table.c.status == "active")
        .order_by(table.c.id)
    )
    rows = []
    for sub_id, org, filters, end in found.all():
        if (end is not None and end <= now) or not matches(filters or {}, org, referral, receiver_sees):
            continue
        raise_count = (
            update(table)
            .where(table.c.id == sub_id)
            .values(events_count=table.c.events_count + 1)
            .returning(table.c.events_count)
        )
        number = session.connection().execute(raise_count).scalar_one_or_none()
        if number is None:  # deleted since it was read
            continue
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "subscription_id": sub_id,
                "task_id": referral.id,
                "event_number": number,
                "event": event,
                "created_at": now,
                "next_attempt_at": now,
            }
        )
    insert_rows(session, FhirNotification, *rows)
    return len(rows)


def on_referral_sent(session: Session, event: ReferralSent) -> None:
    notify(session, event.referral, "sent", receiver_sees=True)


def on_status_changed(session: Session, event: ReferralStatusChanged) -> None:
    # A draft's receiver never saw it: only its sender hears of what happens to it.
    seen = Status.DRAFT.value not in (event.previous, event.referral.status)
    notify(session, event.referral, "status", receiver_sees=seen)


def on_contact_logged(session: Session, event: ContactLogged) -> None:
    notify(session, event.referral, "contact", receiver_sees=True)


SUBSCRIPTIONS: list[tuple[type, Any]] = [
    (ReferralSent, on_referral_sent),
    (ReferralStatusChanged, on_status_changed),
    (ContactLogged, on_contact_logged),
]
