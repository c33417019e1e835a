"""The directory capability's HTTP handlers, gathered for create_app (backend/app.py): pages.py
(search, offer), upkeep_pages.py (keeping offers current), hsds_api.py (HSDS 3 read API), api.py
(the offline snapshot), import_pages.py (HSDS import). The only module that gathers them; the order
is the order they are registered in."""

from __future__ import annotations

from backend.directory import api, hsds_api, import_pages, pages, upkeep_pages

ROUTES = [*pages.ROUTES, *upkeep_pages.ROUTES, *hsds_api.ROUTES, *api.ROUTES, *import_pages.ROUTES]
