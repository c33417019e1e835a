"""The screening capability's HTTP handlers, gathered for create_app (backend/app.py):
instruments_api.py (the instruments as data), pages.py (the nurse's screening), api.py (screenings
as JSON). The only module that gathers them; the order is the order they are registered in."""

from __future__ import annotations

from backend.screening import api, instruments_api, pages

ROUTES = [*instruments_api.ROUTES, *pages.ROUTES, *api.ROUTES]
