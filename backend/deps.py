"""What handlers receive instead of fetching it (Litestar `dependencies=`, wired in create_app).

A handler names what it needs as a parameter, annotated with the types below (`Unit`, ...):

- `session: Unit` (a Session) — the request's unit of work, which may write. On SQLite it takes the write
  lock at its first statement (`BEGIN IMMEDIATE`, see engine.py), so declare it only where the
  request writes (a GET page that writes an audit row does).
- `reader: Unit` — a unit that only reads (`writes=False`): it neither waits for nor blocks
  writers. A handler declares `session` or `reader`, never both.
- `user: Caller` (a CurrentUser) — who is calling, as AuthMiddleware put it in the scope
  (`user: MaybeCaller` on public routes, where it may be None).
- `settings: AppSettings`, and `engine: AppEngine` for the few handlers that stay async (below).

One place commits: the unit is committed after the handler returned and its response was
built (a template is rendered by then), before a byte is sent; it is rolled back if the
handler or the response raised. A commit that finds the database locked is `DatabaseBusy`
(503, nothing written), as with `session_scope`.

Litestar's rules this relies on (litestar/_kwargs/cleanup.py, routes/http.py, 2.x):
- the generator's code after `yield` runs when the handler's response has been built, inside
  the same exception handling, so a failed commit is answered like any other error;
- an exception from the handler is thrown into the generator, which must re-raise that same
  exception: anything else is wrapped in an ExceptionGroup (a 500). So a statement that
  finds SQLite locked reaches system/errors.py as an OperationalError, which answers it 503;
- with two generator dependencies Litestar runs their cleanups in a task group, which would
  also wrap a failed commit: hence one unit per request.

Threads: the Session is created on the event loop (no I/O: a connection is taken at the first
statement, in the handler's worker thread with `sync_to_thread=True`); a writing unit (and any
unit on PostgreSQL) commits or rolls back in a worker thread, a read on SQLite ends on the
loop. A Session is used by one thread at a time, never by two at once, and SQLite connections
are opened with `check_same_thread=False`, so this hand-over is safe.

Synchronous database code runs in `sync_to_thread=True` handlers with an injected unit. A
handler that must stay async (the login hashes passwords outside any transaction; an upload is
read with `await`) runs each unit with `run_unit`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.types import Scope
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from backend.accounts.service import CurrentUser
from backend.db.engine import is_locked, session_scope
from backend.errors import DatabaseBusy
from backend.settings import Settings

T = TypeVar("T")

# A handler's parameter names the dependency; these annotations say that it is one (Litestar 3
# drops dependencies inferred from the name alone). For mypy they are the plain types.
Unit = NamedDependency[Session]  # `session: Unit` (may write) or `reader: Unit` (only reads)
Caller = NamedDependency[CurrentUser]  # `user: Caller`
MaybeCaller = NamedDependency[CurrentUser | None]  # `user: MaybeCaller` on public routes
AppSettings = NamedDependency[Settings]  # `settings: AppSettings`
AppEngine = NamedDependency[Engine]  # `engine: AppEngine`, for handlers that stay async


def _commit(session: Session) -> None:
    try:
        session.commit()
    except OperationalError as error:
        session.rollback()
        if is_locked(error):  # a reader that wrote, or a lock lost to another process
            raise DatabaseBusy() from error
        raise
    finally:
        session.close()


def _roll_back(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


def _begun(session: Session) -> bool:
    """Whether the unit holds anything to commit or roll back (a connection, pending rows)."""
    return session.in_transaction() or bool(session.new or session.dirty or session.deleted)


# Reads that may come from the standby (DATABASE_REPLICA_URL) when one is configured: public
# directory data and reports, where an answer a second old harms nobody. Everything else reads
# the primary, so a page shown after a write always shows it (directory.manage/edit/review too).
REPLICA_ROUTES = frozenset({"directory.search", "directory.api.snapshot"})
REPLICA_PREFIXES = ("directory.hsds.", "reports.")


def uses_replica(route_name: str | None) -> bool:
    return bool(route_name) and (route_name in REPLICA_ROUTES or str(route_name).startswith(REPLICA_PREFIXES))


def _reader_engine(state: State) -> Engine:
    """The app's engine with `sqlite_begin="DEFERRED"`, made once and kept in the app state: an
    option engine made per request costs a few microseconds, and ~20 µs more at its first query."""
    reader: Engine | None = state.get("reader_engine")
    if reader is None:
        reader = state.reader_engine = state.engine.execution_options(sqlite_begin="DEFERRED")
    return reader


@asynccontextmanager
async def _unit(engine: Engine, writes: bool) -> AsyncIterator[Session]:
    # Ending a read on SQLite holds no lock and touches no disk: microseconds, done on the event
    # loop (a worker thread would cost more than the work). Writes, and every unit on a server
    # database (a network round trip), end in a worker thread. A reader's engine is already
    # `_reader_engine`.
    inline = not writes and engine.dialect.name == "sqlite"
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        if not _begun(session) or inline:
            _roll_back(session)
        else:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_roll_back, session)
        raise  # the same exception (see above)
    if not _begun(session):
        session.close()
    elif inline:
        _commit(session)
    else:
        await anyio.to_thread.run_sync(_commit, session)


async def provide_session(state: State) -> AsyncIterator[Session]:
    async with _unit(state.engine, writes=True) as session:
        yield session


async def provide_reader(state: State, scope: Scope) -> AsyncIterator[Session]:
    replica: Engine | None = state.get("replica_engine")
    handler = scope.get("route_handler")
    if replica is not None and uses_replica(getattr(handler, "name", None)):
        engine = replica  # always PostgreSQL: no SQLite begin mode to choose
    else:
        engine = _reader_engine(state)
    async with _unit(engine, writes=False) as session:
        yield session


def provide_user(scope: Scope) -> CurrentUser | None:
    user: CurrentUser | None = scope.get("user")  # set by the authentication middleware
    return user


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_engine(state: State) -> Engine:
    engine: Engine = state.engine
    return engine


DEPENDENCIES = {
    "session": Provide(provide_session),
    "reader": Provide(provide_reader),
    "user": Provide(provide_user, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "engine": Provide(provide_engine, sync_to_thread=False),
}


async def run_unit(engine: Engine, work: Callable[..., T], *args: Any, writes: bool = True) -> T:
    """`work(session, *args)` in a worker thread, in a unit of work of its own (committed when it
    returns). For handlers that stay async; everywhere else, declare `session` or `reader`."""

    def unit() -> T:
        with session_scope(engine, writes=writes) as session:
            return work(session, *args)

    return await anyio.to_thread.run_sync(unit)
