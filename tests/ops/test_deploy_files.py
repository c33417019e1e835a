"""The reference deployment in deploy/ (issue 18): the nginx site is checked with `nginx -t` and
then run in front of a real app server on loopback (TLS, headers, body limit, retries); the
systemd units and the example environment are checked against what the app really accepts.

nginx comes from Debian (`make nginx`); without it the nginx tests are skipped, saying so."""

from __future__ import annotations

import configparser
import datetime
import getpass
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from backend.settings import load_settings
from backend.sync.schema import MAX_RECORDS
from tests.api.test_sync import offer
from tests.support import PYTHON, ROOT, LiveServer, cli, csrf_from, free_port, login

DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "passerelle.conf"
UNITS = DEPLOY / "systemd"
ENV_EXAMPLE = DEPLOY / "passerelle.env.example"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HAVE_NGINX = Path(NGINX).exists()
needs_nginx = pytest.mark.skipif(
    not HAVE_NGINX, reason="nginx is not installed: `make nginx` (Debian's nginx-light)"
)
SERVER_NAME = "passerelle.example.ch"
MIB = 1024 * 1024


# --- nginx ------------------------------------------------------------------------------------


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost, made with `cryptography`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _replace(text: str, old: str, new: str) -> str:
    """Each rewrite must find its target: a changed site file fails here, not silently."""
    assert old in text, f"deploy/nginx/passerelle.conf no longer contains {old!r}"
    return text.replace(old, new)


@dataclass
class Proxy:
    directory: Path
    http_port: int
    https_port: int
    app_port: int
    dead_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def access_log(self) -> str:
        path = self.directory / "access.log"
        return path.read_text() if path.exists() else ""

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _write_config(directory: Path, app_port: int) -> Proxy:
    """The site as shipped, with its paths, addresses and ports moved to `directory` and loopback,
    wrapped in the smallest nginx.conf that runs it as the current user."""
    proxy = Proxy(directory, free_port(), free_port(), app_port, free_port())  # dead_port: nothing listens
    cert, key = _certificate(directory)
    site = SITE.read_text()
    site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.MULTILINE)  # loopback IPv4 only
    site = _replace(site, "listen 80;", f"listen 127.0.0.1:{proxy.http_port};")
    site = _replace(site, "listen 80 default_server;", f"listen 127.0.0.1:{proxy.http_port} default_server;")
    site = _replace(
        site, "listen 443 ssl default_server;", f"listen 127.0.0.1:{proxy.https_port} ssl default_server;"
    )
    site = _replace(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{proxy.https_port} ssl http2;")
    site = _replace(site, f"server_name {SERVER_NAME};", "server_name localhost;")
    site = _replace(site, f"/etc/letsencrypt/live/{SERVER_NAME}/fullchain.pem", str(cert))
    site = _replace(site, f"/etc/letsencrypt/live/{SERVER_NAME}/privkey.pem", str(key))
    site = _replace(site, "/var/log/nginx/passerelle.access.log", str(directory / "access.log"))
    site = _replace(site, "/var/log/nginx/passerelle.error.log", str(directory / "error.log"))
    # app1 is the live test server; app2 a port where nothing listens (a machine being restarted).
    site = _replace(site, "server 10.0.0.21:8000", f"server 127.0.0.1:{app_port}")
    # Never marked failed, so every test meets it in the round robin, whatever ran before.
    site = _replace(
        site,
        "server 10.0.0.22:8000 max_fails=3 fail_timeout=10s;",
        f"server 127.0.0.1:{proxy.dead_port} max_fails=0;",
    )
    directives = "\n".join(line.split("#")[0] for line in site.splitlines())
    assert "/etc/" not in directives and "/var/" not in directives, "an unrewritten path in the site"
    (directory / "site.conf").write_text(site)
    temp = directory / "temp"
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""  # else nginx runs as `nobody`
    (directory / "nginx.conf").write_text(
        f"""
{user}
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log info;
events {{ worker_connections 128; }}
http {{
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    access_log off;
    include {directory}/site.conf;
}}
"""
    )
    temp.mkdir(exist_ok=True)
    return proxy


def _nginx(proxy: Proxy, *args: str) -> list[str]:
    return [NGINX, "-p", str(proxy.directory), "-e", str(proxy.directory / "error.log"),
            "-c", str(proxy.directory / "nginx.conf"), *args]  # fmt: skip


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def app(factories, tmp_path_factory) -> Iterator[LiveServer]:
    """A production-mode app server that believes forwarded headers from loopback (nginx)."""
    port = free_port()
    live = LiveServer(
        factories["sqlite"].new(),
        tmp_path_factory.mktemp("var"),
        port=port,
        PASSERELLE_ENV="production",
        SECRET_KEY=uuid.uuid4().hex + uuid.uuid4().hex,
        BASE_URL="https://passerelle.invalid",  # not the proxy's address: the scheme must come from nginx
        TRUSTED_PROXIES="127.0.0.1",
        WORKER_IN_PROCESS="0",
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def proxy(app: LiveServer, tmp_path_factory) -> Iterator[Proxy]:
    if not HAVE_NGINX:
        pytest.skip("nginx is not installed: `make nginx` (Debian's nginx-light)")
    proxy = _write_config(tmp_path_factory.mktemp("nginx"), app.port)
    proxy.process = subprocess.Popen(_nginx(proxy), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 5
        while not (_listening(proxy.https_port) and _listening(proxy.http_port)):
            if proxy.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start:\n{proxy.error_log()}")
            time.sleep(0.05)
        yield proxy
    finally:
        proxy.process.send_signal(signal.SIGTERM)  # fast shutdown of master and worker
        try:
            proxy.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proxy.process.kill()
            proxy.process.wait()


@pytest.fixture
def https(proxy: Proxy) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy.url, verify=False, timeout=20) as client:
        yield client


@needs_nginx
def test_nginx_accepts_the_site(tmp_path):
    proxy = _write_config(tmp_path, free_port())
    result = subprocess.run(_nginx(proxy, "-t"), capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


def _once(response: httpx.Response, name: str) -> str:
    values = response.headers.get_list(name)
    assert len(values) == 1, f"{name}: {values} on {response.request.method} {response.url}"
    return values[0]


def test_pages_keep_the_apps_security_headers_exactly_once(app, https):
    direct = httpx.get(app.url + "/login")
    through = https.get("/login")
    assert through.status_code == 200 and through.http_version == "HTTP/1.1"
    for name in (
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "x-frame-options",
        "cross-origin-opener-policy",
        "permissions-policy",
        "strict-transport-security",  # the app's, in production: nginx must not add a second
        "cache-control",
    ):
        assert _once(through, name) == _once(direct, name), name
    assert "default-src 'self'" in through.headers["content-security-policy"]


def test_the_request_id_is_the_clients_or_nginxs_and_reaches_the_app_log(app, https, proxy):
    sent = "nginx-test-" + uuid.uuid4().hex
    answer = https.get("/healthz", headers={"X-Request-ID": sent})
    assert answer.status_code == 200 and _once(answer, "x-request-id") == sent
    made = _once(https.get("/healthz", headers={"X-Request-ID": "not a token!"}), "x-request-id")
    assert re.fullmatch(r"[0-9a-f]{32}", made), made  # nginx's $request_id, since the client's was unusable
    deadline = time.monotonic() + 3
    while not (sent in app.log() and made in app.log()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sent in app.log() and made in app.log(), "the app logged other request ids than nginx's"
    assert f"rid={sent}" in proxy.access_log() and f"rid={made}" in proxy.access_log()


def test_the_service_worker_is_revalidated_and_hashed_assets_are_immutable(https):
    worker = https.get("/sw.js")
    assert worker.status_code == 200 and _once(worker, "cache-control") == "no-cache"
    page = https.get("/login").text
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page)
    assert css, "the stylesheet's URL is not content-hashed: do not let nginx cache it for a year"
    asset = https.get(css.group(1))
    assert asset.status_code == 200
    directives = {d.strip() for d in _once(asset, "cache-control").split(",")}
    assert directives == {"public", "max-age=31536000", "immutable"}


def test_plain_http_redirects_to_https(proxy):
    answer = httpx.get(f"http://localhost:{proxy.http_port}/clients?page=2", follow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["location"] == "https://localhost/clients?page=2"
    unknown = f"http://127.0.0.1:{proxy.http_port}/"  # a name that is not the site's: no answer at all
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(unknown, headers={"Host": "attacker.example"})


def test_metrics_are_not_reachable_from_outside(https):
    answer = https.get("/metrics", headers={"Authorization": "Bearer " + "t" * 32})
    assert answer.status_code == 404 and "nginx" in answer.text  # nginx's own page: never proxied
    assert "content-security-policy" not in answer.headers


def test_the_app_sees_https_and_the_public_host(app, https, proxy):
    """X-Forwarded-Proto and Host as nginx sets them, believed because TRUSTED_PROXIES names it:
    the FHIR CapabilityStatement's address is built from the request."""
    through = https.get("/fhir/metadata").json()["implementation"]["url"]
    assert through == f"https://localhost:{proxy.https_port}/fhir"
    direct = httpx.get(app.url + "/fhir/metadata").json()["implementation"]["url"]
    assert direct == f"http://127.0.0.1:{app.port}/fhir"


def test_a_server_that_is_down_is_skipped_even_for_posts(https, proxy):
    """app2 refuses connections (stopped for a rolling restart): nginx tries app1 instead, for a
    POST too, since nothing was sent; the access log shows both tries."""
    for _ in range(4):
        answer = https.post("/check/de", data={})
        assert answer.status_code < 500, answer.text[:200]
        assert "content-security-policy" in answer.headers
    retried = [
        line for line in proxy.access_log().splitlines()
        if '"POST /check/de"' in line and f"127.0.0.1:{proxy.dead_port}, 127.0.0.1:{proxy.app_port}" in line
    ]  # fmt: skip
    assert retried, proxy.access_log()[-2000:]


def _batch(app: LiveServer, visits: int) -> list[dict]:
    """`visits` full offline visits as a tablet sends them (client, screening, referral with a
    note and strengths written on the tablet)."""
    version = httpx.get(app.url + "/api/v1/instruments/social-situation-short").json()["version"]
    service = offer(app)
    note = "Wünscht Besuch am Vormittag; Tochter informiert, kommt dienstags. " * 6  # ~400 characters
    records: list[dict] = []
    for n in range(visits):
        client_id, screening_id, referral_id = (str(uuid.uuid4()) for _ in range(3))
        records += [
            {"id": client_id, "type": "client", "created_at": "2026-11-28T09:12:00Z",
             "data": {"display_name": f"M. Muster {n}", "birth_year": 1939, "municipality": 902,
                      "language": "de", "phone": "079 123 45 67"}},
            {"id": screening_id, "type": "screening", "created_at": "2026-11-28T09:30:00Z",
             "data": {"client_id": client_id, "instrument_id": "social-situation-short",
                      "instrument_version": version, "strengths": note, "status": "completed",
                      "answers": {"ucla-companionship": "often", "ucla-left-out": "often",
                                  "ucla-isolated": "often"}}},
            {"id": referral_id, "type": "referral", "created_at": "2026-11-28T09:35:00Z",
             "data": {"screening_id": screening_id, "service_id": service, "need_domain": "loneliness",
                      "note": note, "accept_warnings": True,
                      "consent": {"confirmed": True, "given_by": "client", "method": "verbal",
                                  "scope": ["contact"]}}},
        ]  # fmt: skip
    return records


def test_a_full_sync_batch_passes_and_a_bigger_body_is_refused_by_nginx(app, https, proxy):
    logged_in = login(https, "pflege")
    assert logged_in.status_code == 303
    session_cookie = [
        c for c in logged_in.headers.get_list("set-cookie") if c.startswith("passerelle_session=")
    ]
    assert session_cookie and "secure" in session_cookie[0].lower()  # sent back over https only
    token = csrf_from(https.get("/clients").text)
    headers = {"X-CSRF-Token": token, "Accept": "application/json"}
    records = _batch(app, MAX_RECORDS // 3)[: MAX_RECORDS - 2]
    body = json.dumps({"records": records}).encode()
    print(f"a sync batch of {len(records)} records (full visits with notes): {len(body) / MIB:.2f} MiB")
    assert len(body) < 2 * MIB  # the app's own limit; nginx's (3m) is above it
    started = time.monotonic()
    answer = https.post("/api/v1/sync", content=body, headers={**headers, "Content-Type": "application/json"})
    print(f"answered in {time.monotonic() - started:.1f} s")
    assert answer.status_code == 200, answer.text[:300]
    assert {r["status"] for r in answer.json()["results"]} == {"accepted"}

    # Just under the app's limit: still the app's answer (its 4xx JSON), not nginx's page.
    near = https.post(
        "/api/v1/sync",
        content=b" " * (2 * MIB - 1024),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert near.status_code != 413 and "content-security-policy" in near.headers, near.text[:200]

    too_big = https.post("/api/v1/sync", content=b"x" * (3 * MIB + 1), headers=headers)
    assert too_big.status_code == 413 and "nginx" in too_big.text
    assert "content-security-policy" not in too_big.headers  # nginx's page: the app never saw it
    _once(too_big, "strict-transport-security")  # nginx adds HSTS to its own answers
    _once(too_big, "x-request-id")


# --- systemd units, the example environment, the Procfile ---------------------------------------


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys as systemd spells them
    parser.read_string((UNITS / name).read_text())
    return parser


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)\s*(s|sec|min)?", value.strip())
    assert match, f"unexpected time span {value!r}"
    return int(match.group(1)) * (60 if match.group(2) == "min" else 1)


def _options(command: str) -> set[str]:
    return set(re.findall(r"(?<!\S)(--[a-z][a-z-]*)", command))


def _help(command: str) -> str:
    return cli(command, "--help", env=dict(os.environ)).stdout


@pytest.mark.parametrize(
    ("unit", "command"), [("passerelle-web.service", "serve"), ("passerelle-worker.service", "worker")]
)
def test_units_stop_gracefully_and_use_options_the_cli_has(unit, command):
    service = _unit(unit)["Service"]
    assert service["EnvironmentFile"] == "/etc/passerelle/env"
    assert service["User"] == "passerelle" and service["WorkingDirectory"] == "/srv/passerelle"
    assert service["Restart"] == "on-failure" and service["KillSignal"] == "SIGTERM"
    default_shutdown = load_settings({}).shutdown_timeout
    assert _seconds(service["TimeoutStopSec"]) > default_shutdown
    assert _seconds(service["TimeoutStopSec"]) > int(_example()["SHUTDOWN_TIMEOUT"])
    for setting in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert service[setting] == "yes", setting
    assert (
        service["ProtectSystem"] == "strict" and service["ReadWritePaths"] == _example()["PASSERELLE_VAR_DIR"]
    )
    exec_start = service["ExecStart"]
    assert f" -m backend {command} " in exec_start
    used = _options(exec_start)
    assert used, exec_start
    known = _help(command)
    for option in used:
        assert re.search(rf"(?<!\S){option}\b", known), f"{unit}: `{command}` has no {option}"
    for variable in re.findall(r"\$\{(\w+)\}", exec_start):  # filled in by systemd from the env file
        assert variable in _example(), f"{unit} uses ${{{variable}}}, which the example env does not set"


def test_the_worker_unit_serves_its_metrics_and_the_migration_runs_before_web():
    assert (
        "--metrics-port ${WORKER_METRICS_PORT}" in _unit("passerelle-worker.service")["Service"]["ExecStart"]
    )
    web = _unit("passerelle-web.service")["Unit"]
    assert "passerelle-migrate.service" in web["Requires"] and "passerelle-migrate.service" in web["After"]
    migrate = _unit("passerelle-migrate.service")["Service"]
    assert migrate["Type"] == "oneshot" and "-m backend db upgrade" in migrate["ExecStart"]


def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units were only parsed")
    for unit in UNITS.glob("*.service"):  # the interpreter as installed here, not /srv/passerelle's
        (tmp_path / unit.name).write_text(
            unit.read_text().replace("/srv/passerelle/.venv/bin/python", PYTHON)
        )
    names = sorted(str(p) for p in tmp_path.glob("*.service"))
    assert len(names) == 3
    result = subprocess.run([analyze, "verify", *names], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "passerelle" not in result.stderr, result.stderr  # no warning about our units either


def _example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def test_the_example_environment_is_production_and_documented():
    example = _example()
    readme = (ROOT / "README.md").read_text()
    for name in example:
        if name != "MIGRATE_DATABASE_URL":  # the migrate unit's own, explained in the example
            assert f"`{name}`" in readme, f"{name} is not a documented setting"
    settings = load_settings(example)  # every value well-formed
    assert settings.production and settings.base_url.startswith("https://")
    assert (
        settings.trusted_proxies
        and not settings.worker_in_process
        and settings.database_pooler == "transaction"
    )


def test_the_deploy_check_refuses_only_the_examples_placeholders(tmp_path):
    env = {
        **os.environ,
        **_example(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
        "WEB_CONCURRENCY": "1",
    }
    result = cli("check", "--deploy", env=env, check=False)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("problem:")]
    assert result.returncode != 0
    assert any("SECRET_KEY looks like a placeholder" in p for p in problems), problems
    for fine in ("TRUSTED_PROXIES", "BASE_URL", "VAPID_SUBJECT", "PASSERELLE_ENV", "METRICS_TOKEN"):
        assert not any(fine in p for p in problems), problems


def _procfile(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.partition(":")[2].strip()
    raise AssertionError(f"no {name} in the Procfile")


def test_the_procfile_worker_serves_metrics_when_a_token_is_set():
    line = _procfile("worker")
    assert line.startswith("python -m backend worker")

    def expanded(**env: str) -> list[str]:
        shell = subprocess.run(["sh", "-c", f"set -- {line}; printf '%s\\n' \"$@\""], env={"PATH": os.environ["PATH"], **env},
                               capture_output=True, text=True, check=True)  # fmt: skip
        return shell.stdout.split()

    assert "--metrics-port" not in expanded()  # no token: the worker would refuse to start with the port
    with_token = expanded(METRICS_TOKEN="t" * 32)
    assert with_token[with_token.index("--metrics-port") + 1] == "9102"
    assert expanded(METRICS_TOKEN="t" * 32, WORKER_METRICS_PORT="9200")[-1] == "9200"
    known = _help("worker")
    assert all(option in known for option in _options(" ".join(with_token)))
