"""Bundles of search results (type `searchset`) with `self`/`next` links for `_count` paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

DEFAULT_COUNT = 50
MAX_COUNT = 200


def full_url(base: str, resource: dict[str, Any]) -> str:
    return f"{base}/{resource['resourceType']}/{resource['id']}"


def link(base: str, resource_type: str, params: list[tuple[str, str]]) -> str:
    query = urlencode(params)
    return f"{base}/{resource_type}" + (f"?{query}" if query else "")


def searchset(
    base: str,
    resource_type: str,
    matches: list[dict[str, Any]],
    params: list[tuple[str, str]],
    total: int | None = None,
    next_params: list[tuple[str, str]] | None = None,
    included: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`params` are the search's own (repeated in `self`); `next_params` those of the next page,
    when there is one. Included resources follow the matches (search.mode `include`)."""
    links = [{"relation": "self", "url": link(base, resource_type, params)}]
    if next_params is not None:
        links.append({"relation": "next", "url": link(base, resource_type, next_params)})
    entries = [{"fullUrl": full_url(base, r), "resource": r, "search": {"mode": "match"}} for r in matches]
    entries += [
        {"fullUrl": full_url(base, r), "resource": r, "search": {"mode": "include"}} for r in included or []
    ]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if total is not None:
        bundle["total"] = total
    bundle["entry"] = entries
    return bundle
