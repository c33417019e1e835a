"""PUT and PATCH /fhir/Task/{id}: a receiving organisation's system moves a referral through its
lifecycle (received, accepted or rejected, in progress, on hold, a contact attempt, completed
with an outcome or failed); the referring organisation's system may only cancel.

Every change goes through the services a click in the inbox uses (backend/referrals/cases.py,
service.py): the state machine, audit, events (report counters, push notifications). A change
the state machine refuses is an OperationOutcome (422) and nothing is written: the unit of work
is rolled back. The referral's row is locked for the change, so of two updates with the same
If-Match exactly one applies and the other gets 412."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, patch, put
from litestar.params import FromPath, RawBody
from sqlmodel import Session

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.deps import Caller, Unit
from backend.errors import DomainError, InvalidInput, NotFound
from backend.fhir import task as tasks
from backend.fhir import task_update
from backend.fhir.api import NO_SUCH, resource_response
from backend.fhir.outcome import NOT_JSON
from backend.fhir.task_update import WantedChange
from backend.fhir.version import check_if_match, etag
from backend.i18n import N_
from backend.referrals import cases, service, states
from backend.referrals.models import Referral

S = states.Status
# The route lets in who may take part; `_side` narrows it per referral (others: 404).
UPDATERS = allow(Role.NURSE, Role.COORDINATOR, Role.ORG_STAFF)
RECEIVER_ROLES = frozenset({Role.COORDINATOR, Role.ORG_STAFF})
OPENED_BY = frozenset({S.RECEIVED, S.ACCEPTED, S.REJECTED})
TASK_TYPES = ("application/fhir+json", "application/json")
PATCH_TYPE = "application/json-patch+json"

WRONG_TYPE = N_("Send a Task as application/fhir+json, or a JSON Patch as application/json-patch+json.")
NEEDS_OUTCOME = N_("Say how the referral ended: completing it needs an outcome.")
OUTCOME_MISFITS = N_("This outcome does not fit the status.")
OUTCOME_ONLY_AT_CLOSE = N_("An outcome is recorded only when the referral is completed.")
REASON_ONLY_WITH_STATUS = N_("A reason is recorded only with a change of status.")
ONLY_SENDER_CANCELS = N_("Only the referring organisation can cancel a referral.")
SENDER_ONLY_CANCELS = N_("The referring organisation can only cancel a referral.")

# The services' field names → the Task element the client sent.
ELEMENTS = {
    "status": "Task.status",
    "reason": "Task.statusReason",
    "reason_text": "Task.statusReason",
    "outcome": "Task.output",
    "channel": "Task.businessStatus",
    "on": "Task.businessStatus",
}


class UnsupportedMediaType(DomainError):
    status_code = 415


def _body(request: Request[Any, Any, Any], body: bytes, types: tuple[str, ...]) -> Any:
    if request.content_type[0] not in types:
        raise UnsupportedMediaType(WRONG_TYPE)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(NOT_JSON, field="Task") from None


def _side(user: CurrentUser, referral: Referral | None) -> str:
    """'receiver', 'sender', or NotFound: another organisation's referral, a draft not yet sent
    for the receiver, or a role of the receiving organisation that does not handle cases."""
    org = user.organisation_id
    if referral is None or org is None:
        raise NotFound(NO_SUCH)
    if (
        org == referral.receiving_organisation_id
        and referral.status != S.DRAFT
        and user.role in RECEIVER_ROLES
    ):
        return "receiver"
    if org == referral.organisation_id:
        return "sender"
    raise NotFound(NO_SUCH)


def _reason(change: WantedChange) -> str:
    if change.reason_text:
        return change.reason_text
    return states.REJECT_REASONS.get(change.reason_code or "", "")


def _closing_outcome(referral: Referral, change: WantedChange) -> str:
    """The outcome a close needs: completed names one; failed is 'not reachable' unless told."""
    outcome = change.outcome or ("not_reachable" if change.status == S.FAILED else "")
    if not outcome:
        raise InvalidInput(NEEDS_OUTCOME, field="Task.output")
    closes_as = S.FAILED if outcome == "not_reachable" else S.COMPLETED
    if closes_as != change.status:
        raise InvalidInput(OUTCOME_MISFITS, field="Task.output")
    return outcome


def _as_receiver(session: Session, user: CurrentUser, referral: Referral, change: WantedChange) -> None:
    target = change.status
    if target == S.CANCELLED:
        raise InvalidInput(ONLY_SENDER_CANCELS, field="Task.status")
    if target is None and change.reason_changed:
        raise InvalidInput(REASON_ONLY_WITH_STATUS, field="Task.statusReason")
    opens = referral.status == S.REQUESTED and target in OPENED_BY
    if target is not None and target != S.RECEIVED:
        # The state machine's refusal comes first, before what the target itself would need.
        states.transition(S.RECEIVED if opens else referral.status, target, reason="(checked later)")
    if change.outcome and target not in (S.COMPLETED, S.FAILED):
        if target is None and change.outcome == referral.outcome:
            change = WantedChange(contact=change.contact)  # the outcome we hold, sent back
        else:
            raise InvalidInput(OUTCOME_ONLY_AT_CLOSE, field="Task.output")
    outcome = _closing_outcome(referral, change) if target in (S.COMPLETED, S.FAILED) else ""
    # A new referral is opened first, as the case page does (→ received): accepting, rejecting
    # or recording a contact presumes someone read it. Other targets the state machine refuses
    # from `requested` as they stand.
    if opens or (referral.status == S.REQUESTED and target is None and change.contact):
        cases.open_case(session, user, referral.id)
        if target == S.RECEIVED:
            target = None
    if change.contact:
        cases.log_contact(session, user, referral, "", change.contact.channel, change.contact.reached)
    if target is None:
        return
    if target == S.ACCEPTED:
        cases.accept(session, user, referral)
    elif target == S.REJECTED:
        code = change.reason_code or ("other" if change.reason_text else "")
        cases.reject(session, user, referral, code, change.reason_text)
    elif target in (S.IN_PROGRESS, S.ON_HOLD):
        cases.set_progress(session, user, referral, target)
    elif target in (S.COMPLETED, S.FAILED):
        cases.close(session, user, referral, outcome, change.reason_text)
    else:  # received from a later status, back to requested or draft: the state machine says no
        service.change_status(session, user, referral, target, _reason(change))


def _as_sender(session: Session, user: CurrentUser, referral: Referral, change: WantedChange) -> None:
    if change.status == S.CANCELLED and change.outcome is None and change.contact is None:
        service.cancel(session, user, referral.id, _reason(change))
    elif not change.nothing:
        element = "Task.status" if change.status or change.reason_changed else "Task.businessStatus"
        raise InvalidInput(SENDER_ONLY_CANCELS, field=element)


def _update(
    request: Request[Any, Any, Any],
    session: Session,
    user: CurrentUser,
    referral_id: str,
    read: Any,
) -> Response[Any]:
    """Locks the referral, checks If-Match, reads the wanted change against the Task as the
    caller sees it (`read(current Task)`), applies it, answers the Task as it is now."""
    referral = session.get(Referral, referral_id, with_for_update=True)
    side = _side(user, referral)
    assert referral is not None  # (_side says so)
    check_if_match(request.headers.get("if-match"), referral.updated_at)
    as_sender = referral.organisation_id == user.organisation_id  # the view GET shows them (open_for)
    change = read(tasks.task(referral, as_sender))
    try:
        # An organisation that referred to itself cancels as the sender.
        if side == "receiver" and not (change.status == S.CANCELLED and as_sender):
            _as_receiver(session, user, referral, change)
        else:
            _as_sender(session, user, referral, change)
    except InvalidInput as error:
        if error.field is None or error.field.startswith("Task"):
            raise
        raise InvalidInput(error.message, field=ELEMENTS.get(error.field, "Task"), **error.params) from None
    return resource_response(tasks.task(referral, as_sender), tag=etag(referral.updated_at))


@put("/fhir/Task/{id:str}", name="fhir.task.update", opt=UPDATERS, sync_to_thread=True)
def update_task(
    request: Request[Any, Any, Any], id: FromPath[str], body: RawBody, session: Unit, user: Caller
) -> Response[Any]:
    """The whole Task: only status, businessStatus, statusReason and output may differ."""
    incoming = _body(request, body, TASK_TYPES)
    return _update(request, session, user, id, lambda current: task_update.from_put(current, incoming))


@patch("/fhir/Task/{id:str}", name="fhir.task.patch", opt=UPDATERS, sync_to_thread=True)
def patch_task(
    request: Request[Any, Any, Any], id: FromPath[str], body: RawBody, session: Unit, user: Caller
) -> Response[Any]:
    """JSON Patch (RFC 6902): add / replace on status, businessStatus, statusReason, output."""
    operations = _body(request, body, (PATCH_TYPE,))
    return _update(request, session, user, id, lambda current: task_update.from_patch(current, operations))


ROUTES = [update_task, patch_task]
