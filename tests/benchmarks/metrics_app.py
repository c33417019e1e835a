"""The app without its request metrics, for the overhead benchmark (test_metrics_overhead.py):
`uvicorn --factory tests.benchmarks.metrics_app:without_metrics`."""

from __future__ import annotations

from litestar import Litestar

from backend.app import app_from_environment
from backend.system.metrics import RequestMetrics


def without_metrics() -> Litestar:
    app = app_from_environment()
    node = app
    attribute = "asgi_handler"
    while True:  # the wrappers around the router, each holding the next in `.app`
        inner = getattr(node, attribute)
        if isinstance(inner, RequestMetrics):
            setattr(node, attribute, inner.app)
            return app
        node, attribute = inner, "app"
