"""Database: engine and sessions, shared column types, Alembic migrations."""
