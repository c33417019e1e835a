"""/fhir for the directory and our terminology, and the CapabilityStatement.

Organization, HealthcareService, Location (directory.py), CodeSystem and ConceptMap
(terminology.py) are public data, no personal data: every role with a token reads them, and
nothing is audited. /fhir/metadata needs no token at all.

Searches are strict like the Task search: an unknown parameter or an unusable value is a 400
OperationOutcome naming it. A repeated parameter narrows (AND), a comma widens (OR). Paging
with `_count` and `_offset` (the directory is small and changes seldom)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath
from sqlalchemy import ColumnElement, and_, false, func, or_
from sqlmodel import Session, col, select

from backend.accounts.access import allow, public
from backend.accounts.models import Organisation
from backend.deps import Unit
from backend.directory import repository
from backend.directory.models import DirectoryOrganization, DirectoryService, DirectoryServiceTag
from backend.errors import InvalidInput, NotFound
from backend.fhir import bundle, capability, codes, search, terminology
from backend.fhir import directory as mapping
from backend.fhir.api import base_url, resource_response
from backend.i18n import N_
from backend.vocab import NEED_DOMAINS
from backend.web import request_locale

EVERYONE = allow()  # every role with a token: the directory is open data
NOT_HERE = N_("No such resource, or not one your organisation may see.")
UNKNOWN = N_("Unknown search parameter “%(name)s”.")
BAD_VALUE = N_("The search parameter “%(name)s” has a value that cannot be used here.")
BAD_COUNT = N_("_count must be a whole number from 1 to %(most)s.")
CONTROL = frozenset({"_count", "_offset", "_format"})
SERVICE_INCLUDES = frozenset(
    {
        "HealthcareService:location",
        "HealthcareService:location:Location",
        "HealthcareService:organization",
        "HealthcareService:organization:Organization",
    }
)


class BadSearch(InvalidInput):
    """A search the server cannot run as asked: 400 (FHIR), not 422."""

    status_code = 400


# --- search parameters -----------------------------------------------------------------------


Params = dict[str, list[list[str]]]  # name → one list of alternatives per occurrence


def parse(request: Request[Any, Any, Any], allowed: set[str]) -> tuple[Params, int, int]:
    """(parameters, _count, _offset); every value split at commas into alternatives."""
    found: Params = {}
    for name, value in request.query_params.multi_items():
        if name not in allowed and name not in CONTROL:
            raise BadSearch(UNKNOWN, field=name, name=name)
        if name in CONTROL:
            continue
        items = [v.strip() for v in value.split(",")]
        if not all(items):
            raise BadSearch(BAD_VALUE, field=name, name=name)
        found.setdefault(name, []).append(items)
    return found, _number(request, "_count", bundle.DEFAULT_COUNT), _number(request, "_offset", 0)


def _number(request: Request[Any, Any, Any], name: str, default: int) -> int:
    values = request.query_params.getall(name, [])
    if not values:
        return default
    text = values[0]
    most = bundle.MAX_COUNT if name == "_count" else 10**9
    least = 1 if name == "_count" else 0
    if len(values) > 1 or not text.isdigit() or not least <= int(text) <= most:
        raise BadSearch(BAD_COUNT, field=name, most=bundle.MAX_COUNT)
    return int(text)


def reference_id(name: str, value: str, resource_type: str) -> str:
    """`Type/id`, a full URL ending so, or a bare id → the id."""
    parts = value.rstrip("/").split("/")
    if len(parts) == 1:
        return parts[0]
    if parts[-2] != resource_type:
        raise BadSearch(BAD_VALUE, field=name, name=name)
    return parts[-1]


def token(name: str, value: str) -> tuple[str | None, str]:
    system, bar, code = value.rpartition("|")
    if not code:
        raise BadSearch(BAD_VALUE, field=name, name=name)
    return (system if bar else None), code


def echo(params: Params) -> list[tuple[str, str]]:
    return [(name, ",".join(items)) for name, occurrences in params.items() for items in occurrences]


def page(
    request: Request[Any, Any, Any],
    resource_type: str,
    params: Params,
    count: int,
    offset: int,
    total: int,
    resources: list[dict[str, Any]],
    included: list[dict[str, Any]] | None = None,
) -> Response[Any]:
    own = echo(params)
    paging = [("_count", str(count))] + ([("_offset", str(offset))] if offset else [])
    following = own + [("_count", str(count)), ("_offset", str(offset + count))]
    result = bundle.searchset(
        base_url(request),
        resource_type,
        resources,
        own + paging,
        total=total,
        next_params=following if offset + count < total else None,
        included=included,
    )
    return resource_response(result)


def fold(text: str) -> str:
    """FHIR string search: case and accents do not matter."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- Organization ----------------------------------------------------------------------------


def _organizations(session: Session) -> list[tuple[str, str, Callable[[], dict[str, Any]]]]:
    """(id, name, build) of every organisation: the directory's, then Passerelle's without one."""
    accounts = {org.id: org for org in session.exec(select(Organisation).order_by(col(Organisation.name)))}
    found: list[tuple[str, str, Callable[[], dict[str, Any]]]] = []
    linked: set[int] = set()
    for org in session.exec(select(DirectoryOrganization).order_by(col(DirectoryOrganization.name))):
        account = accounts.get(org.organisation_id) if org.organisation_id is not None else None
        if org.organisation_id is not None:
            linked.add(org.organisation_id)
        found.append((org.id, org.name, partial(mapping.organization, org, account)))
    for number, account in accounts.items():
        if number is not None and number not in linked:
            build = partial(mapping.passerelle_organization, account)
            found.append((codes.passerelle_org_id(number), account.name, build))
    return found


def _organization(session: Session, resource_id: str) -> dict[str, Any] | None:
    prefix = codes.passerelle_org_id(0)[:-1]
    if resource_id.startswith(prefix) and resource_id[len(prefix) :].isdigit():
        account = session.get(Organisation, int(resource_id[len(prefix) :]))
        if (
            account is None
            or session.exec(
                select(DirectoryOrganization.id).where(DirectoryOrganization.organisation_id == account.id)
            ).first()
        ):
            return None  # an organisation in the directory is read under its HSDS id
        return mapping.passerelle_organization(account)
    org = session.get(DirectoryOrganization, resource_id)
    if org is None:
        return None
    account = session.get(Organisation, org.organisation_id) if org.organisation_id is not None else None
    return mapping.organization(org, account)


@get("/fhir/Organization/{id:str}", name="fhir.organization.read", opt=EVERYONE, sync_to_thread=True)
def read_organization(id: FromPath[str], reader: Unit) -> Response[Any]:
    resource = _organization(reader, id)
    if resource is None:
        raise NotFound(NOT_HERE)
    return resource_response(resource)


@get("/fhir/Organization", name="fhir.organization.search", opt=EVERYONE, sync_to_thread=True)
def search_organizations(request: Request[Any, Any, Any], reader: Unit) -> Response[Any]:
    params, count, offset = parse(request, {"_id", "name"})
    rows = _organizations(reader)
    for ids in params.get("_id", []):
        rows = [row for row in rows if row[0] in ids]
    for names in params.get("name", []):
        wanted = [fold(n) for n in names]
        rows = [row for row in rows if any(fold(row[1]).startswith(w) for w in wanted)]
    chosen = [build() for _, _, build in rows[offset : offset + count]]
    return page(request, "Organization", params, count, offset, len(rows), chosen)


# --- HealthcareService and Location ----------------------------------------------------------


def _offers(session: Session, rows: list[DirectoryService]) -> list[mapping.Offer]:
    records = repository.to_records(session, rows)
    org_ids = {row.organization_id for row in rows}
    orgs = (
        {
            o.id: o
            for o in session.exec(
                select(DirectoryOrganization).where(col(DirectoryOrganization.id).in_(org_ids))
            )
        }
        if org_ids
        else {}
    )
    return [
        mapping.Offer(record, orgs[row.organization_id], row.modified_at)
        for row, record in zip(rows, records, strict=True)
    ]


def _categories(name: str, items: list[str]) -> ColumnElement[bool] | None:
    """service-category: our need domain, the Gravity category it maps to, or us-core `sdoh`
    (every offer). None: no narrowing."""
    domains: set[str] = set()
    for item in items:
        system, code = token(name, item)
        if system in (None, mapping.US_CORE_CATEGORY) and code == "sdoh":
            return None
        if system in (None, codes.NEED_DOMAIN_SYSTEM) and code in NEED_DOMAINS:
            domains.add(code)
        if system in (None, codes.SDOHCC_CODES):
            domains |= {d for d, gravity in codes.GRAVITY_CATEGORY.items() if gravity == code}
    if not domains:
        return false()
    tagged = select(DirectoryServiceTag.service_id).where(
        DirectoryServiceTag.kind == "need_domain", col(DirectoryServiceTag.value).in_(domains)
    )
    return col(DirectoryService.id).in_(tagged)


def _service_filters(session: Session, params: Params) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    for refs in params.get("location", []):
        wanted = {reference_id("location", r, "Location") for r in refs}
        placed = session.exec(select(DirectoryService.id).where(col(DirectoryService.city).is_not(None)))
        filters.append(
            col(DirectoryService.id).in_([sid for sid in placed if mapping.location_id(sid) in wanted])
        )
    for values in params.get("_lastUpdated", []):
        filters += [search.date_filter("_lastUpdated", DirectoryService.modified_at, v) for v in values]
    for ids in params.get("_id", []):
        filters.append(col(DirectoryService.id).in_(ids))
    for refs in params.get("organization", []):
        filters.append(
            col(DirectoryService.organization_id).in_(
                [reference_id("organization", r, "Organization") for r in refs]
            )
        )
    for items in params.get("service-category", []):
        narrowing = _categories("service-category", items)
        if narrowing is not None:
            filters.append(narrowing)
    for values in params.get("active", []):
        choices = set()
        for value in values:
            if token("active", value)[1] not in ("true", "false"):
                raise BadSearch(BAD_VALUE, field="active", name="active")
            choices.add(token("active", value)[1] == "true")
        active = col(DirectoryService.status).in_(mapping.ACTIVE_STATUSES)
        filters.append(or_(*([active] if True in choices else []), *([~active] if False in choices else [])))
    return filters


@get(
    "/fhir/HealthcareService/{id:str}", name="fhir.healthcareservice.read", opt=EVERYONE, sync_to_thread=True
)
def read_healthcare_service(
    request: Request[Any, Any, Any], id: FromPath[str], reader: Unit
) -> Response[Any]:
    row = reader.get(DirectoryService, id)
    if row is None:
        raise NotFound(NOT_HERE)
    offer = _offers(reader, [row])[0]
    resource = mapping.healthcare_service(offer, request_locale(request), date.today())
    return resource_response(resource, tag=f'W/"{resource["meta"]["versionId"]}"')


@get("/fhir/HealthcareService", name="fhir.healthcareservice.search", opt=EVERYONE, sync_to_thread=True)
def search_healthcare_services(request: Request[Any, Any, Any], reader: Unit) -> Response[Any]:
    params, count, offset = parse(
        request, {"_id", "organization", "service-category", "active", "location", "_lastUpdated", "_include"}
    )
    includes = {value for values in params.get("_include", []) for value in values}
    if not includes <= SERVICE_INCLUDES:
        raise BadSearch(BAD_VALUE, field="_include", name="_include")
    where = and_(*_service_filters(reader, params))
    total = reader.exec(select(func.count()).select_from(DirectoryService).where(where)).one()
    rows = list(
        reader.exec(
            select(DirectoryService)
            .where(where)
            .order_by(col(DirectoryService.id))
            .offset(offset)
            .limit(count)
        )
    )
    locale, today = request_locale(request), date.today()
    offers = _offers(reader, rows)
    resources = [mapping.healthcare_service(offer, locale, today) for offer in offers]
    return page(
        request,
        "HealthcareService",
        params,
        count,
        offset,
        total,
        resources,
        _included(reader, offers, includes),
    )


def _included(session: Session, offers: list[mapping.Offer], includes: set[str]) -> list[dict[str, Any]]:
    """`_include=HealthcareService:location` and `:organization`: each included once."""
    included: dict[str, dict[str, Any]] = {}
    for offer in offers:
        if (
            includes & {"HealthcareService:location", "HealthcareService:location:Location"}
            and offer.record.city
        ):
            place = mapping.location(offer)
            included[f"Location/{place['id']}"] = place
        if includes & {"HealthcareService:organization", "HealthcareService:organization:Organization"}:
            org = offer.organization
            key = f"Organization/{codes.directory_org_id(org.id)}"
            if key not in included:
                account = (
                    session.get(Organisation, org.organisation_id)
                    if org.organisation_id is not None
                    else None
                )
                included[key] = mapping.organization(org, account)
    return list(included.values())


def _placed(
    session: Session, organizations: list[str] | None = None, updated: list[str] | None = None
) -> list[DirectoryService]:
    """Offers with a place (a town), in id order; a Location exists only for these."""
    query = select(DirectoryService).where(col(DirectoryService.city).is_not(None))
    for value in updated or []:
        query = query.where(search.date_filter("_lastUpdated", DirectoryService.modified_at, value))
    if organizations is not None:
        query = query.where(col(DirectoryService.organization_id).in_(organizations))
    return list(session.exec(query.order_by(col(DirectoryService.id))))


@get("/fhir/Location/{id:str}", name="fhir.location.read", opt=EVERYONE, sync_to_thread=True)
def read_location(id: FromPath[str], reader: Unit) -> Response[Any]:
    # Location ids are derived from the offer's id (HSDS export): the few offers are scanned.
    ids = reader.exec(select(DirectoryService.id).where(col(DirectoryService.city).is_not(None))).all()
    service_id = next((sid for sid in ids if mapping.location_id(sid) == id), None)
    row = reader.get(DirectoryService, service_id) if service_id else None
    if row is None:
        raise NotFound(NOT_HERE)
    return resource_response(mapping.location(_offers(reader, [row])[0]))


@get("/fhir/Location", name="fhir.location.search", opt=EVERYONE, sync_to_thread=True)
def search_locations(request: Request[Any, Any, Any], reader: Unit) -> Response[Any]:
    params, count, offset = parse(request, {"_id", "organization", "_lastUpdated"})
    organizations: list[str] | None = None
    for refs in params.get("organization", []):
        wanted = [reference_id("organization", r, "Organization") for r in refs]
        organizations = [o for o in organizations if o in wanted] if organizations is not None else wanted
    rows = _placed(reader, organizations, [v for values in params.get("_lastUpdated", []) for v in values])
    for ids in params.get("_id", []):
        rows = [row for row in rows if mapping.location_id(row.id) in ids]
    resources = [mapping.location(offer) for offer in _offers(reader, rows[offset : offset + count])]
    return page(request, "Location", params, count, offset, len(rows), resources)


# --- terminology -----------------------------------------------------------------------------


@get("/fhir/CodeSystem/{id:str}", name="fhir.codesystem.read", opt=EVERYONE)
async def read_code_system(id: FromPath[str]) -> Response[Any]:
    resource = terminology.by_id(id)
    if resource is None:
        raise NotFound(NOT_HERE)
    return resource_response(resource)


def _by_url(
    request: Request[Any, Any, Any], resource_type: str, resources: list[dict[str, Any]]
) -> Response[Any]:
    params, count, offset = parse(request, {"url"})
    for urls in params.get("url", []):
        resources = [r for r in resources if r["url"] in urls or f"{r['url']}|{r.get('version')}" in urls]
    return page(
        request, resource_type, params, count, offset, len(resources), resources[offset : offset + count]
    )


@get("/fhir/CodeSystem", name="fhir.codesystem.search", opt=EVERYONE)
async def search_code_systems(request: Request[Any, Any, Any]) -> Response[Any]:
    return _by_url(request, "CodeSystem", terminology.code_systems())


@get("/fhir/ConceptMap/{id:str}", name="fhir.conceptmap.read", opt=EVERYONE)
async def read_concept_map(id: FromPath[str]) -> Response[Any]:
    if id not in terminology.CONCEPT_MAPS:
        raise NotFound(NOT_HERE)
    return resource_response(terminology.CONCEPT_MAPS[id]())


@get("/fhir/ConceptMap", name="fhir.conceptmap.search", opt=EVERYONE)
async def search_concept_maps(request: Request[Any, Any, Any]) -> Response[Any]:
    return _by_url(request, "ConceptMap", [build() for build in terminology.CONCEPT_MAPS.values()])


# --- CapabilityStatement ---------------------------------------------------------------------


@get("/fhir/metadata", name="fhir.metadata", opt=public())
async def metadata(request: Request[Any, Any, Any]) -> Response[Any]:
    """What this server supports, from the routes it really has (capability.py); no token."""
    routes = [(route.path, getattr(route, "methods", ())) for route in request.app.routes]
    return resource_response(capability.capability_statement(base_url(request), routes))


ROUTES = [
    read_organization,
    search_organizations,
    read_healthcare_service,
    search_healthcare_services,
    read_location,
    search_locations,
    read_code_system,
    search_code_systems,
    read_concept_map,
    search_concept_maps,
    metadata,
]
