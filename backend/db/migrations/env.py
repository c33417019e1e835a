"""Alembic environment: one metadata (every feature's SQLModel tables), both databases."""

from __future__ import annotations

import os

from alembic import context

from backend.db.engine import make_engine
from backend.models import include_object, metadata

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:  # backend/db/migrate.py always sets it
        raise RuntimeError("Alembic was started without sqlalchemy.url")
    engine = make_engine(url, pooler=os.environ.get("DATABASE_POOLER", "").strip().lower())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
