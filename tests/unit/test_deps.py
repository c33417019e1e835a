"""The request's unit of work (backend/deps.py): committed once the handler returned, rolled back
when it raised (the handler's own exception answered), a locked database a 503."""

from __future__ import annotations

import sqlite3

import pytest
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.testing import TestClient
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from backend.db.engine import make_engine
from backend.deps import DEPENDENCIES, Unit
from backend.errors import Conflict, DatabaseBusy
from backend.system.errors import EXCEPTION_HANDLERS

metadata = MetaData()
rows = Table("rows", metadata, Column("n", Integer, primary_key=True))


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'deps.sqlite3'}", lock_timeout=0.2)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _ns(engine) -> list[int]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(select(rows.c.n).order_by(rows.c.n))]


@get("/api/write/{n:int}", sync_to_thread=True)
def write(n: FromPath[int], session: Unit) -> dict:
    session.execute(insert(rows).values(n=n))
    return {"in_transaction": session.in_transaction()}


@get("/api/refuse", sync_to_thread=True)
def refuse(session: Unit) -> None:
    session.execute(insert(rows).values(n=99))
    raise Conflict("no")


@get("/api/read", sync_to_thread=True)
def read(reader: Unit) -> list[int]:
    return [row[0] for row in reader.execute(select(rows.c.n))]


@get("/api/reader-writes", sync_to_thread=True)
def reader_writes(reader: Unit) -> None:
    reader.execute(text("SELECT 1"))  # a read transaction (DEFERRED) ...
    reader.execute(insert(rows).values(n=7))  # ... that must become a writer


def _client(engine) -> TestClient:
    app = Litestar(
        route_handlers=[write, refuse, read, reader_writes],
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        state=State({"engine": engine}),
    )
    return TestClient(app)


def test_committed_after_the_handler_and_rolled_back_on_its_error(engine):
    with _client(engine) as client:
        answer = client.get("/api/write/1")
        assert answer.status_code == 200 and answer.json() == {"in_transaction": True}
        assert _ns(engine) == [1]
        refused = client.get("/api/refuse")
        assert refused.status_code == 409  # the handler's own error, not an ExceptionGroup
        assert _ns(engine) == [1]
        assert client.get("/api/read").json() == [1]


def test_a_locked_database_is_a_503_that_wrote_nothing(engine):
    with _client(engine) as client:
        holder = sqlite3.connect(engine.url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            assert client.get("/api/write/2").status_code == 503  # the writer's BEGIN gave up
            assert client.get("/api/reader-writes").status_code == 503  # a statement found it locked
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert _ns(engine) == []
        assert client.get("/api/write/3").status_code == 200
        assert _ns(engine) == [3]


def test_busy_is_the_domain_error():
    assert DatabaseBusy().status_code == 503
