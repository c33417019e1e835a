"""The sync capability's HTTP handlers, gathered for create_app (backend/app.py): api.py (the offline batch).
The only module that gathers them; the order is the order they are registered in."""

from __future__ import annotations

from backend.sync import api

ROUTES = [*api.ROUTES]
