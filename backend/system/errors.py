"""One place turns every exception into a response: a page or JSON, in the user's language,
with the right status and never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from backend import i18n
from backend.accounts.auth import BAD_TOKEN, FORBIDDEN, LOGIN_REQUIRED
from backend.db.engine import is_locked, is_unavailable
from backend.errors import DatabaseBusy, DatabaseUnavailable, DomainError, InvalidInput, RateLimited
from backend.i18n import N_
from backend.security.csrf import CSRF_FAILED
from backend.web import is_htmx, render, request_locale

log = logging.getLogger("passerelle")

TITLES = {
    400: N_("The request could not be understood"),
    401: N_("Please log in"),
    403: N_("Access denied"),
    404: N_("Page not found"),
    405: N_("This action is not possible here"),
    409: N_("Conflict"),
    413: N_("The request is too large"),
    422: N_("Please check your input"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
    503: N_("Passerelle is not available at the moment"),
}
DEFAULT_MESSAGES = {
    400: N_("Please check what you entered and try again."),
    404: N_("There is no page at this address. Check the address or go back to the start page."),
    405: N_("Go back to the previous page and try again."),
    413: N_("Send less data at once."),
    500: N_("Your data is safe. Please try again in a moment; if it happens again, tell your administrator."),
    503: N_("Please try again in a moment."),
}
WRONG_SHAPE = N_("This value is missing or has the wrong type.")
# Details we raise ourselves (msgids); Litestar's own English details are never shown as such.
_KNOWN_MESSAGES = frozenset({BAD_TOKEN, FORBIDDEN, LOGIN_REQUIRED, CSRF_FAILED})


def wants_json(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith(("/api/", "/hsds/")) or request.url.path in ("/healthz", "/readyz"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


# (status, translated message, element path → translated message, headers) → the response.
ErrorShape = Callable[[int, str, dict[str, str], dict[str, str]], Response[Any]]


def _shape_for(request: Request[Any, Any, Any]) -> ErrorShape | None:
    """The error shape create_app registered for the path's prefix (`state.error_shapes`)."""
    path = request.url.path
    shapes: dict[str, ErrorShape] = request.app.state.get("error_shapes", {})
    for prefix, shape in shapes.items():
        if path == prefix or path.startswith(prefix + "/"):
            return shape
    return None


def _message(exc: Exception, status: int) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    detail = getattr(exc, "detail", "") if isinstance(exc, HTTPException) else ""
    # Our own messages are msgids; Litestar's built-in details (English prose) are replaced.
    if detail and detail in _KNOWN_MESSAGES:
        return detail
    return DEFAULT_MESSAGES.get(status, TITLES.get(status, TITLES[500]))


def _route(request: Request[Any, Any, Any]) -> str:
    """For the log: the route's template, never the path (it may hold ids or names)."""
    return str(request.scope.get("path_template") or "-")


def error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_locked(exc):  # a statement of the request's unit found SQLite locked (backend/deps.py)
        exc = DatabaseBusy()
    elif is_unavailable(exc):  # PostgreSQL restarting or failing over: the pool reconnects by itself
        exc = DatabaseUnavailable()
    status = getattr(exc, "status_code", HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, ValidationException):
        status = 400
    if isinstance(exc, DatabaseBusy | DatabaseUnavailable):
        log.warning(
            "database %s on %s %s",
            "busy" if isinstance(exc, DatabaseBusy) else "unavailable",
            request.method,
            _route(request),
        )
    elif status >= 500:
        # Type and route only: request bodies and query strings may hold personal data.
        log.error("%s on %s %s", type(exc).__name__, request.method, _route(request), exc_info=exc)
    locale = request_locale(request)
    # String parameters may be msgids themselves (a status label): they are translated too.
    params = {
        key: i18n.translate(locale, value) if isinstance(value, str) else value
        for key, value in (exc.params if isinstance(exc, DomainError) else {}).items()
    }
    message = i18n.translate(locale, _message(exc, status), **params)
    title = i18n.translate(locale, TITLES.get(status, TITLES[500]))
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited | DatabaseBusy | DatabaseUnavailable):
        headers["Retry-After"] = str(exc.retry_after)

    shape = _shape_for(request)
    if shape is not None:  # a protocol of its own under its prefix (FHIR: OperationOutcome)
        fields: dict[str, str] = {}
        if isinstance(exc, InvalidInput):
            fields = {k: i18n.translate(locale, v) for k, v in exc.fields.items()}
            if exc.field and not fields:
                fields = {exc.field: message}
        return shape(status, message, fields, headers)

    if wants_json(request):
        body: dict[str, object] = {"error": title, "message": message, "status": status}
        if isinstance(exc, InvalidInput) and exc.field:
            body["field"] = exc.field
        if isinstance(exc, InvalidInput) and exc.fields:
            body["errors"] = {k: i18n.translate(locale, v) for k, v in exc.fields.items()}
        if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
            # Which fields did not fit the schema; Litestar's English wording is replaced.
            keys = [str(e.get("key")) for e in exc.extra if isinstance(e, dict) and e.get("key")]
            body["errors"] = {k: i18n.translate(locale, WRONG_SHAPE) for k in keys}
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="passerelle"'
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)

    if isinstance(exc, NotAuthorizedException) and request.method == "GET":
        target = request.app.route_reverse("accounts.login") + "?next=" + quote(request.url.path, safe="/")
        if is_htmx(request):
            return Response("", status_code=200, headers={"HX-Redirect": target})
        return Redirect(target, status_code=303)

    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status_code=status,
        locale=locale,
        headers=headers,
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTPException: error_response,
    DomainError: error_response,
    NotFoundException: error_response,
    NotAuthorizedException: error_response,
    PermissionDeniedException: error_response,
    Exception: error_response,
}
