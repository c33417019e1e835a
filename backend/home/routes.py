"""The home capability's HTTP handlers, gathered for create_app (backend/app.py): pages.py (the start page).
The only module that gathers them; the order is the order they are registered in."""

from __future__ import annotations

from backend.home import pages

ROUTES = [*pages.ROUTES]
