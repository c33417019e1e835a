"""The domain-event dispatch (backend/events.py) and the start-up wiring (backend/capabilities.py)."""

from __future__ import annotations

from dataclasses import dataclass

from backend import events
from backend.capabilities import SUBSCRIBERS, wire
from backend.referrals.events import ReferralSent, ReferralStatusChanged


@dataclass(frozen=True)
class Happened:
    what: str


def test_handlers_run_in_order_with_the_session_and_once_each():
    seen: list[tuple[str, object, str]] = []

    def first(session, event):
        seen.append(("first", session, event.what))

    def second(session, event):
        seen.append(("second", session, event.what))

    events.subscribe(Happened, first)
    events.subscribe(Happened, second)
    events.subscribe(Happened, first)  # again: still once
    session = object()
    events.record(session, Happened("x"))  # type: ignore[arg-type]
    assert seen == [("first", session, "x"), ("second", session, "x")]
    assert events.subscribers(Happened) == [first, second]


def test_an_event_nobody_subscribed_to_is_fine():
    @dataclass(frozen=True)
    class Unheard:
        pass

    events.record(object(), Unheard())  # type: ignore[arg-type]


def test_wire_is_idempotent_and_subscribes_tallies_before_notifications():
    wire()
    wire()
    for subscriptions in SUBSCRIBERS:
        for event_type, handler in subscriptions:
            assert events.subscribers(event_type).count(handler) == 1
    for event_type, more in ((ReferralSent, []), (ReferralStatusChanged, ["backend.followup.service"])):
        modules = [h.__module__ for h in events.subscribers(event_type)]
        # tallies, then the push outbox, then the FHIR subscriptions' outbox (then, for a status
        # change, the follow-up that falls due when a screening's last referral closed)
        assert modules == [
            "backend.reports.tally",
            "backend.push.notify",
            "backend.fhir.subscriptions",
            *more,
        ]
