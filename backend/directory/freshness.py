"""Conditional requests for the public directory: validators (ETag, Last-Modified) and the 304
answer, shared by the HSDS API and the offline snapshot.

The HSDS pages take their validators from the directory's state, read with one aggregate
query, so a client that already holds the current page costs no rendering at all. Every
change to an offer or an organisation moves `modified_at` (or `last_reviewed_at`, which the
HSDS output shows as `assured_date`); offers are never deleted, only set inactive, and the
counts catch anything added.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from litestar import Request, Response
from sqlalchemy import func, select
from sqlmodel import Session

from backend.db.rows import table_of
from backend.directory.models import DirectoryOrganization, DirectoryService


@dataclass(frozen=True)
class Version:
    token: str  # changes whenever anything the public directory shows may have changed
    modified: datetime | None  # the latest change, for Last-Modified


def directory_version(session: Session) -> Version:
    """The directory's state in one query: counts and latest changes of offers and organisations."""
    service, organization = table_of(DirectoryService), table_of(DirectoryOrganization)
    statement = select(
        select(func.count()).select_from(service).scalar_subquery(),
        select(func.max(service.c.modified_at)).scalar_subquery(),
        select(func.max(service.c.last_reviewed_at)).scalar_subquery(),
        select(func.count()).select_from(organization).scalar_subquery(),
        select(func.max(organization.c.modified_at)).scalar_subquery(),
    )
    row = tuple(session.connection().execute(statement).one())
    stamps = [stamp for stamp in row[1:3] + row[4:] if stamp is not None]
    return Version("|".join(str(part) for part in row), max(stamps) if stamps else None)


def etag_of(*parts: str | bytes) -> str:
    """A strong ETag: a digest of whatever identifies the representation."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return '"' + digest.hexdigest()[:32] + '"'


def page_etag(request: Request[Any, Any, Any], version: Version) -> str:
    """One page of the directory: the state and the exact URL asked for (path and query)."""
    return etag_of(version.token, request.url.path, request.url.query or "")


def validators(etag: str, modified: datetime | None, cache_control: str) -> dict[str, str]:
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified.replace(microsecond=0), usegmt=True)
    return headers


def is_fresh(request: Request[Any, Any, Any], etag: str, modified: datetime | None = None) -> bool:
    """RFC 9110 §13.1: If-None-Match (weak comparison) wins; else If-Modified-Since."""
    if (match := request.headers.get("if-none-match")) is not None:
        presented = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in presented or etag.removeprefix("W/") in presented
    since = request.headers.get("if-modified-since")
    if since is None or modified is None:
        return False
    try:
        client_has = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if client_has.tzinfo is None:
        return False  # not an HTTP-date (those are always GMT)
    return modified.replace(microsecond=0) <= client_has


def not_modified(headers: dict[str, str]) -> Response[bytes]:
    return Response(b"", status_code=304, headers=headers)
