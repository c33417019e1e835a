"""The FHIR capability's HTTP handlers, gathered for create_app (backend/app.py)."""

from __future__ import annotations

from backend.fhir import api, screening_api

ROUTES = [*api.ROUTES, *screening_api.ROUTES]
