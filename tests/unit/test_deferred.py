"""Counter increments wait for the commit, are summed per row, and a savepoint that rolls back
takes its increments with it (on a real SQLite file)."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from backend.db import deferred
from backend.db.engine import make_engine, session_scope

metadata = MetaData()
counts = Table(
    "counts",
    metadata,
    Column("month", String, primary_key=True),
    Column("need", String, primary_key=True),
    Column("count", Integer, nullable=False, default=0),
    Column("unmet", Integer, nullable=False, default=0),
)


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'counts.sqlite3'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _rows(engine) -> dict:
    with engine.connect() as connection:
        return {(r.month, r.need): (r.count, r.unmet) for r in connection.execute(select(counts))}


def test_increments_are_summed_and_written_at_commit(engine):
    with session_scope(engine) as session:
        deferred.increment(session, counts, {"month": "2026-12", "need": "loneliness"}, {"count": 1, "unmet": 0})
        deferred.increment(session, counts, {"month": "2026-12", "need": "loneliness"}, {"count": 1, "unmet": 1})
        deferred.increment(session, counts, {"month": "2026-12", "need": "food"}, {"count": 1, "unmet": 0})
        assert _rows(engine) == {}  # nothing written (or locked) before the commit
    assert _rows(engine) == {("2026-12", "loneliness"): (2, 1), ("2026-12", "food"): (1, 0)}
    with session_scope(engine) as session:
        deferred.increment(session, counts, {"month": "2026-12", "need": "food"}, {"count": 3, "unmet": 0})
    assert _rows(engine)[("2026-12", "food")] == (4, 0)


def test_a_savepoint_that_rolls_back_takes_its_increments_with_it(engine):
    with session_scope(engine) as session:
        deferred.increment(session, counts, {"month": "2026-12", "need": "food"}, {"count": 1, "unmet": 0})
        with pytest.raises(ValueError), deferred.savepoint(session):
            deferred.increment(session, counts, {"month": "2026-12", "need": "food"}, {"count": 5, "unmet": 0})
            deferred.increment(session, counts, {"month": "2026-12", "need": "money"}, {"count": 1, "unmet": 1})
            raise ValueError("this record is refused")
        with deferred.savepoint(session):
            deferred.increment(session, counts, {"month": "2026-12", "need": "food"}, {"count": 1, "unmet": 0})
        # A savepoint's release is not the commit: nothing written, even in this transaction.
        assert session.connection().execute(select(counts)).all() == []
    assert _rows(engine) == {("2026-12", "food"): (2, 0)}


def test_a_transaction_that_rolls_back_writes_nothing(engine):
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        deferred.increment(session, counts, {"month": "2026-12", "need": "food"}, {"count": 1, "unmet": 0})
        raise RuntimeError("the unit of work fails")
    assert _rows(engine) == {}
