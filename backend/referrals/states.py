"""The referral state machine, with the FHIR Task status codes as the Gravity SDOH referral
pattern uses them. Pure; the services that persist transitions call `transition()` first.

draft → requested → received → accepted | rejected → in-progress ⇄ on-hold → completed | failed
and cancelled (with a reason) from any open state.
"""

from __future__ import annotations

from enum import StrEnum

from backend.errors import InvalidInput
from backend.i18n import N_


class Status(StrEnum):
    DRAFT = "draft"
    REQUESTED = "requested"
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
    Status.DRAFT: frozenset({Status.REQUESTED}),
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
