"""The capabilities' event subscriptions and providers, wired once per process.

Every process that runs services must call `wire()` before the first event: the web app
(create_app), the worker (backend/jobs.py), the CLI (`python -m backend …`, e.g. demo seed) and
tests that call services directly. It is idempotent, so calling it again changes nothing.
"""

from __future__ import annotations

from backend import events
from backend.clients import erasure as client_erasure
from backend.clients import service as clients
from backend.fhir import subscriptions as fhir_subscriptions
from backend.followup import service as follow_ups
from backend.push import notify
from backend.referrals import erasure as referral_erasure
from backend.reports import tally
from backend.screening import service as screenings

# Handlers of one event run in this order: reports' tallies, then push's outbox, then the FHIR
# subscriptions' outbox; when a client is erased, their referrals let go of the screenings
# before the screenings go.
SUBSCRIBERS = (
    tally.SUBSCRIPTIONS,
    notify.SUBSCRIPTIONS,
    fhir_subscriptions.SUBSCRIPTIONS,  # FHIR rest-hook outbox (backend/fhir/subscriptions.py)
    referral_erasure.SUBSCRIPTIONS,
    follow_ups.SUBSCRIPTIONS,  # due when a screening's referrals have all closed; erased with the client
    screenings.SUBSCRIPTIONS,
)


def wire() -> None:
    """Subscribes every capability's event handlers and provides the client's page and export
    with what the capabilities above the client hold (in the same order every time)."""
    for subscriptions in SUBSCRIBERS:
        for event_type, handler in subscriptions:
            events.subscribe(event_type, handler)
    clients.provide_page_part(screenings.client_page_part)
    client_erasure.provide_export(screenings.export_part)  # export: client, screenings,
    client_erasure.provide_export(referral_erasure.export_part)  # then consents and referrals
    client_erasure.provide_export(follow_ups.export_part)  # then follow-ups with their answers
