"""What a receiving (or referring) organisation's system wants to change when it updates a Task:
a full Task (PUT) or a JSON Patch (RFC 6902, PATCH) read against the Task as the caller sees it,
reduced to a `WantedChange`. Pure: no database, no HTTP (update_api.py applies the change
through the referral services, as the inbox does).

Only `status`, `businessStatus`, `statusReason` and `output` may differ from what we hold;
server-kept elements (`meta`, `text`, `lastModified`) are ignored; anything else that differs
is refused with the element's path, so a client never believes it changed what we did not.
- `status`: the referral's new status (states.py uses the Task codes);
- `statusReason`: a coding of our reject-reason CodeSystem, and/or a text (the person's words);
- `output[].valueCodeableConcept` or `businessStatus`, coded in our outcome CodeSystem: how the
  case ended (with `completed` / `failed`);
- `businessStatus` coded in our contact CodeSystem (`contact-reached`, `contact-not-reached`),
  optionally with a contact-channel coding (phone by default): one contact attempt, recorded
  each time it is sent (If-Match keeps a replay from counting twice).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.errors import InvalidInput
from backend.fhir import codes
from backend.i18n import N_
from backend.referrals import states

TAKEN = ("status", "businessStatus", "statusReason", "output")
SERVER_KEPT = ("resourceType", "id", "meta", "text", "lastModified")
PATCH_OPERATIONS = ("add", "replace")

NOT_A_TASK = N_("The body must be a FHIR Task.")
WRONG_ID = N_("The Task's id does not match the address.")
FIXED = N_("This element cannot be changed: only status, businessStatus, statusReason and output.")
NOT_A_PATCH = N_("The body must be a JSON Patch: a list of operations.")
PATCH_REFUSED = N_(
    "Only the operations add and replace on /status, /businessStatus, /statusReason and /output are possible."
)
UNKNOWN_CODE = N_("Unknown code.")
UNKNOWN_STATUS = N_("Unknown referral status.")


@dataclass(frozen=True)
class Contact:
    reached: bool
    channel: str = "phone"


@dataclass(frozen=True)
class WantedChange:
    status: str | None = None  # the new Task.status; None: as it is
    reason_code: str | None = None  # statusReason coded in our reject-reason CodeSystem
    reason_text: str = ""  # statusReason.text, when it changed
    reason_changed: bool = False
    outcome: str | None = None  # states.OUTCOME_LABELS, from output or businessStatus
    contact: Contact | None = None

    @property
    def nothing(self) -> bool:
        return (
            self.status is None and not self.reason_changed and self.outcome is None and self.contact is None
        )


# --- PUT: a whole Task -------------------------------------------------------------------


def from_put(current: dict[str, Any], incoming: Any) -> WantedChange:
    """`current` is the Task as the caller sees it (task.task), `incoming` the parsed body."""
    if not isinstance(incoming, dict) or incoming.get("resourceType") != "Task":
        raise InvalidInput(NOT_A_TASK, field="Task.resourceType")
    if "id" in incoming and incoming["id"] != current["id"]:
        raise InvalidInput(WRONG_ID, field="Task.id")
    for key in sorted((current.keys() | incoming.keys()) - set(TAKEN) - set(SERVER_KEPT)):
        if not same(current.get(key), incoming.get(key)):
            raise InvalidInput(FIXED, field=f"Task.{key}")
    return wanted(current, incoming)


def same(ours: Any, theirs: Any) -> bool:
    """Equal as FHIR means it: the same instants written differently ("Z" or "+00:00") match."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(same(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(same(a, b) for a, b in zip(ours, theirs, strict=True))
    if isinstance(ours, str) and isinstance(theirs, str) and ours != theirs:
        return _instant(ours) is not None and _instant(ours) == _instant(theirs)
    return bool(type(ours) is type(theirs) and ours == theirs)


def _instant(text: str) -> datetime | None:
    if len(text) < 20 or text[4:5] != "-" or "T" not in text:  # only full instants
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


# --- PATCH: JSON Patch on the Task as the caller sees it ----------------------------------


def from_patch(current: dict[str, Any], operations: Any) -> WantedChange:
    return wanted(current, apply_patch(current, operations))


def apply_patch(current: dict[str, Any], operations: Any) -> dict[str, Any]:
    """RFC 6902 `add` and `replace` on the four elements we take (and inside them); any other
    operation or path is refused with the element it names."""
    if not isinstance(operations, list) or not operations:
        raise InvalidInput(NOT_A_PATCH, field="Task")
    task = copy.deepcopy(current)
    for operation in operations:
        if not isinstance(operation, dict) or not isinstance(operation.get("path"), str):
            raise InvalidInput(NOT_A_PATCH, field="Task")
        tokens = _pointer(operation["path"])
        if operation.get("op") not in PATCH_OPERATIONS or not tokens or tokens[0] not in TAKEN:
            raise InvalidInput(PATCH_REFUSED, field=_element(tokens))
        if "value" not in operation:
            raise InvalidInput(NOT_A_PATCH, field=_element(tokens))
        _put(task, tokens, copy.deepcopy(operation["value"]), operation["op"] == "add")
    return task


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _element(tokens: list[str]) -> str:
    names = [t for t in tokens if t and not t.isdigit() and t != "-"]
    return ".".join(["Task", *names[:1]])


def _put(task: dict[str, Any], tokens: list[str], value: Any, add: bool) -> None:
    """Sets the value at the pointer: `add` may create the last member or insert into a list,
    `replace` needs it to exist (RFC 6902 4.1, 4.3)."""
    target: Any = task
    for token in tokens[:-1]:
        target = _step(target, token, tokens)
    last = tokens[-1]
    if isinstance(target, dict):
        if not add and last not in target:
            raise InvalidInput(PATCH_REFUSED, field=_element(tokens))
        target[last] = value
    elif isinstance(target, list):
        if add and last == "-":
            target.append(value)
            return
        index = _index(target, last, tokens, allow_end=add)
        if add:
            target.insert(index, value)
        else:
            target[index] = value
    else:
        raise InvalidInput(PATCH_REFUSED, field=_element(tokens))


def _step(target: Any, token: str, tokens: list[str]) -> Any:
    if isinstance(target, dict) and token in target:
        return target[token]
    if isinstance(target, list):
        return target[_index(target, token, tokens, allow_end=False)]
    raise InvalidInput(PATCH_REFUSED, field=_element(tokens))


def _index(target: list[Any], token: str, tokens: list[str], allow_end: bool) -> int:
    if not token.isdigit() or int(token) > len(target) - (0 if allow_end else 1):
        raise InvalidInput(PATCH_REFUSED, field=_element(tokens))
    return int(token)


# --- What changed ----------------------------------------------------------------------


def wanted(current: dict[str, Any], new: dict[str, Any]) -> WantedChange:
    status = new.get("status")
    if not isinstance(status, str) or status not in set(states.Status):
        raise InvalidInput(UNKNOWN_STATUS, field="Task.status")
    reason_code, reason_text, reason_changed = None, "", False
    if not same(current.get("statusReason"), new.get("statusReason")) and new.get("statusReason"):
        reason_code, reason_text = _reason(new["statusReason"])
        reason_changed = True
    outcome, contact = None, None
    if not same(current.get("businessStatus"), new.get("businessStatus")) and new.get("businessStatus"):
        outcome, contact = _business_status(new["businessStatus"])
    outcome = _output_outcome(current.get("output") or [], new.get("output") or []) or outcome
    return WantedChange(
        status=None if status == current.get("status") else status,
        reason_code=reason_code,
        reason_text=reason_text,
        reason_changed=reason_changed,
        outcome=outcome,
        contact=contact,
    )


def _codings(concept: Any, element: str) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        raise InvalidInput(UNKNOWN_CODE, field=element)
    found = concept.get("coding") or []
    if not isinstance(found, list) or not all(isinstance(c, dict) for c in found):
        raise InvalidInput(UNKNOWN_CODE, field=element)
    return found


def _code_of(coding: dict[str, Any], system: str, element: str) -> str:
    """The code, if it is one of the system's (an unknown code of our own system is refused)."""
    _, labels = codes.SYSTEMS[system]
    code = coding.get("code")
    if not isinstance(code, str) or code not in labels:
        raise InvalidInput(UNKNOWN_CODE, field=element)
    return code


def _reason(concept: Any) -> tuple[str | None, str]:
    element = "Task.statusReason"
    code = None
    for coding in _codings(concept, element):
        if coding.get("system") == codes.REJECT_REASON_SYSTEM:
            code = _code_of(coding, "reject-reason", element)
    text = concept.get("text") or ""
    if not isinstance(text, str):
        raise InvalidInput(UNKNOWN_CODE, field=element)
    return code, text.strip()


def _business_status(concept: Any) -> tuple[str | None, Contact | None]:
    element = "Task.businessStatus"
    outcome, reached, channel = None, None, "phone"
    for coding in _codings(concept, element):
        system = coding.get("system")
        if system == codes.OUTCOME_SYSTEM:
            outcome = _code_of(coding, "outcome", element)
        elif system == codes.CONTACT_SYSTEM:
            reached = _code_of(coding, "contact", element) == "contact-reached"
        elif system == codes.CONTACT_CHANNEL_SYSTEM:
            channel = _code_of(coding, "contact-channel", element)
    if outcome is None and reached is None:
        raise InvalidInput(UNKNOWN_CODE, field=element)
    return outcome, (Contact(reached, channel) if reached is not None else None)


def _output_outcome(ours: list[Any], theirs: list[Any]) -> str | None:
    """An outcome from the outputs we did not hold: each must carry a valueCodeableConcept coded
    in our outcome CodeSystem (outputs we hold, e.g. a Procedure reference, may be sent back)."""
    element = "Task.output"
    if not isinstance(theirs, list):
        raise InvalidInput(UNKNOWN_CODE, field=element)
    outcome = None
    for item in theirs:
        if any(same(item, held) for held in ours):
            continue
        value = item.get("valueCodeableConcept") if isinstance(item, dict) else None
        found = [c for c in _codings(value, element) if c.get("system") == codes.OUTCOME_SYSTEM]
        if not found:
            raise InvalidInput(UNKNOWN_CODE, field=element)
        outcome = _code_of(found[0], "outcome", element)
    return outcome
