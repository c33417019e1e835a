"""The follow-up capability's HTTP handlers, gathered for create_app (backend/app.py): pages.py
(the nurse's follow-up form), api.py (follow-ups as JSON). The only module that gathers them; the
order is the order they are registered in."""

from __future__ import annotations

from backend.followup import api, pages

ROUTES = [*pages.ROUTES, *api.ROUTES]
