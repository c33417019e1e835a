"""Alembic, driven from code: `python -m backend db upgrade` and the drift test use this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from backend.directory.fts import MANAGED_NAMES

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


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Full-text tables and indexes are made by hand in migrations, not from the models."""
    return not (name and MANAGED_NAMES.match(name))
