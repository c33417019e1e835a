"""CSRF protection for every unsafe request, forms and htmx alike.

A random value lives in an HttpOnly cookie; pages carry its HMAC (in forms as `csrf_token`,
for htmx and fetch as the `X-CSRF-Token` header, read from `<meta name=csrf-token>`). An
unsafe request must present the HMAC of its own cookie. Requests that authenticate with
`Authorization: Bearer` carry no ambient credentials and are exempt — the auth middleware
then ignores cookies entirely. https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.i18n import N_

COOKIE = "passerelle_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# The public self-check (backend/selfcheck) sets no cookie at all: it carries no account and no
# ambient authority that a forged request could borrow, so it needs no token. Its forms are
# still only taken from our own pages, as far as the browser tells (`_same_origin`): another
# site must not make a visitor's browser post callback requests in the visitor's name.
ANONYMOUS_PREFIX = "/check"
# Sec-Fetch-Site values of a request our own page made (`none`: the person typed or chose it).
OWN_FETCH_SITES = frozenset({"same-origin", "none"})
# Files every page loads (including the self-check's): they carry no form, so no cookie either.
# The worker also fetches the public directory snapshot for every visitor, the self-check's too.
NO_COOKIE_PREFIXES = (
    "/static/",
    "/sw.js",
    "/manifest.webmanifest",
    "/offline/",
    "/favicon.ico",
    "/api/v1/directory/snapshot",
)
BEARER_ONLY_PREFIX = "/fhir"  # FHIR: bearer tokens only, cookies ignored (backend/accounts/auth.py)
CSRF_FAILED = N_("This form has expired or did not come from Passerelle. Reload the page and try again.")


def token_for(secret_key: str, cookie_value: str) -> str:
    return hmac.new(secret_key.encode(), cookie_value.encode(), hashlib.sha256).hexdigest()


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def csrf_cookie(value: str, secure: bool) -> Cookie:
    return Cookie(key=COOKIE, value=value, httponly=True, samesite="lax", secure=secure, path="/")


class CSRFMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, secret_key: str, secure: bool) -> None:
        self.secret_key = secret_key
        self.secure = secure

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request[Any, Any, Any] = Request(scope, receive)
        path = request.url.path
        if path == ANONYMOUS_PREFIX or path.startswith(ANONYMOUS_PREFIX + "/"):
            if request.method not in SAFE_METHODS and not self._same_origin(request):
                raise PermissionDeniedException(detail=CSRF_FAILED)
            request.state.csrf_token = ""
            await next_app(scope, receive, send)
            return
        if path == BEARER_ONLY_PREFIX or path.startswith(BEARER_ONLY_PREFIX + "/"):
            # Only a bearer token opens /fhir (see auth.py): no ambient credential to borrow.
            request.state.csrf_token = ""
            await next_app(scope, receive, send)
            return
        if request.method in SAFE_METHODS and path.startswith(NO_COOKIE_PREFIXES):
            request.state.csrf_token = ""
            await next_app(scope, receive, send)
            return
        cookie_value = request.cookies.get(COOKIE) or ""
        fresh = not cookie_value
        if fresh:
            cookie_value = new_cookie_value()
        request.state.csrf_token = token_for(self.secret_key, cookie_value)

        if request.method not in SAFE_METHODS and not _bearer(request):
            if fresh or not await self._valid(request):
                raise PermissionDeniedException(detail=CSRF_FAILED)

        if not fresh:
            await next_app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                # A route that rotated the cookie (login, logout) has set its own already.
                if not any(v.startswith(f"{COOKIE}=") for v in headers.getall("set-cookie", [])):
                    headers.add("set-cookie", csrf_cookie(cookie_value, self.secure).to_header(header=""))
            await send(message)

        await next_app(scope, receive, send_with_cookie)

    @staticmethod
    def _same_origin(request: Request[Any, Any, Any]) -> bool:
        """For requests without a token: what the browser says about where the request comes
        from. Sec-Fetch-Site and Origin must each, when sent, name our own site. A browser that
        sends neither (Firefox before 70) still sends Referer, which our pages allow for our
        own origin only (Referrer-Policy: same-origin): a foreign one is refused. A request
        with none of the three is not a browser's, and has no visitor's authority to borrow."""
        headers = request.headers
        fetch_site, origin = headers.get("sec-fetch-site"), headers.get("origin")
        if fetch_site is not None and fetch_site not in OWN_FETCH_SITES:
            return False
        if origin is not None:
            return origin in _own_origins(request)
        referer = headers.get("referer")
        if fetch_site is None and referer is not None:
            parts = urlsplit(referer)
            return f"{parts.scheme}://{parts.netloc}" in _own_origins(request)
        return True

    async def _valid(self, request: Request[Any, Any, Any]) -> bool:
        if request.headers.get("sec-fetch-site") == "cross-site":
            return False
        presented = request.headers.get(HEADER)
        if not presented and request.content_type[0] in FORM_TYPES:
            form = await request.form()
            value = form.get(FIELD)
            presented = value if isinstance(value, str) else None
        expected = request.state.csrf_token
        return bool(presented) and hmac.compare_digest(presented, expected)


def _bearer(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def _own_origins(request: Request[Any, Any, Any]) -> set[str]:
    """The configured address (BASE_URL) and the one this request was sent to: a browser does
    not let a page forge the Host header, and behind a proxy the scheme may differ."""
    configured = urlsplit(request.app.state.settings.base_url)
    return {
        f"{configured.scheme}://{configured.netloc}",
        f"{request.url.scheme}://{request.headers.get('host', '')}",
    }
