"""HEAD for every GET route, as HTTP asks (RFC 9110 §9.3.2): monitoring tools and link
checkers use it. Litestar answers HEAD only where a route declares it, and its middleware run
after routing, so this wraps the app at the root: a HEAD request is handled as a GET (same
status and headers, Content-Length included) and the body is dropped on the way out.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_head(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        # A copy: the server's own scope still says HEAD, so it sends no body either.
        as_get = scope.copy()
        as_get["method"] = "GET"
        await self.app(as_get, receive, send_head)
