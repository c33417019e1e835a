"""Static assets get content-hashed URLs, so they can be cached for a year and still change.

The same hashes name the service worker's cache: when any asset changes, the cache name
changes and the old cache is removed on activate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

from litestar.types import ASGIApp, Message, Receive, Scope, Send

ROOT = Path(__file__).resolve().parent.parent.parent
STATIC_DIR = ROOT / "frontend" / "static"
TEMPLATES_DIR = ROOT / "frontend" / "templates"
SERVICE_WORKER = ROOT / "service-worker" / "sw.js"
LOCALES_DIR = ROOT / "locales"
STATIC_PREFIX = "/static"

# What the service worker precaches besides the offline pages: the shell every page needs.
SHELL = (
    "css/app.css",
    "js/app.js",
    "vendor/htmx/htmx-2.0.11.min.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    # The self-check (issue 7) works offline after the first visit: its modules and the rules.
    "js/selfcheck.js",
    "js/rules.js",
    "js/answers.js",  # reads the answers from a form, for the self-check and the offline screening
    # The offline screening (issue 5): the outbox (also imported by the worker) and its pages.
    "js/outbox.js",
    "js/visit.js",
    "js/outbox-page.js",
    "js/follow-up.js",  # the follow-up without network (issue 19)
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Assets:
    hashes: dict[str, str] = field(default_factory=dict)
    version: str = ""

    @classmethod
    def scan(cls) -> Assets:
        hashes = {
            p.relative_to(STATIC_DIR).as_posix(): _digest(p)[:12]
            for p in sorted(STATIC_DIR.rglob("*"))
            if p.is_file()
        }
        # The version covers everything an offline visitor sees: assets, the worker, the
        # offline template and the compiled translations it is rendered with.
        extra = [SERVICE_WORKER, *sorted(TEMPLATES_DIR.rglob("*.html")), *sorted(LOCALES_DIR.rglob("*.mo"))]
        combined = hashlib.sha256()
        for name, digest in hashes.items():
            combined.update(f"{name}:{digest}\n".encode())
        for path in extra:
            if path.exists():
                combined.update(f"{path.name}:{_digest(path)}\n".encode())
        return cls(hashes=hashes, version=combined.hexdigest()[:12])

    def url(self, name: str) -> str:
        digest = self.hashes.get(name)
        if digest is None:
            raise KeyError(f"no static asset {name!r} under {STATIC_DIR}")
        return f"{STATIC_PREFIX}/{name}?v={digest}"

    def shell_urls(self) -> list[str]:
        return [self.url(name) for name in SHELL]


def cache_own_versions_only(assets: Assets) -> Callable[[ASGIApp], ASGIApp]:
    """Static-files middleware: the year-long cache only for `?v=<hash>` of the file this
    server holds. During a rolling deploy a page of the new release may ask a server still on
    the old one for `?v=<new>`; cached for a year, the old file would stay under the new URL.
    Any other version (or none) goes out `no-cache`: used now, revalidated next time."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            name = str(scope.get("path", "")).removeprefix(STATIC_PREFIX + "/")
            asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
            if asked and assets.hashes.get(name) == asked:
                await app(scope, receive, send)
                return

            async def uncached(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                    message["headers"] = [*headers, (b"cache-control", b"no-cache")]
                await send(message)

            await app(scope, receive, uncached)

        return wrapped

    return middleware
