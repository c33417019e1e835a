"""`python -m backend …`: the operator's commands. Each has --help."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, ParamSpec, TypeVar

import click

from backend.accounts.roles import Role
from backend.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

P = ParamSpec("P")
R = TypeVar("R")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def _engine() -> Engine:
    import backend.models  # noqa: F401 - every table known, so foreign keys resolve
    from backend.capabilities import wire
    from backend.db.engine import engine_from

    wire()  # the event subscribers, for the commands that run services (demo seed, worker)

    return engine_from(_settings())


def _fail_on_domain_error(func: Callable[P, R]) -> Callable[P, R]:
    """Domain errors are messages for the operator, not tracebacks."""
    import functools

    from backend.errors import DomainError
    from backend.i18n import translate

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DomainError as error:
            raise click.ClickException(translate("en", error.message, **error.params)) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Passerelle: social prescribing for the canton of Bern."""


@main.command()
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=8000, type=int, show_default=True)
@click.option("--workers", default=1, type=int, show_default=True, help="Web processes.")
@click.option("--reload", is_flag=True, help="Restart on changes to code and templates (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the web app with uvicorn."""
    import logging

    import uvicorn

    from backend.system.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_format)
    logging.getLogger("passerelle").info("Passerelle (%s) on http://%s:%s", settings.env, host, port)
    if not reload:
        from backend.system.metrics import share_between_processes

        share_between_processes(workers)  # one /metrics for all processes behind the port
    uvicorn.run(
        "backend.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        reload_includes=["*.py", "*.html", "*.js", "*.css"] if reload else None,
        # X-Forwarded-For only from the proxies named in TRUSTED_PROXIES (default: nobody), or
        # anyone could rotate the header to escape the per-address rate limits.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        server_header=False,
        access_log=False,  # uvicorn's would carry raw paths and query strings: see system/logs.py
        log_config=None,  # logging as configure_logging set it (LOG_FORMAT), in every process
        # SIGTERM: stop accepting, let requests in flight (a sync batch) finish for this long.
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )


@main.command()
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--interval", default=2.0, type=float, show_default=True, help="Seconds between outbox rounds.")
@click.option(
    "--metrics-port",
    envvar="WORKER_METRICS_PORT",
    type=int,
    default=None,
    help="Serve this worker's /metrics on this port (needs METRICS_TOKEN).",
)
@click.option("--metrics-host", envvar="WORKER_METRICS_HOST", default="127.0.0.1", show_default=True)
def worker(once: bool, interval: float, metrics_port: int | None, metrics_host: str) -> None:
    """Run background jobs: push notifications from the outbox every few seconds,
    housekeeping and overdue reminders every minute."""
    from backend.jobs import one_round, run_forever
    from backend.system.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_format)
    engine = _engine()
    if once:
        click.echo(f"worker: {one_round(engine, settings, with_housekeeping=True)}")
        return
    if metrics_port:
        from backend.system.metrics import serve_scrapes

        if not settings.metrics_token:
            raise click.ClickException("--metrics-port needs METRICS_TOKEN (scrapes send it as bearer token)")
        serve_scrapes(metrics_host, metrics_port, settings.metrics_token, engine)
    run_forever(engine, settings, push_every=interval)


@main.command()
@click.option("--deploy", is_flag=True, help="Also check the production settings and data.")
def check(deploy: bool) -> None:
    """Check the database (reachable, migrations at head); with --deploy also the production
    settings (secret, https, push contact, proxies, processes) and that no demo data is present.
    Exits non-zero with one line per problem."""
    import os

    from backend.system.deploy_check import database_problems, settings_problems

    environ = dict(os.environ)
    problems = (settings_problems(environ) if deploy else []) + database_problems(environ, deploy=deploy)
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s); see above")
    click.echo("OK: ready for production" if deploy else "OK: the database is reachable and at head")


@main.group()
def vapid() -> None:
    """Web Push keys."""


@vapid.command("init")
def vapid_init() -> None:
    """Create the VAPID key pair (kept where VAPID_KEY_FILE says, outside the repository)."""
    from backend.push import vapid as keys

    settings = _settings()
    made = keys.init(settings.vapid_key_file)
    signer = keys.load(settings.vapid_key_file)
    assert signer is not None
    click.echo(("created " if made else "kept existing ") + str(settings.vapid_key_file))
    click.echo(f"public key: {keys.public_key(signer)}")


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply all migrations (creates the SQLite file when needed)."""
    from backend.db.migrate import upgrade as run_upgrade

    run_upgrade(_settings().database_url)
    click.echo("database is up to date")


@db.command()
@click.argument("message")
def revision(message: str) -> None:
    """Write a new migration from the difference between models and database."""
    from backend.db.migrate import revision as make_revision

    make_revision(_settings().database_url, message)


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(file: Path) -> None:
    """Write a consistent backup to FILE while the app runs (SQLite: the online backup API;
    PostgreSQL: pg_dump -Fc)."""
    from backend.db.backup import BackupError, backup

    try:
        how = backup(_settings().database_url, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written to {file} ({how}, {file.stat().st_size} bytes)")


@db.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data.")
def db_restore(file: Path, force: bool) -> None:
    """Restore FILE (made by `db backup`) into the configured database. Stop the app first;
    a database that holds data is replaced only with --force. Then run `db check`."""
    from backend.db.backup import BackupError, restore

    try:
        how = restore(_settings().database_url, file, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(how)


@db.command("check")
def db_check() -> None:
    """Can the app serve this database? Migrations at head, row counts of the main tables,
    foreign keys (and SQLite's integrity check). Exits non-zero on any problem."""
    from backend.db.backup import check
    from backend.models import metadata

    report = check(_settings().database_url, metadata)
    if report.current:
        click.echo(f"migrations: {', '.join(report.current)} (head: {', '.join(report.heads)})")
    for table, count in report.counts.items():
        click.echo(f"  {table:<18} {count:>9}")
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    if not report.ok:
        raise click.ClickException(f"db check found {len(report.problems)} problem(s)")
    click.echo("database ok")


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command()
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
def seed(if_empty: bool) -> None:
    """Create the demo organisations and users (never in production)."""
    from backend.demo.seed import DEMO_PASSWORD, demo_logins, seed_demo

    settings = _settings()
    if settings.production:
        raise click.ClickException("demo seed refuses to run in production (PASSERELLE_ENV=production)")
    engine = _engine()
    if not seed_demo(engine, only_if_empty=if_empty):
        click.echo("database has users already; no demo data added")
    logins = demo_logins(engine)
    if logins:
        click.echo(f"demo logins (password {DEMO_PASSWORD!r}):")
        for username, description in logins:
            click.echo(f"  {username:<14} {description}")


@main.group()
def users() -> None:
    """Accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--organisation", help="Name or id (required for nurse, coordinator and org_staff).")
@click.option("--name", "display_name", help="Display name (default: the username).")
@click.option("--language", type=click.Choice(["de", "fr"]))
@_fail_on_domain_error
def create_user(
    username: str, role: str, organisation: str | None, display_name: str | None, language: str | None
) -> None:
    """Create a user; the password is read from a prompt, or from stdin when piped."""
    from backend.accounts import service
    from backend.db.engine import session_scope

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with session_scope(_engine()) as session:
        org = service.find_organisation(session, organisation) if organisation else None
        user = service.create_user(session, username, password, role, display_name, org, language)
        click.echo(f"created {user.username} ({user.role})")


@users.command("unlock")
@click.argument("username")
@_fail_on_domain_error
def unlock_user(username: str) -> None:
    """Lift a lockout after failed logins (someone guessed at this username)."""
    from backend.accounts import service
    from backend.db.engine import session_scope

    with session_scope(_engine()) as session:
        user = service.find_user(session, username)
        service.unlock(session, _settings().secret_key, user.username)
        click.echo(f"{user.username} may log in again")


@users.command("list")
def list_users() -> None:
    """List users with their role and organisation."""
    from sqlmodel import select

    from backend.accounts.models import Organisation, User
    from backend.db.engine import session_scope

    with session_scope(_engine()) as session:
        orgs = {o.id: o.name for o in session.exec(select(Organisation)).all()}
        for user in session.exec(select(User).order_by(User.username)).all():
            click.echo(f"{user.username:<16} {user.role:<12} {orgs.get(user.organisation_id, '-')}")


@main.group()
def organisations() -> None:
    """Organisations."""


@organisations.command("create")
@click.argument("name")
@click.option(
    "--type",
    "org_type",
    required=True,
    type=click.Choice(["home_care", "support", "coordination", "administration"]),
)
@click.option("--district", help="District code (BM, BB, EM, FN, IO, JB, OA, OS, SL, TH).")
@click.option("--language", default="de", type=click.Choice(["de", "fr"]), show_default=True)
@_fail_on_domain_error
def create_organisation(name: str, org_type: str, district: str | None, language: str) -> None:
    """Create an organisation."""
    from backend.accounts import service
    from backend.db.engine import session_scope

    with session_scope(_engine()) as session:
        org = service.create_organisation(session, name, org_type, district, language)
        click.echo(f"created organisation {org.id}: {org.name}")


@organisations.command("follow-up-weeks")
@click.argument("organisation")
@click.argument("weeks", type=click.IntRange(1, 52))
@_fail_on_domain_error
def follow_up_weeks(organisation: str, weeks: int) -> None:
    """Set how many weeks after a screening's last referral closed its follow-up falls due
    (default 8; issue 19). ORGANISATION is a name or an id."""
    from backend.accounts import service
    from backend.db.engine import session_scope

    with session_scope(_engine()) as session:
        org = service.find_organisation(session, organisation)
        org.follow_up_weeks = weeks
        click.echo(f"{org.name}: follow-ups due {weeks} weeks after the last referral closed")


@main.group()
def tokens() -> None:
    """Personal API tokens (Authorization: Bearer …)."""


@tokens.command("create")
@click.option("--user", "username", required=True)
@click.option("--name", default="script", show_default=True, help="What the token is for.")
@_fail_on_domain_error
def create_token(username: str, name: str) -> None:
    """Print a new token; it is shown once and stored only as a hash."""
    from backend.accounts import service
    from backend.db.engine import session_scope

    with session_scope(_engine()) as session:
        user = service.find_user(session, username)
        token, secret = service.create_token(session, user, name)
    click.echo(secret)
    hint = f"python -m backend tokens revoke {token.id}"
    click.echo(f"(token {token.id} for {username}; revoke with: {hint})", err=True)


@tokens.command("list")
@click.option("--user", "username", required=True)
@_fail_on_domain_error
def list_tokens(username: str) -> None:
    """List a user's tokens (prefix only)."""
    from backend.accounts import service
    from backend.db.engine import session_scope

    with session_scope(_engine()) as session:
        for token in service.list_tokens(session, service.find_user(session, username)):
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            click.echo(f"{token.id:>4}  {token.prefix}…  {token.name:<20} {state}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@_fail_on_domain_error
def revoke_token(token_id: int) -> None:
    """Revoke a token at once."""
    from backend.accounts import service
    from backend.db.engine import session_scope

    with session_scope(_engine()) as session:
        service.revoke_token(session, token_id)
    click.echo(f"token {token_id} revoked")


@main.group()
def directory() -> None:
    """Support-offer directory (Open Referral HSDS 3)."""


@directory.command("export")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout).")
def directory_export(output: str | None) -> None:
    """Write every service as a JSON array of compiled HSDS services."""
    import json

    from backend.db.engine import session_scope
    from backend.directory.importer import export_services

    with session_scope(_engine()) as session:
        services = export_services(session)
    text = json.dumps(services, ensure_ascii=False, indent=2)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        click.echo(f"{len(services)} services written to {output}", err=True)
    else:
        click.echo(text)


@directory.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--partial", is_flag=True, help="Import the valid services even when others have problems.")
def directory_import(file: IO[bytes], partial: bool) -> None:
    """Import HSDS 3 JSON; same ids update, nothing is duplicated. Validates first: a file with
    problems changes nothing unless --partial."""
    from backend.db.engine import session_scope
    from backend.directory.importer import import_services, read_documents
    from backend.i18n import translate

    documents, problems = read_documents(file.read())
    with session_scope(_engine()) as session:
        report = import_services(session, documents, partial=partial) if not problems else None
    if report is not None:  # there were no problems reading the file
        problems = report.problems
    for problem in problems:
        message = translate("en", problem.message) if problem.translatable else problem.message
        click.echo(f"{problem.object_id}  {problem.field}: {message}", err=True)
    if report is None or not report.applied:
        raise click.ClickException(
            f"{len(problems)} problem(s); nothing imported (use --partial to import the rest)"
        )
    click.echo(f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}")


@directory.command("link")
@click.argument("directory_organization")
@click.option("--organisation", required=True, help="Name or id of the Passerelle organisation.")
@_fail_on_domain_error
def directory_link(directory_organization: str, organisation: str) -> None:
    """Let an organisation's staff keep a directory organisation's offers (and, later, receive
    its referrals). DIRECTORY_ORGANIZATION is its HSDS id or exact name."""
    from sqlmodel import select

    from backend.accounts import service
    from backend.db.engine import session_scope
    from backend.directory.models import DirectoryOrganization

    with session_scope(_engine()) as session:
        account = service.find_organisation(session, organisation)
        found = (
            session.get(DirectoryOrganization, directory_organization)
            or session.exec(
                select(DirectoryOrganization).where(DirectoryOrganization.name == directory_organization)
            ).first()
        )
        if found is None:
            raise click.ClickException(f"no directory organization {directory_organization!r}")
        found.organisation_id = account.id
        click.echo(f"{account.name} now keeps the offers of {found.name}")


@directory.command("generate")
@click.option("--count", default=10_000, show_default=True, type=int)
def directory_generate(count: int) -> None:
    """Add synthetic offers for benchmarks (never in production)."""
    from backend.db.engine import session_scope
    from backend.directory.demo.load import generate_directory

    if _settings().production:
        raise click.ClickException("directory generate refuses to run in production")
    with session_scope(_engine()) as session:
        generate_directory(session, count)
    click.echo(f"{count} synthetic services added")


@main.group()
def fhir() -> None:
    """FHIR R4 exchange (Gravity SDOH Clinical Care IG)."""


@fhir.command("export")
@click.option("--referral", "referral_id", required=True, help="The referral's id.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout).")
@_fail_on_domain_error
def fhir_export(referral_id: str, out: str | None) -> None:
    """Write one referral as a FHIR document Bundle, as the receiving organisation sees it
    (only what the consent shares). The export is written to the audit log."""
    import json

    from backend.db.engine import session_scope
    from backend.fhir.export import referral_document

    settings = _settings()
    with session_scope(_engine()) as session:
        bundle = referral_document(session, referral_id, settings.base_url + "/fhir")
    text = json.dumps(bundle, ensure_ascii=False, indent=2)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        click.echo(f"referral {referral_id} written to {out}", err=True)
    else:
        click.echo(text)
