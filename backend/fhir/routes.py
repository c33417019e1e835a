"""The FHIR capability's HTTP handlers, gathered for create_app (backend/app.py)."""

from __future__ import annotations

from backend.fhir import (
    api,
    directory_api,
    export_api,
    followup_api,
    inbound_api,
    screening_api,
    staff_api,
    subscription_api,
    update_api,
)

ROUTES = [
    *api.ROUTES,
    *directory_api.ROUTES,
    *screening_api.ROUTES,
    *export_api.ROUTES,
    *update_api.ROUTES,
    *subscription_api.ROUTES,
    *inbound_api.ROUTES,
    *staff_api.ROUTES,
    *followup_api.ROUTES,
]
