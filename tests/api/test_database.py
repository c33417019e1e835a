"""Models and migrations agree, on SQLite and on PostgreSQL; SQLite runs in WAL mode."""

from __future__ import annotations

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
