"""Test plumbing: fresh databases (SQLite file or a PostgreSQL database of its own) and the
real app started with the real CLI on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEMO_PASSWORD = "passerelle-demo"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(
    *args: str, env: dict[str, str], input: str | None = None, check: bool = True, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """`python -m backend …` of this tree, or of another release's tree given as cwd."""
    result = subprocess.run(
        [PYTHON, "-m", "backend", *args],
        cwd=cwd,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"backend {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def base_env(var_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PASSERELLE_", "DATABASE_URL", "SECRET_KEY"))
    }
    env.update(
        {
            "PASSERELLE_ENV": "development",
            "PASSERELLE_VAR_DIR": str(var_dir),
            "DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


@dataclass
class Database:
    """A migrated, demo-seeded database that belongs to one test server."""

    url: str
    drop: callable = field(default=lambda: None)  # type: ignore[valid-type]

    def engine(self):
        return create_engine(self.url)

    def execute(self, sql: str, **params: object) -> list:
        engine = self.engine()
        try:
            with engine.begin() as connection:
                result = connection.execute(text(sql), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()


class DatabaseFactory:
    """Migrates and seeds one template per backend, then hands out copies of it."""

    def __init__(self, backend: str, tmp: Path, postgres_url: str | None) -> None:
        self.backend = backend
        self.tmp = tmp
        self.postgres_url = postgres_url
        self.template: str | None = None
        self.created: list[str] = []

    def _admin_engine(self):
        return create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")

    def _pg_url(self, name: str) -> str:
        return make_url(self.postgres_url).set(database=name).render_as_string(hide_password=False)

    def _prepare(self, url: str) -> None:
        env = base_env(self.tmp / "cli-var", url)
        cli("db", "upgrade", env=env)
        cli("demo", "seed", env=env)

    def new(self) -> Database:
        if self.backend == "sqlite":
            template = self.tmp / "template.sqlite3"
            if self.template is None:
                self._prepare(f"sqlite:///{template}")
                self.template = str(template)
            target = self.tmp / f"db-{uuid.uuid4().hex[:8]}.sqlite3"
            shutil.copy(template, target)
            return Database(f"sqlite:///{target}")

        engine = self._admin_engine()
        try:
            if self.template is None:
                self.template = f"passerelle_tpl_{uuid.uuid4().hex[:8]}"
                with engine.connect() as c:
                    c.execute(text(f'CREATE DATABASE "{self.template}"'))
                self.created.append(self.template)
                self._prepare(self._pg_url(self.template))
            name = f"passerelle_t_{uuid.uuid4().hex[:8]}"
            with engine.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
            self.created.append(name)
        finally:
            engine.dispose()
        return Database(self._pg_url(name))

    def empty(self) -> Database:
        """PostgreSQL only: a database with nothing in it (a restore's target), dropped at the end."""
        name = f"passerelle_e_{uuid.uuid4().hex[:8]}"
        engine = self._admin_engine()
        try:
            with engine.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            self.created.append(name)
        finally:
            engine.dispose()
        return Database(self._pg_url(name))

    def cleanup(self) -> None:
        if self.backend != "postgresql" or not self.created:
            return
        engine = self._admin_engine()
        with engine.connect() as c:
            for name in reversed(self.created):
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


class LiveServer:
    """`python -m backend serve` on a free port, as `make run` starts it. `cwd` runs another
    release's code (an extracted tree) with the same Python. After `stop()` (or after the process
    ended by itself) `start()` starts it again on the same port."""

    def __init__(
        self, database: Database, var_dir: Path, port: int | None = None, *, cwd: Path = ROOT, **env: str
    ) -> None:
        self.database = database
        self.cwd = cwd
        self.var_dir = var_dir
        self.port = port or free_port()
        self.env = base_env(var_dir, database.url, **env)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = var_dir / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "backend", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def csrf_from(html: str) -> str:
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def login(client: httpx.Client, username: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
    )


ANSWERS = {
    "loneliness": {"ucla-companionship": "often", "ucla-left-out": "often", "ucla-isolated": "often"},
    "administration": {"admin": "piling-up"},
}


def offer_of(server: LiveServer, organization: str, need: str) -> str:
    """An accepting offer of a demo directory organisation for a need."""
    return server.database.execute(
        "SELECT s.id FROM directory_service s JOIN directory_organization o ON o.id = s.organization_id "
        "JOIN directory_service_tag t ON t.service_id = s.id WHERE o.name = :o "
        "AND t.kind = 'need_domain' AND t.value = :n AND s.capacity_status = 'accepting' ORDER BY s.id LIMIT 1",
        o=organization,
        n=need,
    )[0][0]


def api_referral(
    server: LiveServer,
    token: str,
    name: str = "R. S.",
    *,
    birth_year: int = 1940,
    municipality: int = 902,
    language: str = "de",
    phone: str | None = "079 765 43 21",
    need: str = "loneliness",
    organization: str = "Pro Senectute Kanton Bern",
) -> tuple[str, str]:
    """Through the JSON API as a nurse's token: a client, a completed screening and one referral
    (consent: contact and year of birth). Returns (client id, referral id)."""
    service_id = offer_of(server, organization, need)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, timeout=10, headers=headers) as http:
        client = http.post(
            "/api/v1/clients",
            json={
                "display_name": name,
                "birth_year": birth_year,
                "municipality": municipality,
                "language": language,
                "phone": phone,
            },
        ).json()
        instrument = http.get("/api/v1/instruments/social-situation-short").json()
        screening = http.post(
            "/api/v1/screenings",
            json={
                "client_id": client["id"],
                "instrument_id": instrument["id"],
                "instrument_version": instrument["version"],
                "answers": ANSWERS[need],
            },
        ).json()
        sent = http.post(
            "/api/v1/referrals",
            json={
                "screening_id": screening["id"],
                "offers": [{"service_id": service_id, "need_domain": need}],
                "consent": {"confirmed": True, "scope": ["contact", "birth_year"]},
                "accept_warnings": True,
            },
        )
        assert sent.status_code == 201, sent.text
        return client["id"], sent.json()["referrals"][0]["id"]
