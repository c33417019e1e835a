"""The push capability's HTTP handlers, gathered for create_app (backend/app.py): api.py (Web Push
subscriptions; also the notification settings page). The only module that gathers them; the order is
the order they are registered in."""

from __future__ import annotations

from backend.push import api

ROUTES = [*api.ROUTES]
