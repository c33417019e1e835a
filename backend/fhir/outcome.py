"""Errors under /fhir answer as an OperationOutcome (application/fhir+json), never HTML or our
own JSON shape: a FHIR client reads `issue[].details.text` and `issue[].expression`.

Messages are the usual msgids, translated into the caller's Accept-Language (German by default),
so the same refusal reads the same in the inbox and through FHIR."""

from __future__ import annotations

from typing import Any

from litestar import Response

from backend.errors import DomainError
from backend.i18n import N_

FHIR_JSON = "application/fhir+json"
PREFIX = "/fhir"

# HTTP status → OperationOutcome.issue.code (http://hl7.org/fhir/issue-type).
ISSUE_TYPES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    503: "transient",
}


NOT_JSON = N_("The body is not valid JSON.")  # one wording for every body /fhir reads itself


class PreconditionFailed(DomainError):
    """If-Match names a version that is no longer the current one: nothing was changed."""

    status_code = 412


def issue(
    status: int, message: str, expression: str | None = None, severity: str = "error"
) -> dict[str, Any]:
    one: dict[str, Any] = {
        "severity": severity,
        "code": ISSUE_TYPES.get(status, "exception"),
        "details": {"text": message},
    }
    if expression:
        one["expression"] = [expression]
    return one


def operation_outcome(issues: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": issues}


def error_response(
    status: int, message: str, fields: dict[str, str], headers: dict[str, str]
) -> Response[Any]:
    """For system/errors.py (registered by create_app for PREFIX): `fields` maps element paths
    (FHIRPath, e.g. `Task.status`) to translated messages; the first issue is the summary."""
    issues = [issue(status, message, next(iter(fields)) if len(fields) == 1 else None)]
    if len(fields) > 1:
        issues += [issue(status, text, path) for path, text in fields.items()]
    if status == 401:
        headers = {**headers, "WWW-Authenticate": 'Bearer realm="passerelle"'}
    return Response(operation_outcome(issues), status_code=status, media_type=FHIR_JSON, headers=headers)
