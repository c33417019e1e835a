"""Full-text search with each database's own machinery.

SQLite: an FTS5 table kept in step by `reindex()` (unicode61 tokenizer, diacritics folded,
prefix queries; FTS5 has no German or French stemmer). PostgreSQL: stored generated columns
`fts_de = to_tsvector('german', …)` and `fts_fr = to_tsvector('french', …)` with GIN indexes,
so nothing needs keeping in step and no query recomputes a vector.

Filters use the same machinery: each offer's needs, life phases, languages, access modes,
cost and service areas are tokens in `search_tags` (`needloneliness`, `aream902`, …), indexed
in the FTS5 table's `tags` column and in PostgreSQL's `fts_tags` ('simple' configuration).
A filtered search is then one intersection of posting lists, not thousands of row lookups.
Both are created by the migration, outside the models.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlmodel import Session

from backend.directory.models import DirectoryService
from backend.directory.records import ServiceRecord

SQLITE_TABLE = "directory_service_fts"
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5("
    "service_id UNINDEXED, text_de, text_fr, tags, tokenize = 'unicode61 remove_diacritics 2')"
)
_FIELDS = ("name", "description", "eligibility")


def pg_document(language: str, table: str = "") -> str:
    """The indexed text; queries pass their table alias (the index matches either way)."""
    prefix = f"{table}." if table else ""
    parts = [f"coalesce({prefix}{field}_{language}, '')" for field in _FIELDS] + [f"{prefix}keywords"]
    return " || ' ' || ".join(parts)


PG_DOCUMENT = {"de": pg_document("de"), "fr": pg_document("fr")}
PG_COLUMN = {"de": "fts_de", "fr": "fts_fr", "tags": "fts_tags"}
PG_CONFIG = {"de": "german", "fr": "french", "tags": "simple"}
PG_DOCUMENT = {**PG_DOCUMENT, "tags": "search_tags"}
PG_DDL = [
    statement
    for language in PG_COLUMN
    for statement in (
        f"ALTER TABLE directory_service ADD COLUMN {PG_COLUMN[language]} tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('{PG_CONFIG[language]}', {PG_DOCUMENT[language]})) STORED",
        f"CREATE INDEX ix_fts_directory_service_{language} ON directory_service "
        f"USING gin ({PG_COLUMN[language]})",
    )
]
TEXT_LANGUAGES = ("de", "fr")
MANAGED_NAMES = re.compile(rf"^({SQLITE_TABLE}.*|ix_fts_.*|fts_de|fts_fr|fts_tags)$")


def pg_condition(table: str = "s") -> str:
    """Matches in either language; binds :tsq."""
    return " OR ".join(
        f"{table}.{PG_COLUMN[lang]} @@ to_tsquery('{PG_CONFIG[lang]}', :tsq)" for lang in TEXT_LANGUAGES
    )


def pg_rank(table: str = "s") -> str:
    ranks = [
        f"ts_rank({table}.{PG_COLUMN[lang]}, to_tsquery('{PG_CONFIG[lang]}', :tsq))"
        for lang in TEXT_LANGUAGES
    ]
    return f"GREATEST({', '.join(ranks)})"


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


def sqlite_filter_match(words: list[str], tag_groups: list[list[str]]) -> str:
    """Text words in the text columns, AND each group of tags (any of the group) in `tags`.
    Tags are built from known codes only, never from what people type."""
    parts = [f"{{text_de text_fr}} : ({sqlite_match(words)})"] if words else []
    parts += [f"tags : ({' OR '.join(group)})" for group in tag_groups if group]
    return " AND ".join(parts)


def pg_tsquery(words: list[str]) -> str:
    return " & ".join(f"{w}:*" for w in words)


def _text(service: DirectoryService, language: str) -> str:
    values = [getattr(service, f"{field}_{language}") or "" for field in _FIELDS]
    return " ".join([*values, service.keywords])


def tag(kind: str, value: str) -> str:
    """A filter value as one FTS5 token (unicode61 splits on '_', so it is dropped)."""
    return re.sub(r"[^a-z0-9]", "", f"{kind}{value}".lower())


def area_tags(municipality: int, district: str) -> list[str]:
    """The area tokens of offers that serve a municipality."""
    return [tag("aream", str(municipality)), tag("aread", district), tag("areac", "BE")]


def tags_of(record: ServiceRecord) -> str:
    tokens = [tag("need", d) for d in record.need_domains]
    tokens += [tag("phase", p) for p in record.life_phases]
    tokens += [tag("lang", code) for code in record.languages]
    tokens += [tag("access", m) for m in record.access_modes]
    scope_letter = {"municipality": "m", "district": "d", "canton": "c"}
    tokens += [tag(f"area{scope_letter[scope]}", code) for scope, code in record.areas]
    if record.free_of_charge:
        tokens.append("free")
    return " ".join(tokens)


def pg_tags_query(tag_groups: list[list[str]]) -> str:
    """Each group any-of, all groups together: 'needloneliness & (aream902 | areadem)'."""
    return " & ".join(f"({' | '.join(group)})" for group in tag_groups if group)


def reindex(session: Session, service: DirectoryService) -> None:
    """Brings the SQLite FTS row of one service up to date (PostgreSQL needs nothing)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    session.execute(text(f"DELETE FROM {SQLITE_TABLE} WHERE service_id = :id"), {"id": service.id})
    session.execute(
        text(
            f"INSERT INTO {SQLITE_TABLE} (service_id, text_de, text_fr, tags) VALUES (:id, :de, :fr, :tags)"
        ),
        {
            "id": service.id,
            "de": _text(service, "de"),
            "fr": _text(service, "fr"),
            "tags": service.search_tags,
        },
    )
