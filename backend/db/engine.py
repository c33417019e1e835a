"""Engine and session factory; the same code path for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    url = make_url(database_url)
    # Errors name the failing statement but never its values: those may be personal data.
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # The driver's own transaction handling would start transactions late and break
        # SAVEPOINTs; SQLAlchemy emits BEGIN itself instead (its documented SQLite recipe).
        connect_args = {"check_same_thread": False, "isolation_level": None}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and the writer work at once; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A unit of work that reads and then writes takes the write lock up front (IMMEDIATE):
    # in WAL mode a reader cannot become a writer once another process committed meanwhile,
    # and would fail at once with "database is locked" instead of waiting its turn.
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


@contextmanager
def session_scope(engine: Engine, *, writes: bool = False) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error. `writes=True` for long units
    that read before they write (they queue for SQLite's write lock instead of failing)."""
    if writes:
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
