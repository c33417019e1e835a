"""The push sender's guard and transport: which addresses a push may go to, and that the
connection goes to the address that was vetted (the name is not resolved again), with the
endpoint's name kept for the Host header, TLS SNI and the certificate check."""

from __future__ import annotations

import ipaddress
import ssl
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.errors import InvalidInput
from backend.push.guard import is_public, vet
from backend.push.transport import NotVetted, PushSession
from tests.push_stub import start_push_stub


@pytest.mark.parametrize(
    "address",
    [
        "100.100.100.200",  # a cloud metadata service, in carrier-grade NAT space
        "100.64.0.1",
        "100.127.255.254",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "2002:a00:1::1",  # 6to4 around 10.0.0.1
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
    ],
)
def test_addresses_that_are_not_global_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "142.250.185.74", "2001:4860:4860::8888", "2002:808:808::1"])
def test_global_addresses_are_allowed(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://100.100.100.200/latest/meta-data",
        "https://[2002:7f00:1::1]/push",
        "https://[::ffff:127.0.0.1]/push",
        "https://localhost/push",
        "http://8.8.8.8/push",  # not https
        "https://8.8.8.8:notaport/push",
    ],
)
def test_production_refuses_endpoints(endpoint: str) -> None:
    with pytest.raises(InvalidInput):
        vet(endpoint, production=True)


def test_vet_answers_the_address_to_connect_to() -> None:
    assert vet("https://8.8.8.8/push/x", production=True) == ipaddress.ip_address("8.8.8.8")
    assert vet("http://127.0.0.1:8123/push", production=False) == ipaddress.ip_address("127.0.0.1")


@pytest.fixture
def stub():
    push = start_push_stub()
    yield push
    push.server.shutdown()


def test_the_session_connects_to_the_pinned_address_without_resolving_the_name(stub) -> None:
    """`.invalid` never resolves (RFC 6761): the request can only arrive by the pinned address."""
    port = stub.server.server_address[1]
    with PushSession() as http:
        http.adapter.pin("push.invalid", vet(stub.origin, production=False))
        answer = http.post(f"http://push.invalid:{port}/push/unknown", data=b"x", timeout=5)
    assert answer.status_code == 400  # the stub refuses an unknown subscription: it was reached
    assert stub.calls == [("POST", "/push/unknown", f"push.invalid:{port}")]


def test_the_session_refuses_a_name_that_was_not_vetted(stub) -> None:
    port = stub.server.server_address[1]
    with PushSession() as http:
        http.adapter.pin("127.0.0.1", ipaddress.ip_address("127.0.0.1"))
        with pytest.raises(NotVetted):
            http.post(f"http://localhost:{port}/push/x", data=b"x", timeout=5)
    assert stub.calls == []


def test_the_session_does_not_follow_redirects(stub) -> None:
    inside = start_push_stub()
    try:
        stub.script["/push/x"] = [307]
        stub.location = f"{inside.origin}/internal/admin"
        with PushSession() as http:
            http.adapter.pin("127.0.0.1", ipaddress.ip_address("127.0.0.1"))
            answer = http.post(f"{stub.origin}/push/x", data=b"x", timeout=5)
        assert answer.status_code == 307
        assert inside.calls == []
    finally:
        inside.server.shutdown()


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_tls_to_the_pinned_address_names_and_verifies_the_push_service(tmp_path: Path) -> None:
    """The certificate is for push.example.test only; the server listens on 127.0.0.1. The
    handshake sends the name (SNI) and the certificate is checked against it, not the IP."""
    cert, key = _certificate(tmp_path, "push.example.test")
    names: list[str | None] = []
    hosts: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _socket, name, _context: names.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hosts.append(self.headers.get("Host", ""))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        with PushSession() as http:
            http.verify = str(cert)
            http.adapter.pin("push.example.test", ipaddress.ip_address("127.0.0.1"))
            http.adapter.pin("other.example.test", ipaddress.ip_address("127.0.0.1"))
            answer = http.post(f"https://push.example.test:{port}/push/x", data=b"x", timeout=5)
            assert answer.status_code == 201
            assert names == ["push.example.test"] and hosts == [f"push.example.test:{port}"]
            with pytest.raises(requests.exceptions.SSLError):  # same address, a name the cert lacks
                http.post(f"https://other.example.test:{port}/push/x", data=b"x", timeout=5)
    finally:
        server.shutdown()
