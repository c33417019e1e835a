"""The system capability's HTTP handlers, gathered for create_app (backend/app.py): api.py (healthz, readyz).
The only module that gathers them; the order is the order they are registered in."""

from __future__ import annotations

from backend.system import api, metrics_api

ROUTES = [*api.ROUTES, *metrics_api.ROUTES]
