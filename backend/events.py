"""Domain events, recorded inside the transaction that caused them.

A capability says what happened (`record(session, ReferralSent(referral))`); it knows no one
who listens. Capabilities higher up (reports' tallies, push's notification outbox) subscribe
at start-up (backend/capabilities.py: `wire()`), and their handlers run synchronously, in the
producer's session and transaction, at the moment the event is recorded: a change and what it
causes are committed together or not at all. The event classes live with their producers
(e.g. backend/referrals/events.py); this module is only the dispatch.

A handler must not commit, and should not raise for anything but a real failure: an exception
rolls back the producer's transaction (which is the point: nothing counted without the change).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

E = TypeVar("E")
Handler = Callable[[Session, Any], None]

_handlers: dict[type, list[Handler]] = {}


def subscribe(event_type: type[E], handler: Callable[[Session, E], None]) -> None:
    """Calls `handler(session, event)` for every event of this type (idempotent: subscribing
    the same handler twice still calls it once). Handlers run in the order they subscribed."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def record(session: Session, event: object) -> None:
    """The event happened in this session's transaction: every subscriber handles it now."""
    for handler in _handlers.get(type(event), ()):
        handler(session, event)


def subscribers(event_type: type) -> list[Handler]:
    """Who handles this type of event (for tests and the curious)."""
    return list(_handlers.get(event_type, ()))
