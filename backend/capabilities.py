"""The capabilities' event subscriptions, wired once per process.

Every process that runs services must call `wire()` before the first event: the web app
(create_app), the worker (backend/jobs.py), the CLI (`python -m backend …`, e.g. demo seed) and
tests that call services directly. It is idempotent, so calling it again changes nothing.
"""

from __future__ import annotations

from backend import events
from backend.push import notify
from backend.reports import tally

SUBSCRIBERS = (tally.SUBSCRIPTIONS, notify.SUBSCRIPTIONS)  # reports' tallies, then push's outbox


def wire() -> None:
    """Subscribes every capability's event handlers (in the same order every time)."""
    for subscriptions in SUBSCRIBERS:
        for event_type, handler in subscriptions:
            events.subscribe(event_type, handler)
