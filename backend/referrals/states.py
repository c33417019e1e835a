"""The referral state machine, with the FHIR Task status codes as the Gravity SDOH referral
pattern uses them. Pure; the services that persist transitions call `transition()` first.

draft → requested → received → accepted | rejected → in-progress ⇄ on-hold → completed | failed
and cancelled (with a reason) from any open state.

An offer whose organisation is not on Passerelle (no account receives its referrals) goes to
`ready` instead of `requested`: nothing is sent anywhere, the referring nurse arranges it herself
and records what happened (ready → in-progress → completed | failed, see NURSE_OUTCOMES), with
the same closing outcomes as a receiving organisation's, so the reports count them alike.
"""

from __future__ import annotations

from enum import StrEnum

from backend.errors import InvalidInput
from backend.i18n import N_


class Status(StrEnum):
    DRAFT = "draft"
    REQUESTED = "requested"
    READY = "ready"  # to arrange by the referring nurse (FHIR: ready, acceptance a given)
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


CLOSED = frozenset({Status.REJECTED, Status.COMPLETED, Status.FAILED, Status.CANCELLED})
OPEN = frozenset(Status) - CLOSED

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.REQUESTED, Status.READY}),
    Status.READY: frozenset({Status.IN_PROGRESS, Status.COMPLETED, Status.FAILED}),
    Status.REQUESTED: frozenset({Status.RECEIVED}),
    Status.RECEIVED: frozenset({Status.ACCEPTED, Status.REJECTED}),
    Status.ACCEPTED: frozenset({Status.IN_PROGRESS, Status.COMPLETED, Status.FAILED}),
    Status.IN_PROGRESS: frozenset({Status.ON_HOLD, Status.COMPLETED, Status.FAILED}),
    Status.ON_HOLD: frozenset({Status.IN_PROGRESS, Status.COMPLETED, Status.FAILED}),
}
# Reasons are required for these, so the other side learns why.
NEEDS_REASON = frozenset({Status.REJECTED, Status.CANCELLED, Status.FAILED})

STATUS_LABELS = {
    Status.DRAFT: N_("Draft"),
    Status.REQUESTED: N_("Sent"),
    Status.READY: N_("To arrange yourself"),
    Status.RECEIVED: N_("Received"),
    Status.ACCEPTED: N_("Accepted"),
    Status.REJECTED: N_("Rejected"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.ON_HOLD: N_("On hold"),
    Status.COMPLETED: N_("Completed"),
    Status.FAILED: N_("Failed"),
    Status.CANCELLED: N_("Cancelled"),
}


# How a case closes (referral.outcome); 'not_reachable' closes as failed.
OUTCOME_LABELS = {
    "help_started": N_("Help started"),
    "advice_given": N_("Advice given"),
    "client_declined": N_("The client declined"),
    "not_reachable": N_("Not reachable"),
    "referred_elsewhere": N_("Referred elsewhere"),
}
# Why the receiving organisation rejects (referral.reject_reason).
REJECT_REASONS = {
    "not_our_offer": N_("Not our offer"),
    "no_capacity": N_("No capacity"),
    "outside_area": N_("Outside our area"),
    "client_declined": N_("The client declined"),
    "other": N_("Other reason"),
}


# What the nurse records for a referral she arranges herself: the new status and the closing
# outcome (an OUTCOME_LABELS code, as a receiving organisation's close sets it), with her label.
NURSE_OUTCOMES: dict[str, tuple[Status, str | None, str]] = {
    "contacted": (Status.IN_PROGRESS, None, N_("Organisation contacted, waiting for the first appointment")),
    "help_started": (Status.COMPLETED, "help_started", N_("Help started")),
    "client_declined": (Status.COMPLETED, "client_declined", N_("The client declined")),
    "not_reachable": (Status.FAILED, "not_reachable", N_("The organisation could not be reached")),
}


def allowed(current: Status, target: Status) -> bool:
    if target == Status.CANCELLED:
        return current in OPEN
    return target in ALLOWED.get(current, frozenset())


def transition(current: str, target: str, reason: str | None = None) -> Status:
    """The new status, or InvalidInput with a message the person can act on."""
    try:
        source, goal = Status(current), Status(target)
    except ValueError:
        raise InvalidInput(N_("Unknown referral status."), field="status") from None
    if source in CLOSED:
        raise InvalidInput(N_("This referral is closed and can no longer change."), field="status")
    if not allowed(source, goal):
        raise InvalidInput(
            N_("A referral cannot go from “%(current)s” to “%(target)s”."),
            field="status",
            current=STATUS_LABELS[source],
            target=STATUS_LABELS[goal],
        )
    if goal in NEEDS_REASON and not (reason and reason.strip()):
        raise InvalidInput(N_("Please give a reason."), field="reason")
    return goal
