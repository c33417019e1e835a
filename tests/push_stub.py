"""A local Web Push service for tests that speaks the real protocol: it checks the VAPID
`Authorization: vapid t=<JWT>, k=<key>` header (ES256 signature by the key, audience, expiry)
and decrypts the `aes128gcm` body (RFC 8291) with the fake subscription's private key and auth
secret. Answers are scripted per request (201 by default); a scripted 3xx points to
`location`. Every request is noted in `calls`, whatever it was."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """A fake browser subscription: its endpoint on the stub and its keys."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def subscription_json(self) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
        }


@dataclass
class Received:
    path: str
    payload: dict
    headers: dict


@dataclass
class PushStub:
    server: ThreadingHTTPServer
    devices: dict[str, Device] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # why a request failed the protocol checks
    script: dict[str, list[int]] = field(default_factory=dict)  # path → statuses to answer in turn
    location: str = ""  # where a scripted 3xx answer points
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, Host) of every request
    lock: threading.Lock = field(default_factory=threading.Lock)
    gate: threading.Event | None = None  # when set by a test, answers wait until it opens
    held: int = 0  # requests that have waited at the gate

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def device(self) -> Device:
        path = f"/push/{os.urandom(8).hex()}"
        device = Device(self.origin + path, ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.devices[path] = device
        return device

    def payloads(self, device: Device) -> list[dict]:
        path = device.endpoint.removeprefix(self.origin)
        return [r.payload for r in self.received if r.path == path]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.received) < count:
            time.sleep(0.05)
        return list(self.received)

    def check(self, path: str, headers: dict, body: bytes) -> dict:
        device = self.devices.get(path)
        if device is None:
            raise ValueError("unknown subscription")
        scheme, _, params = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError("not a VAPID Authorization header")
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        token, key = fields["t"], fields["k"]
        head, claims, signature = token.split(".")
        header = json.loads(unb64url(head))
        if header.get("alg") != "ES256":
            raise ValueError("JWT not ES256")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        decoded = json.loads(unb64url(claims))
        if decoded.get("aud") != self.origin:
            raise ValueError("wrong audience")
        if not (time.time() < decoded.get("exp", 0) <= time.time() + 24 * 3600 + 60):
            raise ValueError("bad expiry")
        if headers.get("content-encoding") != "aes128gcm":
            raise ValueError("not aes128gcm")
        plain = http_ece.decrypt(
            body, private_key=device.private_key, auth_secret=device.auth, version="aes128gcm"
        )
        return json.loads(plain)


class _Server(ThreadingHTTPServer):
    # A push service takes many connections at once; the default backlog of 5 would drop the
    # workers' parallel connects on a loaded machine (the push then fails and waits for a retry).
    request_queue_size = 128


def start_push_stub(serve: bool = True) -> PushStub:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            stub.calls.append(("GET", self.path, self.headers.get("Host", "")))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            stub.calls.append(("POST", self.path, headers.get("host", "")))
            if stub.gate is not None:
                with stub.lock:
                    stub.held += 1
                stub.gate.wait(30)
            with stub.lock:
                statuses = stub.script.get(self.path)
                status = statuses.pop(0) if statuses else 201
            if status == 201:
                try:
                    payload = stub.check(self.path, headers, body)
                except Exception as error:
                    stub.rejected.append(f"{type(error).__name__}: {error}")
                    status = 400
                else:
                    stub.received.append(Received(self.path, payload, headers))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", stub.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    stub = PushStub(server)
    if serve:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return stub


class _Counter(list):
    """Counts what the stub appends, across a process boundary (benchmarks)."""

    def __init__(self, value) -> None:
        super().__init__()
        self.value = value

    def append(self, item) -> None:
        with self.value.get_lock():
            self.value.value += 1


def serve_in_process(stub: PushStub):
    """Runs the stub in a forked process, as a real push service runs apart from the worker
    (in a thread it would compete with the worker for the GIL). Returns the process and the
    shared counters of accepted and rejected pushes."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    accepted, rejected = context.Value("i", 0), context.Value("i", 0)

    def run() -> None:
        stub.received, stub.rejected = _Counter(accepted), _Counter(rejected)  # type: ignore[assignment]
        stub.server.serve_forever()

    process = context.Process(target=run, daemon=True)
    process.start()
    return process, accepted, rejected
