"""Application paths where no request is at hand: push notifications built by the worker, the
service worker's build facts (made before the app exists).

Everywhere else URLs come from the route names: `url_for("inbox.case", referral_id=…)` in
templates, `request.app.route_reverse("inbox.case", referral_id=…)` in handlers. The worker has
no app to ask, so the few paths it links to are listed here under the same names;
tests/unit/test_routes.py checks each against the app's own reversal, so a route that moves
cannot leave a stale link behind.
"""

from __future__ import annotations

PATHS = {
    "home.index": "/",
    "inbox.list": "/inbox",
    "inbox.case": "/inbox/{referral_id}",
    "referrals.show": "/referrals/{referral_id}",
    "push.settings": "/settings/notifications",
    "pwa.offline": "/offline/{language}",
    "offline.visit": "/offline/{language}/visit",
    "offline.outbox": "/offline/{language}/outbox",
    "offline.follow_up": "/offline/{language}/follow-up",
    "directory.api.snapshot": "/api/v1/directory/snapshot",
}


def path_for(name: str, **params: object) -> str:
    """The path of the route `name` with its path parameters filled in (KeyError if unknown)."""
    return PATHS[name].format(**params)
