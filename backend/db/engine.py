"""Engine and session factory; the same code path for SQLite and PostgreSQL.

SQLite has one writer at a time. A unit of work that reads and then writes must therefore
take the write lock when it begins (`BEGIN IMMEDIATE`): a reader that tries to become a
writer after another connection committed is refused at once ("database is locked"), and
no amount of waiting helps it. So every unit of work may write unless it says it only reads
(`session_scope(engine, writes=False)`); writers queue for the lock for up to
`lock_timeout` seconds (SQLite's busy handler), and the one retry policy for "locked" is in
`_sqlite_begin`. A unit that still finds the database locked raises `DatabaseBusy` (503,
"try again in a moment") — never a 500. Keep write units short: no password hashing and no
network call inside one.

PostgreSQL may go away for a moment (a restart, a failover to the standby). The pool tests a
connection before lending it (`pool_pre_ping`) and opens a new one when the server is back;
a statement that loses its connection midway raises an error that `is_unavailable` recognises,
and the request answers 503 with Retry-After (system/errors.py): nothing half-written, since
its transaction never committed. Behind PgBouncer in transaction mode (`DATABASE_POOLER=transaction`)
psycopg must not prepare statements on the server: the next transaction may run on another
server connection, which does not know them. The app holds no other session state (no SET,
no advisory locks, no LISTEN), so transaction pooling is safe otherwise.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session

from backend.errors import DatabaseBusy

if TYPE_CHECKING:
    from backend.settings import Settings

LOCK_TIMEOUT = 15.0  # seconds a writer queues for SQLite's lock; the slowest write (a sync chunk) takes < 1 s
BEGIN_ATTEMPTS = 3  # SQLite's busy handler is not first-come first-served: a late retry evens it out


POOLERS = ("", "session", "transaction")  # DATABASE_POOLER: none, PgBouncer's pool modes


# A connection a process returns to a full pool is closed, and the next one is a new PostgreSQL
# backend (a fork, authentication, a cold catalogue cache). SQLAlchemy's default pool of 5 did
# that for most requests once more than 5 threads of a process worked at once: with 200 nurses
# 30 backends were never older than 5 s, and p95s were 1.0–1.2 s; with 20 kept, 0.4–0.7 s.
POOL_SIZE = 20
MAX_OVERFLOW = 10


def make_engine(
    database_url: str,
    *,
    lock_timeout: float = LOCK_TIMEOUT,
    pooler: str = "",
    pool_size: int = POOL_SIZE,
    max_overflow: int = MAX_OVERFLOW,
    **kwargs: Any,
) -> Engine:
    url = make_url(database_url)
    # Errors name the failing statement but never its values: those may be personal data.
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # The driver's own transaction handling would start transactions late and break
        # SAVEPOINTs; SQLAlchemy emits BEGIN itself instead (its documented SQLite recipe).
        connect_args = {"check_same_thread": False, "isolation_level": None, "timeout": lock_timeout}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(lock_timeout))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args = dict(kwargs.pop("connect_args", {}))
    if pooler == "transaction" and url.get_driver_name() == "psycopg":
        # psycopg 3 prepares a query on the server from its 5th use; through a transaction
        # pooler that statement would be missing (or another's) on the next server connection.
        connect_args["prepare_threshold"] = None
    # pool_pre_ping: a connection that died with a database restart is replaced, not lent out.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args=connect_args,
        **kwargs,
    )


def engine_from(settings: Settings, database_url: str | None = None) -> Engine:
    """The engine of DATABASE_URL (or of `database_url`: the replica's) with the settings' lock
    timeout, pooler and pool size: one place for the web app, the worker and the CLI."""
    return make_engine(
        database_url or settings.database_url,
        lock_timeout=settings.database_lock_timeout,
        pooler=settings.database_pooler,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )


def _sqlite_pragmas(lock_timeout: float) -> Callable[[Any, Any], None]:
    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers and the writer work at once; foreign keys are off by default in SQLite.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return pragmas


def is_locked(error: BaseException) -> bool:
    """SQLite's "database is locked" / "database table is locked" (SQLITE_BUSY, SQLITE_LOCKED)."""
    return isinstance(error, OperationalError) and "locked" in str(error.orig)


def is_unavailable(error: BaseException) -> bool:
    """The database server cannot be reached or dropped the connection (a restart, a failover,
    too many connections): a 503, not a bug. SQLite's "locked" is `is_locked` (DatabaseBusy)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and not is_locked(current):
            if current.connection_invalidated:
                return True
            # psycopg's OperationalError: connection refused or lost, server shutting down.
            server = type(current.orig).__module__.startswith("psycopg")
            if server and isinstance(current, OperationalError | InterfaceError):
                return True
        current = current.__cause__ or current.__context__
    return False


def _sqlite_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    for attempt in range(BEGIN_ATTEMPTS):
        try:
            connection.exec_driver_sql(f"BEGIN {mode}".strip())
            return
        except OperationalError as error:
            if not is_locked(error):
                raise
            if attempt + 1 == BEGIN_ATTEMPTS:
                raise DatabaseBusy() from error
            time.sleep(random.uniform(0.05, 0.25))


@contextmanager
def session_scope(engine: Engine, *, writes: bool = True) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error. On SQLite it holds the write
    lock from its first statement; `writes=False` for units that only read (they neither wait
    for nor block writers)."""
    if not writes:
        engine = engine.execution_options(sqlite_begin="DEFERRED")
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except OperationalError as error:
            session.rollback()
            if is_locked(error):  # a read-only unit that wrote, or a lock lost to another process
                raise DatabaseBusy() from error
            raise
        except BaseException:
            session.rollback()
            raise
