"""GET /api/v1/directory/snapshot: every active offer, compactly, for choosing offers offline
(built by snapshot.py). Public data only; one ETag for the whole snapshot, so a device refreshes
it only when an offer changed (the service worker asks again whenever it is online)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get

from backend.accounts.access import public
from backend.deps import Unit
from backend.directory import freshness
from backend.directory.snapshot import build


@get(
    "/api/v1/directory/snapshot",
    name="directory.api.snapshot",
    opt=public(),
    sync_to_thread=True,
    tags=["Directory"],
)
def snapshot(request: Request[Any, Any, Any], reader: Unit) -> Response[bytes]:
    offers = build(reader)
    body = json.dumps({"offers": offers}, ensure_ascii=False, separators=(",", ":")).encode()
    etag = freshness.etag_of(body)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=0, must-revalidate"}
    if freshness.is_fresh(request, etag):
        return freshness.not_modified(headers)
    return Response(body, media_type="application/json", headers=headers)


ROUTES = [snapshot]
