"""The accounts capability's HTTP handlers, gathered for create_app (backend/app.py): pages.py (login,
logout, language), api.py (who-am-I). The only module that gathers them; the order is the order they
are registered in."""

from __future__ import annotations

from backend.accounts import api, pages

ROUTES = [*pages.ROUTES, *api.ROUTES]
