"""One frozen settings object, read from the environment (12-factor).

Every variable is documented in the README; tests/unit/test_docs.py keeps the two in step.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from backend.security.addresses import parse_trusted_proxies

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production")


class SettingsError(RuntimeError):
    """The environment cannot be turned into settings; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    env: str
    """PASSERELLE_ENV: `development` (default) or `production`."""
    database_url: str
    """DATABASE_URL: SQLAlchemy URL; default the SQLite file var/passerelle.sqlite3."""
    secret_key: str
    """SECRET_KEY: signs CSRF tokens; generated once into var/ in development."""
    base_url: str
    """BASE_URL: the public address, used in links that leave the app (push, e-mail)."""
    var_dir: Path
    """PASSERELLE_VAR_DIR: where local state lives (SQLite file, dev secret, keys)."""
    session_idle_minutes: int
    """SESSION_IDLE_MINUTES: a session ends after this long without a request."""
    vapid_key_file: Path
    """VAPID_KEY_FILE: the Web Push private key (PEM), made by `vapid init`; default var/vapid_private.pem."""
    vapid_subject: str
    """VAPID_SUBJECT: contact for push services (`mailto:` or `https:`); has a placeholder default."""
    worker_in_process: bool
    """WORKER_IN_PROCESS: `1` runs the outbox worker inside the web process (default in development)."""
    database_lock_timeout: int = 15
    """DATABASE_LOCK_TIMEOUT: seconds a write waits for SQLite's lock before answering 503."""
    database_pooler: str = ""
    """DATABASE_POOLER: `transaction` when DATABASE_URL points at PgBouncer in transaction mode."""
    database_pool_size: int = 20
    """DATABASE_POOL_SIZE: PostgreSQL connections each process keeps open for reuse."""
    database_max_overflow: int = 10
    """DATABASE_MAX_OVERFLOW: connections a process may open beyond the pool, closed when returned."""
    database_replica_url: str = ""
    """DATABASE_REPLICA_URL: optional read-only standby for the directory's and reports' pages."""
    trusted_proxies: tuple[str, ...] = ()
    """TRUSTED_PROXIES: reverse proxies (addresses, networks) whose X-Forwarded-For is believed."""
    sync_credential_hours: int = 72
    """SYNC_CREDENTIAL_HOURS: how long a device's sync credential (issued at login) stays valid."""
    metrics_token: str = ""
    """METRICS_TOKEN: opens GET /metrics to `Authorization: Bearer <token>`; unset, /metrics answers 404."""
    log_format: str = "text"
    """LOG_FORMAT: `json` (default in production: one JSON object a line) or `text` (development)."""
    shutdown_timeout: int = 20
    """SHUTDOWN_TIMEOUT: seconds a stopping web process gives requests in flight to finish."""
    worker_stale_seconds: int = 30
    """WORKER_STALE_SECONDS: /readyz answers 503 when no worker round has been seen for this long."""

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _int(name: str, default: int, environ: dict[str, str]) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be greater than 0, got {value}")
    return value


def _dev_secret(var_dir: Path) -> str:
    """In development the secret is made once and kept, so sessions survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    env = environ.get("PASSERELLE_ENV", "development")
    if env not in ENVIRONMENTS:
        raise SettingsError(f"PASSERELLE_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    var_dir = Path(environ.get("PASSERELLE_VAR_DIR") or ROOT / "var").resolve()

    secret_key = environ.get("SECRET_KEY", "")
    if not secret_key:
        if env == "production":
            raise SettingsError(
                "SECRET_KEY is missing, and production has no default: "
                "set it to a long random string (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        secret_key = _dev_secret(var_dir)
    elif len(secret_key) < 32:
        raise SettingsError("SECRET_KEY is too short: use at least 32 characters")

    database_url = environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'passerelle.sqlite3'}"
    database_url = _postgres_url(database_url)

    base_url = environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    if env == "production" and not base_url.startswith("https://"):
        raise SettingsError(f"BASE_URL must start with https:// in production, got {base_url!r}")

    return Settings(
        env=env,
        database_url=database_url,
        secret_key=secret_key,
        base_url=base_url,
        var_dir=var_dir,
        session_idle_minutes=_int("SESSION_IDLE_MINUTES", 30, environ),
        vapid_key_file=Path(environ.get("VAPID_KEY_FILE") or var_dir / "vapid_private.pem").resolve(),
        vapid_subject=environ.get("VAPID_SUBJECT", "mailto:admin@passerelle.invalid"),
        worker_in_process=environ.get("WORKER_IN_PROCESS", "0" if env == "production" else "1") == "1",
        database_lock_timeout=_int("DATABASE_LOCK_TIMEOUT", 15, environ),
        database_pooler=_pooler(environ.get("DATABASE_POOLER", "")),
        database_pool_size=_int("DATABASE_POOL_SIZE", 20, environ),
        database_max_overflow=_int("DATABASE_MAX_OVERFLOW", 10, environ),
        database_replica_url=_postgres_url(environ.get("DATABASE_REPLICA_URL", "")),
        trusted_proxies=_proxies(environ.get("TRUSTED_PROXIES", "")),
        sync_credential_hours=_int("SYNC_CREDENTIAL_HOURS", 72, environ),
        metrics_token=_metrics_token(environ.get("METRICS_TOKEN", "")),
        log_format=_log_format(environ.get("LOG_FORMAT") or ("json" if env == "production" else "text")),
        shutdown_timeout=_int("SHUTDOWN_TIMEOUT", 20, environ),
        worker_stale_seconds=_int("WORKER_STALE_SECONDS", 30, environ),
    )


def _metrics_token(raw: str) -> str:
    token = raw.strip()
    if token and len(token) < 24:
        raise SettingsError("METRICS_TOKEN is too short: use at least 24 random characters")
    return token


def _proxies(raw: str) -> tuple[str, ...]:
    try:
        return parse_trusted_proxies(raw)
    except ValueError as error:
        raise SettingsError(f"TRUSTED_PROXIES: {error}") from None


def _postgres_url(url: str) -> str:
    """`postgres://` (the form many hosts hand out) and `postgresql://` use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _pooler(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("", "session", "transaction"):
        raise SettingsError(f"DATABASE_POOLER must be `transaction`, `session` or empty, got {raw!r}")
    return value


def _log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("json", "text"):
        raise SettingsError(f"LOG_FORMAT must be `json` or `text`, got {raw!r}")
    return value
