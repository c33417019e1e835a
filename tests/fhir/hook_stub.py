"""A subscriber's side for tests: its rest-hook endpoint, a threading HTTP server on 127.0.0.1 that
records every request (path, headers, body) and answers 200, or a scripted status for the next
ones to a path (`fail_next("/hook/a", 2, 503)`); and the Subscription it posts
(`subscription_resource`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOPIC = "https://fhir.passerelle.ch/SubscriptionTopic/task-changed"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"


def subscription_resource(
    endpoint: str, *filters: str, content: str = "id-only", headers: list[str] | None = None
) -> dict[str, Any]:
    """An R4 backport Subscription to Passerelle's topic, as a subscriber posts it."""
    resource: dict[str, Any] = {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "Our case system",
        "criteria": TOPIC,
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint,
            "payload": "application/fhir+json",
            "_payload": {
                "extension": [{"url": f"{BACKPORT}/backport-payload-content", "valueCode": content}]
            },
        },
    }
    if filters:
        resource["_criteria"] = {
            "extension": [{"url": f"{BACKPORT}/backport-filter-criteria", "valueString": f} for f in filters]
        }
    if headers:
        resource["channel"]["header"] = headers
    return resource


@dataclass
class Hook:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HookStub:
    server: ThreadingHTTPServer
    received: list[Hook] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)  # path → statuses to answer in turn
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "/hook") -> str:
        return self.origin + path

    def fail_next(self, path: str, count: int, status: int = 503) -> None:
        with self.lock:
            self.script[path] = [status] * count

    def to(self, path: str) -> list[Hook]:
        with self.lock:
            return [h for h in self.received if h.path == path]

    def wait_for(self, check: Callable[[], bool], timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(0.1)
        return check()


def _handler(stub: HookStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with stub.lock:
                waiting = stub.script.get(self.path)
                status = waiting.pop(0) if waiting else 200
                stub.received.append(
                    Hook("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def hook_stub() -> Iterator[HookStub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    stub = HookStub(server)
    server.RequestHandlerClass = _handler(stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
