"""Alembic, driven from code: `python -m backend db upgrade` and the drift test use this.
The migrations' env.py takes every table (and which to leave out) from backend/models.py."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Dated file names keep the history readable in a directory listing.
    config.set_main_option(
        "file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"
    )
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("timezone", "UTC")
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


@functools.cache
def head_revisions() -> frozenset[str]:
    """The revisions the migration scripts end in (one head), read once per process."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    """What the database is stamped with (alembic_version); empty when never migrated."""
    if not connection.dialect.has_table(connection, "alembic_version"):
        return frozenset()
    return frozenset(row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version")))


def at_head(connection: Connection) -> bool:
    """Whether every migration has been applied: the readiness probe and `check --deploy`."""
    return current_revisions(connection) == head_revisions()


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision of this release's migration scripts."""
    return frozenset(
        script.revision
        for script in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()
    )


def serves_this_code(connection: Connection) -> bool:
    """At head, or ahead of it: a newer release's migration (unknown here) has run during a rolling
    deploy, and expand/contract keeps the schema working for the release before (README,
    Operations). Behind head, or never migrated, it does not."""
    current = current_revisions(connection)
    return current == head_revisions() or (bool(current) and not current & known_revisions())
