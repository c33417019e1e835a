"""The admin capability's HTTP handlers, gathered for create_app (backend/app.py): pages.py (the
overview, the audit log). The only module that gathers them; the order is the order they are
registered in."""

from __future__ import annotations

from backend.admin import pages

ROUTES = [*pages.ROUTES]
