"""Backups that restore: `python -m backend db backup|restore|check` (the CLI is a thin shell).

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the whole file in one step
inside one read transaction, so the copy is one consistent moment even while the app writes
(WAL: the writers do not wait for it). The copy is written beside the target and renamed into
place, so a half-written backup never carries the target's name.

PostgreSQL: `pg_dump -Fc` (one repeatable-read snapshot, writers do not wait) and
`pg_restore --clean --if-exists --no-owner --single-transaction` (all or nothing). The
client programs are taken from the server's major version under /usr/lib/postgresql/N/bin
(Debian's layout) when present, else from PATH; the command says which one it ran.

`check` answers "can the app serve this database?": migrations at head, row counts of the
main tables, foreign keys (SQLite: integrity_check and foreign_key_check; PostgreSQL: every
foreign key of the models exists and is validated, and no row points at nothing)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from backend.db.migrate import current_revisions, head_revisions

# What an operator wants to see counted after a restore, parents before children.
MAIN_TABLES = (
    "organisation",
    "user_account",
    "directory_service",
    "client",
    "screening",
    "consent",
    "referral",
    "referral_event",
    "sync_record",
    "notification",
    "audit_event",
)
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """Something the operator must fix; the message says what."""


@dataclass
class CheckReport:
    current: tuple[str, ...] = ()
    heads: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def is_sqlite(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "sqlite"


def _sqlite_path(database_url: str) -> Path:
    name = make_url(database_url).database
    if not name or name == ":memory:":
        raise BackupError("DATABASE_URL names no SQLite file")
    return Path(name)


# --- backup ---------------------------------------------------------------------------------


def backup(database_url: str, target: Path) -> str:
    """Writes a backup of the database to `target`; returns a line saying how."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)  # personal data: readable by the operator only
    try:
        if is_sqlite(database_url):
            how = _sqlite_backup(_sqlite_path(database_url), partial)
        else:
            how = _pg_dump(database_url, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return how


def _sqlite_backup(source_path: Path, target: Path) -> str:
    if not source_path.exists():
        raise BackupError(f"the SQLite database {source_path} does not exist")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # pages=-1: the whole file in one step, one read transaction
        # A single self-contained file (the app's WAL mode comes back when it opens it).
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()
    return f"SQLite online backup of {source_path}"


# --- restore --------------------------------------------------------------------------------


def restore(database_url: str, source: Path, *, force: bool = False) -> str:
    """Replaces the configured database's content with the backup `source`. Refuses a database
    that holds data unless `force`."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    with source.open("rb") as f:
        head = f.read(16)
    sqlite_target = is_sqlite(database_url)
    if sqlite_target and not head.startswith(SQLITE_MAGIC):
        raise BackupError(f"{source} is not a SQLite backup, and DATABASE_URL is a SQLite database")
    if not sqlite_target and not head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{source} is not a pg_dump -Fc archive, and DATABASE_URL is a PostgreSQL database")
    if not force:
        held = holds_data(database_url)
        if held:
            raise BackupError(
                f"the database holds data ({held}); restoring would replace it: "
                "add --force if that is what you want (stop the app first)"
            )
    if sqlite_target:
        return _sqlite_restore(source, _sqlite_path(database_url))
    return _pg_restore(database_url, source)


def holds_data(database_url: str) -> str:
    """'' when the database is empty or only migrated; else which main table has rows."""
    if is_sqlite(database_url) and not _sqlite_path(database_url).exists():
        return ""
    engine = _engine(database_url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            for table in MAIN_TABLES:
                if table in tables and connection.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first():  # noqa: S608
                    return f"{table} has rows"
    finally:
        engine.dispose()
    return ""


def _sqlite_restore(source_path: Path, target_path: Path) -> str:
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables:
            raise BackupError(f"{source_path} is a SQLite file but not a Passerelle database")
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(target_path, timeout=30)
        try:
            source.backup(target)  # one write transaction: the target is replaced whole or not at all
        finally:
            target.close()
    finally:
        source.close()
    return f"restored {source_path} into {target_path} (SQLite backup API)"


# --- PostgreSQL client programs ---------------------------------------------------------------


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL for libpq (no driver suffix) without its password, which goes to PGPASSWORD so
    that it is not visible in the process list."""
    url: URL = make_url(database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def pg_program(name: str, database_url: str | None = None) -> str:
    """pg_dump/pg_restore: the server's major version from Debian's layout, else PATH."""
    candidates: list[Path] = []
    if database_url:
        major = _server_major(database_url)
        candidates.append(Path(f"/usr/lib/postgresql/{major}/bin/{name}"))
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))

    def version(path: Path) -> int:
        match = re.search(r"/postgresql/(\d+)/bin/", str(path))
        return int(match.group(1)) if match else 0

    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version, reverse=True)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(f"{name} not found: install the PostgreSQL client (Debian: postgresql-client)")


def _server_major(database_url: str) -> int:
    engine = _engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    finally:
        engine.dispose()


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()}")


def _pg_dump(database_url: str, target: Path) -> str:
    program = pg_program("pg_dump", database_url)
    uri, env = _libpq(database_url)
    _run([program, "--format=custom", "--no-password", f"--file={target}", f"--dbname={uri}"], env)
    return f"pg_dump -Fc ({program})"


def _pg_restore(database_url: str, source: Path) -> str:
    program = pg_program("pg_restore", database_url)
    uri, env = _libpq(database_url)
    _run(
        [
            program,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",  # all or nothing
            "--no-password",
            f"--dbname={uri}",
            str(source),
        ],
        env,
    )
    return f"pg_restore --clean --if-exists --no-owner ({program})"


# --- check ----------------------------------------------------------------------------------


def _engine(database_url: str) -> Engine:
    return create_engine(database_url)


def check(database_url: str, metadata: MetaData) -> CheckReport:
    """Migrations at head, row counts of the main tables, foreign keys (those `metadata`, every
    table of the app, declares: the caller passes backend.models.metadata; db sits below it)."""
    report = CheckReport()
    if is_sqlite(database_url) and not _sqlite_path(database_url).exists():
        report.problems.append(f"the SQLite database {_sqlite_path(database_url)} does not exist")
        return report
    report.heads = tuple(sorted(head_revisions()))
    engine = _engine(database_url)
    try:
        with engine.connect() as connection:
            report.current = tuple(sorted(current_revisions(connection)))
            if not report.current:
                report.problems.append("the database is not migrated: run `python -m backend db upgrade`")
                return report
            if report.current != report.heads:
                report.problems.append(
                    f"migrations not at head: database at {', '.join(report.current)}, "
                    f"code at {', '.join(report.heads)} (run `python -m backend db upgrade`)"
                )
            tables = set(inspect(connection).get_table_names())
            for table in MAIN_TABLES:
                if table not in tables:
                    report.problems.append(f"table {table} is missing")
                    continue
                report.counts[table] = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            if connection.dialect.name == "sqlite":
                report.problems += _sqlite_integrity(connection)
            else:
                report.problems += _pg_foreign_keys(connection, tables, metadata)
    finally:
        engine.dispose()
    return report


def _sqlite_integrity(connection) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    integrity = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        problems += [f"integrity_check: {line}" for line in integrity[:20]]
    orphans: dict[tuple[str, str], int] = {}
    for table, _rowid, parent, _fk in connection.exec_driver_sql("PRAGMA foreign_key_check"):
        orphans[(table, parent)] = orphans.get((table, parent), 0) + 1
    problems += [
        f"{count} row(s) of {table} point at a missing {parent}" for (table, parent), count in orphans.items()
    ]
    return problems


def _pg_foreign_keys(connection, tables: set[str], metadata: MetaData) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    present = {
        (row.child, row.parent, tuple(row.columns)): row.validated
        for row in connection.execute(
            text(
                "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent, "
                "c.convalidated AS validated, ARRAY(SELECT a.attname FROM unnest(c.conkey) k "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k "
                "ORDER BY a.attname) AS columns "
                "FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace"
            )
        )
    }
    for table in metadata.sorted_tables:
        if table.name not in tables:
            continue
        for fk in table.foreign_key_constraints:
            columns = tuple(sorted(fk.column_keys))
            parent = fk.referred_table.name
            validated = present.get((table.name, parent, columns))
            name = f"{table.name}({', '.join(columns)}) → {parent}"
            if validated is None:
                problems.append(f"foreign key {name} is missing")
            elif not validated:
                problems.append(f"foreign key {name} is NOT VALID: run ALTER TABLE … VALIDATE CONSTRAINT")
            else:
                continue
            # Not enforced: look for the rows it would refuse.
            pairs = list(zip(fk.column_keys, [element.column.name for element in fk.elements], strict=True))
            on = " AND ".join(f"p.{p} = c.{c}" for c, p in pairs)
            present_cols = " AND ".join(f"c.{c} IS NOT NULL" for c, _ in pairs)
            missing = f"NOT EXISTS (SELECT 1 FROM {parent} p WHERE {on})"  # noqa: S608
            query = f"SELECT count(*) FROM {table.name} c WHERE {present_cols} AND {missing}"  # noqa: S608
            orphans = connection.execute(text(query)).scalar_one()
            if orphans:
                problems.append(f"{orphans} row(s) of {table.name} point at a missing {parent}")
    return problems
