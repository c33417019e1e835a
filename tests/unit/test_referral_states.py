"""The referral state machine: every pair of statuses, allowed or not."""

from __future__ import annotations

import itertools

import pytest

from backend.errors import InvalidInput
from backend.referrals.states import CLOSED, Status, allowed, transition

S = Status
EXPECTED_ALLOWED = {
    (S.DRAFT, S.REQUESTED),
    (S.DRAFT, S.READY),  # a proposal to an organisation not on Passerelle
    (S.READY, S.IN_PROGRESS),  # the nurse arranges it herself
    (S.READY, S.COMPLETED),
    (S.READY, S.FAILED),
    (S.REQUESTED, S.RECEIVED),
    (S.RECEIVED, S.ACCEPTED),
    (S.RECEIVED, S.REJECTED),
    (S.ACCEPTED, S.IN_PROGRESS),
    (S.ACCEPTED, S.COMPLETED),
    (S.ACCEPTED, S.FAILED),
    (S.IN_PROGRESS, S.ON_HOLD),
    (S.IN_PROGRESS, S.COMPLETED),
    (S.IN_PROGRESS, S.FAILED),
    (S.ON_HOLD, S.IN_PROGRESS),
    (S.ON_HOLD, S.COMPLETED),
    (S.ON_HOLD, S.FAILED),
    *[(s, S.CANCELLED) for s in Status if s not in CLOSED],
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Status, Status)))
def test_every_pair(current, target):
    assert allowed(current, target) == ((current, target) in EXPECTED_ALLOWED)


def test_transition_returns_the_new_status():
    assert transition("requested", "received") is Status.RECEIVED
    assert transition("received", "rejected", reason="outside area") is Status.REJECTED


@pytest.mark.parametrize(
    ("current", "target", "reason", "field"),
    [
        ("requested", "completed", None, "status"),  # skipping steps
        ("completed", "in-progress", None, "status"),  # closed stays closed
        ("cancelled", "cancelled", "again", "status"),
        ("received", "rejected", None, "reason"),  # rejections need a reason
        ("accepted", "failed", "  ", "reason"),
        ("in-progress", "cancelled", "", "reason"),
        ("requested", "teleported", None, "status"),
        ("ready", "received", None, "status"),  # nobody receives what the nurse arranges
        ("ready", "accepted", None, "status"),
        ("ready", "failed", None, "reason"),
    ],
)
def test_forbidden_transitions_explain_themselves(current, target, reason, field):
    with pytest.raises(InvalidInput) as error:
        transition(current, target, reason)
    assert error.value.field == field
