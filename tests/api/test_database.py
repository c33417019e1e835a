"""Models and migrations agree, on SQLite and on PostgreSQL; SQLite runs in WAL mode."""

from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from backend.models import include_object, metadata


def test_models_and_migrations_do_not_drift(db_backend, factories):
    database = factories[db_backend].new()
    engine = create_engine(database.url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include_object}
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_demo_seed_created_the_demo_logins(db_backend, factories):
    database = factories[db_backend].new()
    rows = database.execute("SELECT username, role, is_demo FROM user_account ORDER BY username")
    assert [(r[0], r[1], bool(r[2])) for r in rows] == [
        ("admin", "admin", True),
        ("analyse", "analyst", True),
        ("benevoles", "coordinator", True),
        ("besuchsdienst", "coordinator", True),
        ("coordination", "coordinator", True),
        ("koordination", "coordinator", True),
        ("pflege", "nurse", True),
        ("soins", "nurse", True),
        ("spital", "nurse", True),
    ]
    orgs = dict(
        database.execute(
            "SELECT u.username, o.name FROM user_account u JOIN organisation o ON o.id = u.organisation_id"
        )
    )
    assert orgs["pflege"] == "Spitex Demo Emmental"
    assert orgs["soins"] == "Spitex Démo Jura bernois"
    clients = database.execute("SELECT display_name, municipality FROM client ORDER BY display_name")
    assert ("H. M.", 902) in [tuple(c) for c in clients] and ("J. R.", 446) in [tuple(c) for c in clients]


def test_sqlite_uses_write_ahead_logging(factories):
    database = factories["sqlite"].new()
    assert database.execute("PRAGMA journal_mode")[0][0] == "wal"


def test_full_text_machinery_exists(db_backend, factories):
    database = factories[db_backend].new()
    if db_backend == "sqlite":
        names = {r[0] for r in database.execute("SELECT name FROM sqlite_master")}
        assert "directory_service_fts" in names
        count = database.execute("SELECT count(*) FROM directory_service_fts")[0][0]
        assert count == database.execute("SELECT count(*) FROM directory_service")[0][0] > 0
    else:
        names = {
            r[0]
            for r in database.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'directory_service'"
            )
        }
        assert {"ix_fts_directory_service_de", "ix_fts_directory_service_fr"} <= names


def test_referrals_waiting_for_an_organisation_not_on_passerelle_become_to_arrange(db_backend, factories):
    """Data migration 5d2f8e1a9c37: before issue 17 (item 3) a referral to an offer of an
    organisation without an account stood at `requested` forever; the upgrade makes it `ready`,
    without a deadline, with an event, and leaves referrals with a receiver alone."""
    from alembic import command

    from backend.db.migrate import alembic_config, upgrade

    database = factories[db_backend].new()
    offers = database.execute(
        "SELECT s.id, o.id, o.organisation_id FROM directory_service s "
        "JOIN directory_organization o ON o.id = s.organization_id ORDER BY o.organisation_id IS NULL, s.id"
    )
    linked, unlinked = offers[0], offers[-1]
    assert linked[2] is not None and unlinked[2] is None
    stranded, received = str(uuid.uuid4()), str(uuid.uuid4())
    for referral_id, (service_id, directory_id, receiver) in ((stranded, unlinked), (received, linked)):
        database.execute(
            "INSERT INTO referral (id, source, service_id, directory_organization_id, receiving_organisation_id, "
            "need_domain, status, shared, due_at, created_at, updated_at) VALUES (:i, 'nurse', :s, :d, :o, "
            "'loneliness', 'requested', '{}', :t, :t, :t)",
            i=referral_id,
            s=service_id,
            d=directory_id,
            o=receiver,
            t="2026-11-02 09:00:00",  # as SQLite stores UTC times; PostgreSQL reads it as UTC
        )
    kept = tuple(database.execute("SELECT status, due_at FROM referral WHERE id = :r", r=received)[0])
    command.stamp(alembic_config(database.url), "cb7e559492ee")
    upgrade(database.url, "5d2f8e1a9c37")  # this one only: the later migrations' tables exist already

    assert tuple(database.execute("SELECT status, due_at FROM referral WHERE id = :r", r=stranded)[0]) == (
        "ready",
        None,
    )
    events = database.execute(
        "SELECT from_status, to_status FROM referral_event WHERE referral_id = :r AND to_status = 'ready'",
        r=stranded,
    )
    assert [tuple(e) for e in events] == [("requested", "ready")]
    assert tuple(database.execute("SELECT status, due_at FROM referral WHERE id = :r", r=received)[0]) == kept
