"""GET /metrics: Prometheus text, for a scraper holding METRICS_TOKEN (see system/metrics.py)."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from backend.accounts.access import public
from backend.deps import AppEngine, AppSettings
from backend.system import metrics


@get("/metrics", name="system.metrics", opt=public(), sync_to_thread=True, include_in_schema=False)
def scrape(request: Request, settings: AppSettings, engine: AppEngine) -> Response:
    """Without METRICS_TOKEN the route does not exist (404); a missing or wrong token is 401."""
    if not settings.metrics_token:
        raise NotFoundException()
    if not metrics.authorised(request.headers.get("authorization", ""), settings.metrics_token):
        # A plain 401 (an exception would send a browser to the login page: not this door).
        return Response(
            "401 Unauthorized\n",
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
        )
    body = metrics.exposition(metrics.OutboxCollector(engine))
    return Response(body, media_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"})


ROUTES = [scrape]
