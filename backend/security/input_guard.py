"""Refuses input that no form or API of ours takes, before any handler sees it: control
characters (NUL above all: PostgreSQL cannot store one, and every route that passed one on
answered 500) in the path, the query string or a form or JSON body, and JSON nested deeper than
any real request (100,000 levels exhausted the decoder's stack). Answered 400 in the caller's
language by the usual error handler (a page, or JSON under /api/).

POST /api/v1/sync checks its records one by one instead (backend/sync/schema.py): a NUL in one
record rejects that record, not the whole batch. Only its body's nesting is checked here."""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.errors import InvalidInput
from backend.i18n import N_

MAX_DEPTH = 32  # the deepest request we make is 6 levels (a sync batch's consent scope)
CONTROL = N_("The input contains a control character (such as NUL) that is not allowed.")
TOO_DEEP = N_("The request is nested too deeply.")
CHECKS_ITS_RECORDS = frozenset({"/api/v1/sync"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# C0 controls and DEL, but tab, line feed and carriage return (free text has them); and lone
# surrogates ("\ud800" in JSON), which no database encoding stores. A path allows no control.
_REFUSED_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_REFUSED_IN_PATH = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
# For the nesting check: JSON strings (whose brackets are text) removed, then each opening
# bracket counted +1 and each closing one -1 (as signed bytes, so C code does the counting).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class RefusedInput(InvalidInput):
    status_code = 400


def refused_text(value: str) -> bool:
    return _REFUSED_IN_TEXT.search(value) is not None


def first_refused(value: Any, path: str = "") -> str | None:
    """The dotted path ("consent.scope") of the first string (or key) in decoded JSON holding a
    refused character, or None when there is none. Iterative: the nesting is checked, not trusted."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if refused_text(item):
                return where
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and refused_text(key):
                    return where
                stack.append((inner, f"{where}.{key}" if where else str(key)))
        elif isinstance(item, list):
            stack.extend((inner, where) for inner in item)
    return None


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests more than `limit` arrays or objects, checked without decoding it
    (decoding is what recurses)."""
    if b"[" not in raw and b"{" not in raw:
        return False
    steps = _JSON_STRING.sub(b"", raw).translate(_STEPS, _NOT_BRACKETS)
    return max(accumulate(memoryview(steps).cast("b")), default=0) > limit


class InputGuard(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if _REFUSED_IN_PATH.search(scope["path"]):
            raise RefusedInput(CONTROL, field="path")
        query = scope.get("query_string", b"").decode("latin-1")
        for key, value in parse_qsl(query, keep_blank_values=True):
            if refused_text(key) or refused_text(value):
                raise RefusedInput(CONTROL, field="query")
        request: Request[Any, Any, Any] = Request(scope, receive)
        if request.method in UNSAFE_METHODS:
            await self._check_body(request, scope["path"])
        await next_app(scope, receive, send)

    @staticmethod
    async def _check_body(request: Request[Any, Any, Any], path: str) -> None:
        if request.content_type[0] in FORM_TYPES:
            form = await request.form()  # parsed once: handlers and the CSRF check reuse it
            for key, value in form.multi_items():
                if isinstance(value, str) and (refused_text(key) or refused_text(value)):
                    raise RefusedInput(CONTROL, field=key if not refused_text(key) else None)
            return
        # Anything else may be decoded as JSON by a handler, whatever its content type says.
        body = await request.body()
        if too_deep(body):
            raise RefusedInput(TOO_DEEP)
        if path in CHECKS_ITS_RECORDS or not body.strip():
            return
        try:
            value = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return  # not JSON: the handler answers as it always did
        if (where := first_refused(value)) is not None:
            raise RefusedInput(CONTROL, field=where or None)
