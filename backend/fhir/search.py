"""FHIR search on referrals: parameters → SQL filters, and keyset paging with `_count`.

Strict handling (FHIR `Prefer: handling=strict`): an unknown parameter, or a value we cannot
read, is a 400 OperationOutcome naming it, never silently ignored — a receiving
organisation's script that misspells `owner` must not get every Task back.

Rules FHIR gives and we follow: a repeated parameter narrows (AND), a comma inside one value
widens (OR). Tokens are `code` or `system|code`; references `Type/id` (or a full URL ending so).

A caller sees only referrals its organisation sent or receives (a draft never for the
receiver): `visible()` is part of every query, so paging, `total` and the audit all count the
same rows. Pages are ordered by (updated_at, id) and the next page starts after the last row
(`_cursor`): a script that works through `status=requested` and accepts Tasks as it goes
(which moves them out of the result) skips none, as offset paging would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, true
from sqlmodel import Session, col, select

from backend.accounts.service import CurrentUser
from backend.errors import InvalidInput
from backend.fhir import codes
from backend.fhir.bundle import DEFAULT_COUNT, MAX_COUNT
from backend.fhir.version import version_of
from backend.i18n import N_
from backend.referrals.models import Consent, Referral

UNKNOWN = N_("Unknown search parameter “%(name)s”.")
BAD_VALUE = N_("The search parameter “%(name)s” has a value that cannot be used here.")
BAD_COUNT = N_("_count must be a whole number from 1 to %(most)s.")
BAD_CURSOR = N_("This page link is not valid. Start the search again.")

CURSOR = "_cursor"  # our paging parameter: the position after which the next page starts
CONTROL = frozenset({"_count", CURSOR, "_format"})
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})

TASK_PARAMS = frozenset(
    {"_id", "code", "patient", "requester", "owner", "status", "focus", "_lastUpdated", "_include", "_sort"}
)
SERVICE_REQUEST_PARAMS = frozenset(
    {"_id", "category", "intent", "patient", "status", "_lastUpdated", "_sort"}
)
# Pages come in order of change (oldest first), the order a poller wants; asking for it is fine.
SORTS = frozenset({"_lastUpdated"})
TASK_INCLUDES = frozenset({"Task:focus", "Task:focus:ServiceRequest"})

TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"
# Every code of the R4 value sets: a known code we never use matches nothing, anything else is a
# mistake the caller should hear about.
TASK_STATUSES = frozenset(
    "draft requested received accepted rejected ready cancelled in-progress on-hold failed completed "
    "entered-in-error".split()
)
REQUEST_STATUSES = frozenset("draft active on-hold revoked completed entered-in-error unknown".split())
REQUEST_INTENTS = frozenset(
    "proposal plan directive order original-order reflex-order filler-order instance-order option".split()
)


class BadSearch(InvalidInput):
    """A search the server cannot run as asked: 400 (FHIR), not 422."""

    status_code = 400


def bad(name: str) -> BadSearch:
    return BadSearch(BAD_VALUE, field=name, name=name)


# --- parsing -------------------------------------------------------------------------------


def parse(pairs: list[tuple[str, str]], allowed: frozenset[str]) -> dict[str, list[str]]:
    """The query's parameters by name (repeated ones keep every value); unknown names refused."""
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in allowed and name not in CONTROL:
            raise BadSearch(UNKNOWN, field=name, name=name)
        if name == "_format" and value not in JSON_FORMATS:
            raise bad(name)  # we answer JSON only (the CapabilityStatement says so)
        found.setdefault(name, []).append(value)
    return found


def one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise bad(name)
    return values[0]


def count_of(params: dict[str, list[str]]) -> int:
    text = one(params, "_count")
    if text is None:
        return DEFAULT_COUNT
    if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
        raise BadSearch(BAD_COUNT, field="_count", most=MAX_COUNT)
    return int(text)


def alternatives(name: str, value: str) -> list[str]:
    items = [v.strip() for v in value.split(",")]
    if not all(items):
        raise bad(name)
    return items


def token(name: str, value: str) -> tuple[str | None, str]:
    """`code`, `system|code` or `|code` (no system) → (system, code); system None = any."""
    system, bar, code = value.rpartition("|")
    if not code:
        raise bad(name)
    return (system if bar else None), code


def reference(name: str, value: str, resource_type: str) -> str:
    """`Type/id`, a full URL ending in `Type/id`, or a bare id → the id."""
    parts = value.rstrip("/").split("/")
    if len(parts) == 1:
        ident = parts[0]
    elif parts[-2] == resource_type:
        ident = parts[-1]
    else:
        raise bad(name)
    if not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", ident):
        raise bad(name)
    return ident


_DATE = re.compile(r"(eq|ne|gt|ge|lt|le|sa|eb|ap)?(\d{4}(-\d{2}(-\d{2}(T.+)?)?)?)")


def date_range(name: str, text: str) -> tuple[datetime, datetime]:
    """A FHIR date/dateTime at its precision → [start, end) in UTC."""
    try:
        if len(text) == 4:
            start = datetime(int(text), 1, 1, tzinfo=UTC)
            return start, start.replace(year=start.year + 1)
        if len(text) == 7:
            start = datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC)
            later = start + timedelta(days=32)
            return start, later.replace(day=1)
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start, start + timedelta(days=1)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad(name) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    # A time is given to the second (or finer): the range is that second, or that instant.
    step = timedelta(seconds=1) if moment.microsecond == 0 and "." not in text else timedelta(microseconds=1)
    return moment, moment + step


def date_filter(name: str, column: Any, value: str) -> ColumnElement[bool]:
    # An unescaped '+' of a time zone arrives as a space: read it as the '+' it was.
    match = _DATE.fullmatch(value.strip().replace(" ", "+"))
    if not match:
        raise bad(name)
    prefix = match.group(1) or "eq"
    start, end = date_range(name, match.group(2))
    if prefix == "gt":
        return col(column) >= end
    if prefix == "ge":
        return col(column) >= start
    if prefix == "lt":
        return col(column) < start
    if prefix == "le":
        return col(column) < end
    if prefix == "eq":
        return and_(col(column) >= start, col(column) < end)
    if prefix == "ne":
        return or_(col(column) < start, col(column) >= end)
    raise bad(name)  # sa, eb, ap: not supported


# --- referral filters ----------------------------------------------------------------------


def visible(organisation_id: int | None) -> ColumnElement[bool]:
    """What the UI would show the organisation: referrals it sent, and those it receives once
    they are sent (a proposal waiting for consent is a draft and stays invisible)."""
    if organisation_id is None:
        return false()
    return or_(
        col(Referral.organisation_id) == organisation_id,
        and_(col(Referral.receiving_organisation_id) == organisation_id, col(Referral.status) != "draft"),
    )


def any_of(clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*clauses) if clauses else false()


def ids_filter(name: str, value: str, resource_type: str) -> ColumnElement[bool]:
    return col(Referral.id).in_([reference(name, v, resource_type) for v in alternatives(name, value)])


def patient_filter(value: str, organisation_id: int | None) -> ColumnElement[bool]:
    """The sender knows a Patient as its client (Patient/<client id>), the receiver as the
    referral's shared copy (Patient/<referral id>), as task.patient_reference() writes them."""
    wanted = [reference("patient", v, "Patient") for v in alternatives("patient", value)]
    return or_(
        and_(col(Referral.organisation_id) == organisation_id, col(Referral.client_id).in_(wanted)),
        and_(col(Referral.receiving_organisation_id) == organisation_id, col(Referral.id).in_(wanted)),
    )


def requester_filter(value: str) -> ColumnElement[bool]:
    """Organization/passerelle-<n> (codes.passerelle_org_id); any other Organization sent none."""
    prefix = codes.passerelle_org_id(0).removesuffix("0")
    numbers = []
    for item in alternatives("requester", value):
        ident = reference("requester", item, "Organization")
        number = ident.removeprefix(prefix)
        if ident.startswith(prefix) and number.isdigit():
            numbers.append(int(number))
    return col(Referral.organisation_id).in_(numbers) if numbers else false()


def code_filter(name: str, value: str, system: str, code: str) -> ColumnElement[bool]:
    """For an element every referral carries with the same code (Task.code, intent)."""
    for item in alternatives(name, value):
        wanted_system, wanted = token(name, item)
        if wanted == code and wanted_system in (None, system):
            return true()
    return false()


def task_status_filter(value: str) -> ColumnElement[bool]:
    wanted = [token("status", v)[1] for v in alternatives("status", value)]
    if any(s not in TASK_STATUSES for s in wanted):
        raise bad("status")
    return col(Referral.status).in_(wanted)


def request_status_filter(value: str) -> ColumnElement[bool]:
    """ServiceRequest.status is derived from the referral's (codes.service_request_status)."""
    wanted = {token("status", v)[1] for v in alternatives("status", value)}
    if any(s not in REQUEST_STATUSES for s in wanted):
        raise bad("status")
    mapped = codes.SERVICE_REQUEST_STATUS
    statuses = [s for s, fhir in mapped.items() if fhir in wanted]
    clauses: list[ColumnElement[bool]] = [col(Referral.status).in_(statuses)] if statuses else []
    if "active" in wanted:
        clauses.append(col(Referral.status).not_in(list(mapped)))
    return any_of(clauses)


def category_filter(value: str) -> ColumnElement[bool]:
    """Our need domain (codes.NEED_DOMAIN_SYSTEM) or the Gravity SDOH category it maps to."""
    domains: set[str] = set()
    for item in alternatives("category", value):
        system, code = token("category", item)
        if system in (None, codes.NEED_DOMAIN_SYSTEM) and code in codes.SYSTEMS["need-domain"][1]:
            domains.add(code)
        if system in (None, codes.SDOHCC_CODES):
            domains |= {d for d, gravity in codes.GRAVITY_CATEGORY.items() if gravity == code}
    return col(Referral.need_domain).in_(sorted(domains)) if domains else false()


def task_filters(params: dict[str, list[str]], organisation_id: int | None) -> list[ColumnElement[bool]]:
    clauses = [visible(organisation_id)]
    for name, values in params.items():
        for value in values:
            if name == "_id":
                clauses.append(ids_filter(name, value, "Task"))
            elif name == "focus":
                clauses.append(ids_filter(name, value, "ServiceRequest"))
            elif name == "code":
                clauses.append(code_filter(name, value, TASK_CODE_SYSTEM, "fulfill"))
            elif name == "patient":
                clauses.append(patient_filter(value, organisation_id))
            elif name == "requester":
                clauses.append(requester_filter(value))
            elif name == "owner":
                owners = [reference(name, v, "Organization") for v in alternatives(name, value)]
                clauses.append(col(Referral.directory_organization_id).in_(owners))
            elif name == "status":
                clauses.append(task_status_filter(value))
            elif name == "_lastUpdated":
                clauses.append(date_filter(name, Referral.updated_at, value))
            elif name == "_include" and value not in TASK_INCLUDES:
                raise bad(name)
            elif name == "_sort" and value not in SORTS:
                raise bad(name)
    return clauses


def service_request_filters(
    params: dict[str, list[str]], organisation_id: int | None
) -> list[ColumnElement[bool]]:
    clauses = [visible(organisation_id)]
    for name, values in params.items():
        for value in values:
            if name == "_id":
                clauses.append(ids_filter(name, value, "ServiceRequest"))
            elif name == "category":
                clauses.append(category_filter(value))
            elif name == "intent":
                if any(token(name, v)[1] not in REQUEST_INTENTS for v in alternatives(name, value)):
                    raise bad(name)
                clauses.append(code_filter(name, value, "http://hl7.org/fhir/request-intent", "order"))
            elif name == "patient":
                clauses.append(patient_filter(value, organisation_id))
            elif name == "status":
                clauses.append(request_status_filter(value))
            elif name == "_lastUpdated":
                clauses.append(date_filter(name, Referral.updated_at, value))
            elif name == "_sort" and value not in SORTS:
                raise bad(name)
    return clauses


# --- paging --------------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_of(referral: Referral) -> str:
    return f"{version_of(referral.updated_at)}.{referral.id}"


def after_cursor(value: str) -> ColumnElement[bool]:
    micros, dot, ident = value.partition(".")
    if not (dot and micros.isdigit() and re.fullmatch(r"[A-Za-z0-9\-]{1,64}", ident)):
        raise BadSearch(BAD_CURSOR, field=CURSOR)
    moment = EPOCH + timedelta(microseconds=int(micros))
    return or_(
        col(Referral.updated_at) > moment,
        and_(col(Referral.updated_at) == moment, col(Referral.id) > ident),
    )


@dataclass
class Page:
    referrals: list[Referral]
    total: int
    next_cursor: str | None  # None on the last page


def page(session: Session, params: dict[str, list[str]], clauses: list[ColumnElement[bool]]) -> Page:
    """One page of the matching referrals, oldest change first, and how many match in all."""
    size = count_of(params)
    total = session.exec(select(func.count()).select_from(Referral).where(*clauses)).one()
    cursor = one(params, CURSOR)
    where = [*clauses, after_cursor(cursor)] if cursor else clauses
    query = (
        select(Referral).where(*where).order_by(col(Referral.updated_at), col(Referral.id)).limit(size + 1)
    )
    rows = list(session.exec(query).all())
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, total, cursor_of(rows[-1]) if more else None)


def tasks(session: Session, user: CurrentUser, pairs: list[tuple[str, str]]) -> tuple[Page, bool]:
    """A Task search: the page, and whether the focus ServiceRequests are to be included."""
    params = parse(pairs, TASK_PARAMS)
    found = page(session, params, task_filters(params, user.organisation_id))
    return found, bool(params.get("_include"))


def service_requests(session: Session, user: CurrentUser, pairs: list[tuple[str, str]]) -> Page:
    params = parse(pairs, SERVICE_REQUEST_PARAMS)
    return page(session, params, service_request_filters(params, user.organisation_id))


def next_params(pairs: list[tuple[str, str]], cursor: str) -> list[tuple[str, str]]:
    """The search's own parameters with the next page's position."""
    return [(k, v) for k, v in pairs if k != CURSOR] + [(CURSOR, cursor)]


# --- Consent -------------------------------------------------------------------------------

CONSENT_PARAMS = frozenset({"_id"})


@dataclass
class ConsentPage:
    rows: list[Consent]
    total: int
    next_cursor: str | None


def consent_visible(organisation_id: int | None) -> ColumnElement[bool]:
    """Recorded by the organisation, or carried by a referral it receives (sent, not a draft)."""
    if organisation_id is None:
        return false()
    received = select(Referral.consent_id).where(
        col(Referral.receiving_organisation_id) == organisation_id,
        col(Referral.status) != "draft",
        col(Referral.consent_id).is_not(None),
    )
    return or_(col(Consent.organisation_id) == organisation_id, col(Consent.id).in_(received))


def consents(session: Session, user: CurrentUser, pairs: list[tuple[str, str]]) -> ConsentPage:
    """Consents by `_id`, ordered by id; the next page starts after the last one."""
    params = parse(pairs, CONSENT_PARAMS)
    size = count_of(params)
    clauses = [consent_visible(user.organisation_id)]
    for value in params.get("_id", []):
        wanted = [reference("_id", v, "Consent") for v in alternatives("_id", value)]
        clauses.append(col(Consent.id).in_(wanted))
    total = session.exec(select(func.count()).select_from(Consent).where(*clauses)).one()
    cursor = one(params, CURSOR)
    if cursor is not None and not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", cursor):
        raise BadSearch(BAD_CURSOR, field=CURSOR)
    where = [*clauses, col(Consent.id) > cursor] if cursor else clauses
    rows = list(session.exec(select(Consent).where(*where).order_by(col(Consent.id)).limit(size + 1)).all())
    more = len(rows) > size
    rows = rows[:size]
    return ConsentPage(rows, total, rows[-1].id if more else None)
