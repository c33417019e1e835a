"""create_app(settings) -> Litestar. Explicit wiring; nothing happens at import time."""

from __future__ import annotations

import asyncio

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router
from litestar_htmx import HTMXPlugin

from backend.accounts import routes as accounts
from backend.accounts.access import public
from backend.accounts.auth import AuthMiddleware, access_guard
from backend.admin import routes as admin
from backend.capabilities import wire
from backend.clients import routes as clients
from backend.db.engine import engine_from
from backend.deps import DEPENDENCIES
from backend.directory import routes as directory
from backend.fhir import outcome as fhir_outcome
from backend.fhir import routes as fhir
from backend.followup import routes as followup
from backend.home import routes as home
from backend.jobs import run_in_process, stop_in_process
from backend.offline import routes as offline
from backend.push import routes as push
from backend.pwa import routes as pwa
from backend.pwa.assets import STATIC_DIR, STATIC_PREFIX, Assets, cache_own_versions_only
from backend.pwa.service_worker import service_worker_source
from backend.referrals import routes as referrals
from backend.reports import routes as reports
from backend.screening import routes as screening
from backend.screening.instruments import all_instruments
from backend.security.csrf import CSRFMiddleware
from backend.security.headers import security_headers
from backend.security.input_guard import InputGuard
from backend.selfcheck import routes as selfcheck
from backend.settings import Settings, load_settings
from backend.sync import routes as sync
from backend.system import routes as system
from backend.system.errors import EXCEPTION_HANDLERS
from backend.system.head import HeadAsGet
from backend.system.logs import NoteRoute, RequestLog, configure_logging
from backend.system.metrics import RequestMetrics, watch_pool
from backend.web import make_template_config

ONE_YEAR = 365 * 24 * 3600

# Each capability's routes.py gathers its handlers (pages.py: HTML, api.py: JSON, <topic>_pages.py,
# <topic>_api.py). Registered in this order, each capability's handlers in its own order.
CAPABILITIES = (
    accounts,
    home,
    admin,
    directory,
    screening,
    clients,
    referrals,
    followup,
    push,
    sync,
    selfcheck,
    reports,
    fhir,
    pwa,
    offline,
    system,
)

# Route names: every handler has one, and URLs are built from them (templates: url_for; handlers:
# request.app.route_reverse; the worker, without a request: backend/urls.py). HTML pages are
# "<capability>.<page>" (clients.list, clients.show, inbox.case), a form's POST is named by its
# action (clients.create, referrals.cancel), JSON is "<capability>.api.<action>" (referrals.api.list),
# HSDS "directory.hsds.<resource>". tests/unit/test_routes.py holds every handler and template to it.


def create_app(settings: Settings) -> Litestar:
    all_instruments()  # an invalid instrument file stops the start, naming file and item
    wire()  # the capabilities' event subscribers (tallies, notification outbox)
    assets = Assets.scan()
    engine = engine_from(settings)
    # A standby for reads where a second's staleness is harmless (backend/deps.py: REPLICA_ROUTES).
    # Behind the same kind of pooler as the primary (DATABASE_POOLER), or prepared statements collide.
    replica = engine_from(settings, settings.database_replica_url) if settings.database_replica_url else None
    watch_pool(engine)  # connections in use, for /metrics
    if replica is not None:
        watch_pool(replica, "replica")
    static = create_static_files_router(
        path=STATIC_PREFIX,
        directories=[STATIC_DIR],
        opt=public(),
        # Asset URLs carry a content hash (?v=…), so a year-long cache never serves stale files
        # (and only the hash of the file this server has: see cache_own_versions_only).
        cache_control=CacheControlHeader(max_age=ONE_YEAR, public=True, immutable=True),
        middleware=[cache_own_versions_only(assets)],
        include_in_schema=False,
    )
    openapi = OpenAPIConfig(
        title="Passerelle API",
        version="1",
        path="/schema",
        render_plugins=[JsonRenderPlugin()],  # the JSON only: UI plugins need inline scripts
        # The schema does not describe its own routes (it documented /schema/{path} as a page).
        openapi_router=Router(path="/schema", route_handlers=[], opt=public(), include_in_schema=False),
    )

    background: list[asyncio.Task[None]] = []

    async def start_worker() -> None:
        if settings.worker_in_process:
            background.append(asyncio.create_task(run_in_process(engine, settings)))

    async def stop_worker_and_dispose() -> None:
        # The round under way finishes (its thread cannot be interrupted) and gives back the
        # outbox leases it holds; then the pool closes.
        if background:
            stop_in_process()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        engine.dispose()
        if replica is not None:
            replica.dispose()

    app = Litestar(
        # One router for all handlers: registering handlers that share a path one by one
        # would register the first twice (and wrap its sync_to_thread callable twice).
        route_handlers=[
            Router(
                path="/",
                route_handlers=[*(handler for cap in CAPABILITIES for handler in cap.ROUTES), static],
            )
        ],
        # Order matters: CSRF first (after NoteRoute; it sets the token pages embed), then who is calling.
        middleware=[
            NoteRoute(),  # keeps the routed scope for the access line (backend/system/logs.py)
            CSRFMiddleware(settings.secret_key, secure=settings.production),
            AuthMiddleware(settings.session_idle_minutes),
            InputGuard(),  # refuses control characters and too deeply nested JSON (a 400)
        ],
        guards=[access_guard],
        dependencies=DEPENDENCIES,  # session/reader, user, settings, engine: see backend/deps.py
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[security_headers(settings.production)],
        template_config=make_template_config(assets),
        plugins=[HTMXPlugin()],
        openapi_config=openapi,
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024),
        request_max_body_size=2 * 1024 * 1024,
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "replica_engine": replica,
                "assets": assets,
                "service_worker": service_worker_source(assets),
                # Protocols with an error shape of their own (backend/system/errors.py).
                "error_shapes": {fhir_outcome.PREFIX: fhir_outcome.error_response},
            }
        ),
        on_startup=[start_worker],
        on_shutdown=[stop_worker_and_dispose],
        debug=False,
        logging_config=None,  # Litestar's would replace ours: logging is configure_logging's (LOG_FORMAT)
    )
    app.asgi_handler = RequestMetrics(app.asgi_handler)  # by route template, after routing (/metrics)
    app.asgi_handler = HeadAsGet(app.asgi_handler)  # before routing, which knows no HEAD
    app.asgi_handler = RequestLog(app.asgi_handler, settings.secret_key)  # one access line a request
    return app


def app_from_environment() -> Litestar:
    """Factory for ASGI servers (`uvicorn --factory backend.app:app_from_environment`)."""
    settings = load_settings()
    configure_logging(settings.log_format)
    return create_app(settings)
