"""Full-text search with each database's own machinery.

SQLite: an FTS5 table kept in step by `reindex()` (unicode61 tokenizer, diacritics folded,
prefix queries; FTS5 has no German or French stemmer). PostgreSQL: GIN expression indexes
over `to_tsvector('german', …)` and `to_tsvector('french', …)` of the service's own columns,
so nothing needs keeping in step. Both are created by the migration, outside the models.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlmodel import Session

from backend.directory.models import DirectoryService

SQLITE_TABLE = "directory_service_fts"
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5("
    "service_id UNINDEXED, text_de, text_fr, tokenize = 'unicode61 remove_diacritics 2')"
)
_FIELDS = ("name", "description", "eligibility")


def pg_document(language: str, table: str = "") -> str:
    """The indexed text; queries pass their table alias (the index matches either way)."""
    prefix = f"{table}." if table else ""
    parts = [f"coalesce({prefix}{field}_{language}, '')" for field in _FIELDS] + [f"{prefix}keywords"]
    return " || ' ' || ".join(parts)


PG_DOCUMENT = {"de": pg_document("de"), "fr": pg_document("fr")}
PG_CONFIG = {"de": "german", "fr": "french"}
PG_INDEXES = {
    language: (
        f"CREATE INDEX ix_fts_directory_service_{language} ON directory_service "
        f"USING gin (to_tsvector('{PG_CONFIG[language]}', {PG_DOCUMENT[language]}))"
    )
    for language in PG_DOCUMENT
}
MANAGED_NAMES = re.compile(rf"^({SQLITE_TABLE}.*|ix_fts_.*)$")

MAX_TERMS = 8
MAX_TERM_LENGTH = 40


def terms(query: str) -> list[str]:
    """Words only: operators, quotes and punctuation of any syntax are dropped, so a query
    can never be read as FTS5 or tsquery syntax."""
    words = re.findall(r"\w+", query.lower())
    return [w[:MAX_TERM_LENGTH] for w in words if not w.isdigit() or len(w) > 1][:MAX_TERMS]


def sqlite_match(words: list[str]) -> str:
    # Each word quoted (no operator survives) and prefix-matched, so results come as one types.
    return " AND ".join(f'"{w}"*' for w in words)


def pg_tsquery(words: list[str]) -> str:
    return " & ".join(f"{w}:*" for w in words)


def _text(service: DirectoryService, language: str) -> str:
    values = [getattr(service, f"{field}_{language}") or "" for field in _FIELDS]
    return " ".join([*values, service.keywords])


def reindex(session: Session, service: DirectoryService) -> None:
    """Brings the SQLite FTS row of one service up to date (PostgreSQL needs nothing)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    session.execute(text(f"DELETE FROM {SQLITE_TABLE} WHERE service_id = :id"), {"id": service.id})
    session.execute(
        text(f"INSERT INTO {SQLITE_TABLE} (service_id, text_de, text_fr) VALUES (:id, :de, :fr)"),
        {"id": service.id, "de": _text(service, "de"), "fr": _text(service, "fr")},
    )


def remove(session: Session, service_id: str) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"DELETE FROM {SQLITE_TABLE} WHERE service_id = :id"), {"id": service_id})
