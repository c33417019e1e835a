"""The HSDS 3 read API at /hsds/ (openreferral/specification 3.0 openapi.json): open data,
public like the offers themselves.

Answers may be kept by any cache for a minute and then revalidated: every answer carries an
ETag (and Last-Modified) taken from the directory's state with one cheap query
(`freshness.py`), so a client that holds the current page gets a 304 without the page being
built. Anonymous callers are limited per address (`hsds_limit.py`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlalchemy import text
from sqlmodel import Session, col, select

from backend.accounts.access import public
from backend.deps import AppSettings, Unit
from backend.directory import freshness, fts, hsds, repository
from backend.directory.hsds_limit import anonymous_limit
from backend.directory.models import DirectoryOrganization, DirectoryService, DirectoryServiceTag
from backend.errors import InvalidInput
from backend.i18n import N_

MAX_PER_PAGE = 200
BAD_DATE = N_("modified_after must be a date or datetime such as 2026-01-31T00:00:00Z.")
BAD_NUMBER = N_("page and per_page must be positive whole numbers.")
CACHE = "public, max-age=60"  # short: capacity changes should reach other sites soon
GUARDS = [anonymous_limit]


def _paging(request: Request) -> tuple[int, int]:
    raw_page, raw_size = request.query_params.get("page", "1"), request.query_params.get("per_page", "50")
    if not (raw_page.isdigit() and raw_size.isdigit()) or int(raw_page) < 1 or int(raw_size) < 1:
        raise InvalidInput(BAD_NUMBER, field="page")
    return int(raw_page), min(int(raw_size), MAX_PER_PAGE)


def page_object(items: list[Any], total: int, page: int, size: int) -> dict[str, Any]:
    pages = max(1, -(-total // size))
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(items),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": total == 0,
        "contents": items,
    }


def _service_ids(session: Session, request: Request) -> list[str]:
    params = request.query_params
    query = select(DirectoryService.id).order_by(col(DirectoryService.id))
    if term := params.get("taxonomy_term_id"):
        if term not in hsds.TERM_INDEX:
            return []
        kind, code = hsds.TERM_INDEX[term]
        if kind == "service_type":
            query = query.where(DirectoryService.service_type == code)
        else:
            tag_kind = {
                "need_domain": "need_domain",
                "life_phase": "life_phase",
                "access_mode": "access_mode",
            }[kind]
            query = query.where(
                col(DirectoryService.id).in_(
                    select(DirectoryServiceTag.service_id).where(
                        DirectoryServiceTag.kind == tag_kind, DirectoryServiceTag.value == code
                    )
                )
            )
    if organization := params.get("organization_id"):
        query = query.where(DirectoryService.organization_id == organization)
    if modified := params.get("modified_after"):
        try:
            since = datetime.fromisoformat(modified.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(BAD_DATE, field="modified_after") from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        query = query.where(col(DirectoryService.modified_at) >= since)
    ids = list(session.exec(query).all())
    if words := fts.terms(params.get("search", "")):
        ids_set = set(ids)
        if session.get_bind().dialect.name == "sqlite":
            rows = session.execute(
                text(f"SELECT service_id FROM {fts.SQLITE_TABLE} WHERE {fts.SQLITE_TABLE} MATCH :m"),
                {"m": fts.sqlite_match(words)},
            )
        else:
            rows = session.execute(
                text(f"SELECT s.id FROM directory_service s WHERE {fts.pg_condition('s')}"),
                {"tsq": fts.pg_tsquery(words)},
            )
        matching = {row[0] for row in rows}
        ids = [i for i in ids if i in matching and i in ids_set]
    return ids


def _services(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    """The services, in the order of `ids`, in five queries however many there are."""
    rows = session.exec(select(DirectoryService).where(col(DirectoryService.id).in_(ids))).all()
    by_id = {row.id: row for row in rows}
    records = {record.id: record for record in repository.to_records(session, rows)}
    needed = {row.organization_id for row in rows}
    organizations = (
        {
            o.id: o
            for o in session.exec(
                select(DirectoryOrganization).where(col(DirectoryOrganization.id).in_(needed))
            ).all()
        }
        if needed
        else {}
    )
    return [
        hsds.service_to_hsds(
            records[i],
            organizations[by_id[i].organization_id],
            by_id[i].modified_at,
            by_id[i].last_reviewed_at,
        )
        for i in ids
        if i in by_id
    ]


def _validators(request: Request, session: Session) -> tuple[dict[str, str], bool]:
    """This URL's headers from the directory's state, and whether the caller's copy is current.
    Read before the data, so a change in between can only make the answer newer than its tag."""
    version = freshness.directory_version(session)
    headers = freshness.validators(freshness.page_etag(request, version), version.modified, CACHE)
    return headers, freshness.is_fresh(request, headers["ETag"], version.modified)


def _fixed(request: Request, content: dict[str, Any]) -> Response:
    """Answers that do not come from the database (vocabularies): tagged by their own bytes."""
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    headers = freshness.validators(freshness.etag_of(body), None, CACHE)
    if freshness.is_fresh(request, headers["ETag"]):
        return freshness.not_modified(headers)
    return Response(body, media_type="application/json", headers=headers)


@get("/hsds/", name="directory.hsds.root", opt=public(), guards=GUARDS, tags=["HSDS"])
async def hsds_root(request: Request, settings: AppSettings) -> Response:
    base = settings.base_url
    return _fixed(
        request,
        {
            "version": hsds.HSDS_VERSION,
            "profile": "https://docs.openreferral.org/en/latest/hsds/",
            "openapi_url": f"{base}/schema/openapi.json",
        },
    )


@get(
    "/hsds/services",
    name="directory.hsds.services",
    opt=public(),
    guards=GUARDS,
    sync_to_thread=True,
    tags=["HSDS"],
)
def hsds_services(request: Request, reader: Unit) -> Response:
    page, size = _paging(request)
    headers, fresh = _validators(request, reader)
    if fresh:
        return freshness.not_modified(headers)
    ids = _service_ids(reader, request)
    contents = _services(reader, ids[(page - 1) * size : page * size])
    return Response(page_object(contents, len(ids), page, size), headers=headers)


@get(
    "/hsds/services/{service_id:str}",
    name="directory.hsds.service",
    opt=public(),
    guards=GUARDS,
    sync_to_thread=True,
    tags=["HSDS"],
)
def hsds_service(request: Request, service_id: FromPath[str], reader: Unit) -> Response:
    headers, fresh = _validators(request, reader)
    services = [] if fresh else _services(reader, [service_id])
    if fresh:
        return freshness.not_modified(headers)
    if not services:
        raise NotFoundException()
    return Response(services[0], headers=headers)


@get(
    "/hsds/organizations",
    name="directory.hsds.organizations",
    opt=public(),
    guards=GUARDS,
    sync_to_thread=True,
    tags=["HSDS"],
)
def hsds_organizations(request: Request, reader: Unit) -> Response:
    page, size = _paging(request)
    headers, fresh = _validators(request, reader)
    if fresh:
        return freshness.not_modified(headers)
    organizations = reader.exec(select(DirectoryOrganization).order_by(col(DirectoryOrganization.id))).all()
    contents = [hsds.organization_to_hsds(o) for o in organizations[(page - 1) * size : page * size]]
    return Response(page_object(contents, len(organizations), page, size), headers=headers)


@get(
    "/hsds/organizations/{organization_id:str}",
    name="directory.hsds.organization",
    opt=public(),
    guards=GUARDS,
    sync_to_thread=True,
    tags=["HSDS"],
)
def hsds_organization(request: Request, organization_id: FromPath[str], reader: Unit) -> Response:
    headers, fresh = _validators(request, reader)
    if fresh:
        return freshness.not_modified(headers)
    organization = reader.get(DirectoryOrganization, organization_id)
    if organization is None:
        raise NotFoundException()
    return Response(hsds.organization_to_hsds(organization), headers=headers)


@get("/hsds/taxonomies", name="directory.hsds.taxonomies", opt=public(), guards=GUARDS, tags=["HSDS"])
async def hsds_taxonomies(request: Request) -> Response:
    page, size = _paging(request)
    items = hsds.taxonomies()
    return _fixed(request, page_object(items[(page - 1) * size : page * size], len(items), page, size))


@get("/hsds/taxonomy_terms", name="directory.hsds.taxonomy_terms", opt=public(), guards=GUARDS, tags=["HSDS"])
async def hsds_taxonomy_terms(request: Request) -> Response:
    page, size = _paging(request)
    items = hsds.taxonomy_terms()
    if taxonomy := request.query_params.get("taxonomy_id"):
        items = [item for item in items if item["taxonomy_id"] == taxonomy]
    return _fixed(request, page_object(items[(page - 1) * size : page * size], len(items), page, size))


ROUTES = [
    hsds_root,
    hsds_services,
    hsds_service,
    hsds_organizations,
    hsds_organization,
    hsds_taxonomies,
    hsds_taxonomy_terms,
]
