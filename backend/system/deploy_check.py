"""`python -m backend check [--deploy]`: what would make this configuration unsafe or broken in
production, all at once, each with what to set. Reads the environment as the app does, but
collects problems where load_settings stops at the first one."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend.db.engine import engine_from
from backend.db.migrate import current_revisions, head_revisions
from backend.security.addresses import parse_trusted_proxies
from backend.settings import Settings, SettingsError, load_settings

MIN_SECRET = 32
MIN_DISTINCT = 16  # a random 32+ character key has far more; "s" * 48 has one
PLACEHOLDERS = ("change", "secret", "example", "default", "insecure", "passerelle", "xxxx", "1234")
PLACEHOLDER_SUBJECT = "mailto:admin@passerelle.invalid"  # settings' default
PROCFILE_WEB_PROCESSES = 2  # Procfile: --workers ${WEB_CONCURRENCY:-2}
NEW_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105 - a command
# Tables with an is_demo flag: demo seed marks what it adds (accounts, the demo directory).
DEMO_TABLES = ("user_account", "organisation", "directory_organization", "directory_service")


def _relaxed_settings(environ: Mapping[str, str]) -> Settings:
    """The settings as the app reads them, minus load_settings' production refusals (reported
    by deploy_problems itself, all together). May still raise SettingsError (a malformed value)."""
    return load_settings(
        {**environ, "PASSERELLE_ENV": "development", "SECRET_KEY": "-" * MIN_SECRET, "BASE_URL": "https://-"}
    )


def _secret_problems(secret: str) -> list[str]:
    if not secret:
        return [f"SECRET_KEY is missing: set it to a long random string ({NEW_SECRET})"]
    if len(secret) < MIN_SECRET:
        return [f"SECRET_KEY is too short ({len(secret)} characters): set at least {MIN_SECRET} random ones"]
    if len(set(secret)) < MIN_DISTINCT or any(word in secret.lower() for word in PLACEHOLDERS):
        return [f"SECRET_KEY looks like a placeholder, not a random string: set a new one ({NEW_SECRET})"]
    return []


def _proxy_problems(environ: Mapping[str, str]) -> list[str]:
    raw = environ.get("TRUSTED_PROXIES", "")
    try:
        proxies = parse_trusted_proxies(raw)
    except ValueError as error:
        return [f"TRUSTED_PROXIES is not valid: {error}"]
    problems = []
    if not proxies:
        # `serve` speaks plain HTTP; an https BASE_URL means a proxy terminates TLS in front.
        problems.append(
            "TRUSTED_PROXIES is not set, but production runs behind a reverse proxy (serve speaks plain "
            "HTTP, BASE_URL is https): set it to the proxy's address (e.g. 127.0.0.1), or every client "
            "shares the proxy's rate limits"
        )
    for entry in proxies:
        if ipaddress.ip_network(entry, strict=False).prefixlen == 0:
            problems.append(
                f"TRUSTED_PROXIES contains {entry}, which believes every client's X-Forwarded-For: "
                "name the proxies' own addresses"
            )
    if environ.get("FORWARDED_ALLOW_IPS"):
        problems.append(
            "FORWARDED_ALLOW_IPS is set, but `serve` hands uvicorn TRUSTED_PROXIES instead: "
            "put the proxies in TRUSTED_PROXIES and unset FORWARDED_ALLOW_IPS"
        )
    return problems


def _web_processes(environ: Mapping[str, str]) -> int | str:
    raw = environ.get("WEB_CONCURRENCY", "")
    if not raw:
        return PROCFILE_WEB_PROCESSES
    try:
        return int(raw)
    except ValueError:
        return f"WEB_CONCURRENCY must be a whole number, got {raw!r}"


def settings_problems(environ: Mapping[str, str]) -> list[str]:
    """Production settings that are unsafe, missing or inconsistent (no database access)."""
    problems = []
    env = environ.get("PASSERELLE_ENV", "development")
    if env != "production":
        problems.append(
            f"PASSERELLE_ENV is {env!r} (debug: a generated secret, cookies without Secure, no HSTS, "
            "demo seed allowed): set PASSERELLE_ENV=production"
        )
    problems += _secret_problems(environ.get("SECRET_KEY", ""))
    base_url = environ.get("BASE_URL", "")
    if not base_url.startswith("https://"):
        shown = repr(base_url) if base_url else "not set"
        problems.append(
            f"BASE_URL is {shown}: set it to the public https:// address (https://passerelle.example.ch)"
        )
    subject = environ.get("VAPID_SUBJECT", "")
    if not subject or subject == PLACEHOLDER_SUBJECT:
        problems.append(
            "VAPID_SUBJECT is not set (the placeholder would be sent to push services): "
            "set a real contact, mailto:ops@your-domain or an https: address"
        )
    elif not subject.startswith(("mailto:", "https:")):
        problems.append(f"VAPID_SUBJECT is {subject!r}: it must start with mailto: or https:")
    problems += _proxy_problems(environ)
    processes = _web_processes(environ)
    if isinstance(processes, str):
        problems.append(processes)
    try:
        settings = _relaxed_settings(environ)
    except SettingsError as error:
        if "TRUSTED_PROXIES" not in str(error):  # reported above
            problems.append(str(error))
        return problems
    if not settings.vapid_key_file.exists():
        problems.append(
            f"the Web Push key {settings.vapid_key_file} does not exist: run `python -m backend vapid init` "
            "(or set VAPID_KEY_FILE to the kept key) and back it up"
        )
    if settings.is_sqlite and isinstance(processes, int) and processes > 1:
        problems.append(
            f"SQLite with {processes} web processes (WEB_CONCURRENCY, the Procfile's default is 2): "
            "set DATABASE_URL to PostgreSQL, or WEB_CONCURRENCY=1"
        )
    return problems


def database_problems(environ: Mapping[str, str], *, deploy: bool) -> list[str]:
    """The database answers, is at the migrations' head and (for a deploy) holds no demo data."""
    try:
        settings = _relaxed_settings(environ)
    except SettingsError as error:
        return [str(error)]
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return [f"there is no database file at {url.database}: run `python -m backend db upgrade`"]
    engine = engine_from(settings)
    problems = []
    try:
        with engine.execution_options(sqlite_begin="DEFERRED").connect() as connection:
            current, heads = current_revisions(connection), head_revisions()
            if current != heads:
                at = ", ".join(sorted(current)) or "no migration"
                problems.append(
                    f"the database is not at the migrations' head (it is at {at}, the code needs "
                    f"{', '.join(sorted(heads))}): run `python -m backend db upgrade`"
                )
            elif deploy:
                # Table names from the constant above; no value in the SQL.
                counts = {table: f"SELECT count(*) FROM {table} WHERE is_demo" for table in DEMO_TABLES}  # noqa: S608
                demo = {table: connection.execute(text(sql)).scalar_one() for table, sql in counts.items()}
                if any(demo.values()):
                    found = ", ".join(f"{n} in {table}" for table, n in demo.items() if n)
                    problems.append(
                        f"the database holds demo data ({found}), with a published password: deploy on "
                        "a database that never ran `demo seed`"
                    )
    except Exception as error:
        # The class only: the message may carry the URL with its password.
        problems.append(
            f"the database cannot be reached ({type(error).__name__}): check DATABASE_URL and that "
            "the server is running"
        )
    finally:
        engine.dispose()
    return problems
