"""The referrals capability's HTTP handlers, gathered for create_app (backend/app.py): pages.py (the
nurse's referral pages), api.py (referrals as JSON), inbox_pages.py (the coordinator's inbox and
case). The only module that gathers them; the order is the order they are registered in."""

from __future__ import annotations

from backend.referrals import api, inbox_pages, pages

ROUTES = [*pages.ROUTES, *api.ROUTES, *inbox_pages.ROUTES]
