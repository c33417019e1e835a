"""The reports capability's HTTP handlers, gathered for create_app (backend/app.py): pages.py (report
pages, CSV), api.py (reports as JSON). The only module that gathers them; the order is the order
they are registered in."""

from __future__ import annotations

from backend.reports import api, pages

ROUTES = [*pages.ROUTES, *api.ROUTES]
