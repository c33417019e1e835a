"""Logs as JSON lines (production) or plain text (development), and one access line per request.

An access line says which request (`request_id`: the proxy's X-Request-ID when it is a plain
token, else made here, and echoed in the response), which route (its template, never the raw
path: no ids, names or query strings), `status`, `duration_ms` and who (`user`: a keyed hash of
the user's id, never a name). Error lines written while a request runs carry its request id.
Nothing else of a request is logged: no query string, no body, no header but the request id.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import re
import secrets
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

LOG_FORMATS = ("json", "text")
REQUEST_ID_HEADER = b"x-request-id"
# A proxy's request id is believed when it is a plain token (a uuid, nginx's $request_id);
# anything else could smuggle text into the logs, so a fresh id is made instead.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
UNMATCHED = "-"  # the route of a request no handler answered (its path is not logged)

access_log = logging.getLogger("passerelle.access")


@dataclass
class Entry:
    """What the access line needs, filled in while the request travels the app."""

    request_id: str
    routed: Mapping[str, Any] | None = None  # the scope the router filled in (a copy for HEAD)


_current: contextvars.ContextVar[Entry | None] = contextvars.ContextVar("passerelle_request", default=None)


def user_hash(secret_key: str, user_id: int) -> str:
    """The same user gives the same hash on every server sharing SECRET_KEY; the id cannot be
    read back from it without the key."""
    return hmac.new(secret_key.encode(), f"user:{user_id}".encode(), hashlib.sha256).hexdigest()[:16]


class RequestLog:
    """Wraps the whole ASGI app (outside HEAD handling, so a HEAD is logged as one)."""

    def __init__(self, app: ASGIApp, secret_key: str) -> None:
        self.app, self.secret_key = app, secret_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        entry = Entry(given if VALID_REQUEST_ID.fullmatch(given) else secrets.token_hex(16))
        token = _current.set(entry)
        status = 500  # when the app fails before answering, the server answers 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
                message = {**message, "headers": [*headers, (REQUEST_ID_HEADER, entry.request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = (time.perf_counter() - started) * 1000
            fields: dict[str, Any] = {
                "request_id": entry.request_id,
                "method": scope["method"],
                "route": (entry.routed or {}).get("path_template") or UNMATCHED,
                "status": status,
                "duration_ms": round(duration, 1),
            }
            user_id = getattr(entry.routed.get("user"), "id", None) if entry.routed else None
            if user_id is not None:
                fields["user"] = user_hash(self.secret_key, user_id)
            access_log.info(
                "%s %s %s %.1fms", scope["method"], fields["route"], status, duration, extra=fields
            )
            _current.reset(token)


class NoteRoute(ASGIMiddleware):
    """The first middleware: keeps the routed scope, where the route's template is and where
    the authentication middleware puts the user, for the access line (RequestLog sees only the
    raw request). A request refused by a later middleware (CSRF) still has its route."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        entry = _current.get()
        if entry is not None:
            entry.routed = cast("Mapping[str, Any]", scope)
        await next_app(scope, receive, send)


class _RequestIdFilter(logging.Filter):
    """Every line logged while a request runs carries its id."""

    def filter(self, record: logging.LogRecord) -> bool:
        entry = _current.get()
        if entry is not None and not hasattr(record, "request_id"):
            record.request_id = entry.request_id
        return True


# The record's own attributes, and uvicorn's colored duplicate of its message.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line. An exception is logged by its type and stack (file, line,
    function) without its message, which may quote values (an SQL error's parameters)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, tb = record.exc_info
            line["error"] = kind.__name__
            line["stack"] = [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_tb(tb)]
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """One line a record (an exception adds its stack), for reading in a terminal. The exception's
    message is left out as in JSON: LOG_FORMAT=text is allowed in production too."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatException(self, ei: Any) -> str:
        kind, _, tb = ei
        stack = "".join(traceback.format_list(traceback.extract_tb(tb)))
        return f"Traceback (most recent call last):\n{stack}{kind.__name__} (message not logged)"

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id and record.name != access_log.name:
            text += f" [request {request_id}]"
        elif request_id:
            user = getattr(record, "user", None)
            text += f" [request {request_id}{' user ' + user if user else ''}]"
        return text


def configure_logging(log_format: str) -> None:
    """Root logging for the web and worker processes: INFO and up to stderr, uvicorn's own
    lines included (its access log stays off: it would print raw paths with query strings)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)  # Python's warnings become log lines too (JSON in production)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin notes on every start
