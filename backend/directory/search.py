"""Search and matching: one SQL query per page (results, tags and the total in one round trip),
with each database's own full-text machinery (see fts.py). The nurse's screening calls
`search` with the client's needs, municipality, language and age."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import RowMapping, text
from sqlmodel import Session

from backend.directory import fts
from backend.geo.reference import MUNICIPALITIES
from backend.vocab import life_phase_for_age

PER_PAGE = 20
MAX_PAGE = 500


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    need_domains: tuple[str, ...] = ()  # any of them
    municipality: int | None = None  # BFS number; resolved through service areas
    language: str | None = None
    life_phase: str | None = None
    age: int | None = None
    free_only: bool = False
    access_mode: str | None = None
    organization_id: str | None = None
    page: int = 1
    per_page: int = PER_PAGE


@dataclass
class Hit:
    id: str
    organization: str
    name_de: str | None
    name_fr: str | None
    description_de: str | None
    description_fr: str | None
    service_type: str
    free_of_charge: bool
    phone: str | None
    capacity_status: str
    capacity_until: date | None
    area_rank: int  # 0 municipality, 1 district, 2 canton (when a municipality was given)
    need_domains: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    access_modes: list[str] = field(default_factory=list)
    is_demo: bool = False

    def name(self, locale: str) -> str:
        preferred = self.name_fr if locale == "fr" else self.name_de
        return preferred or self.name_de or self.name_fr or ""

    def description(self, locale: str) -> str:
        preferred = self.description_fr if locale == "fr" else self.description_de
        return preferred or self.description_de or self.description_fr or ""

    def in_language(self, locale: str) -> bool:
        """Whether the offer's own texts exist in this language (the UI says when not)."""
        return bool(self.name_fr if locale == "fr" else self.name_de)

    @property
    def paused(self) -> bool:
        return self.capacity_status == "not_accepting"


@dataclass
class SearchPage:
    hits: list[Hit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(session: Session, query: SearchQuery) -> SearchPage:
    dialect = session.get_bind().dialect.name
    params: dict[str, object] = {}
    joins: list[str] = []
    where = ["s.status = 'active'"]
    relevance: str | None = None

    words = fts.terms(query.text)
    phase = query.life_phase or (life_phase_for_age(query.age) if query.age is not None else None)
    municipality = MUNICIPALITIES.get(query.municipality) if query.municipality is not None else None
    if query.municipality is not None and municipality is None:
        return SearchPage(hits=[], total=0, page=1, per_page=query.per_page)

    # Filters are tag tokens (fts.tags_of): within a group any, across groups all.
    groups = [
        [fts.tag("need", d) for d in query.need_domains],
        [fts.tag("lang", query.language)] if query.language else [],
        [fts.tag("phase", phase)] if phase else [],
        [fts.tag("access", query.access_mode)] if query.access_mode else [],
        ["free"] if query.free_only else [],
        fts.area_tags(municipality.bfs_number, municipality.district) if municipality else [],
    ]
    if dialect == "sqlite":
        match = fts.sqlite_filter_match(words, groups)
        if match:
            # bm25() only works in a plain query over the FTS table, hence the subquery;
            # it weighs the two text columns only.
            joins.append(
                f"JOIN (SELECT service_id, bm25({fts.SQLITE_TABLE}, 0.0, 1.0, 1.0, 0.0) AS score "
                f"FROM {fts.SQLITE_TABLE} WHERE {fts.SQLITE_TABLE} MATCH :match) f ON f.service_id = s.id"
            )
            params["match"] = match
            relevance = "f.score" if words else None
    else:
        if words:
            params["tsq"] = fts.pg_tsquery(words)
            where.append(f"({fts.pg_condition('s')})")
            relevance = f"-{fts.pg_rank('s')}"
        if tags := fts.pg_tags_query(groups):
            params["tags"] = tags
            where.append("s.fts_tags @@ to_tsquery('simple', :tags)")

    if query.age is not None:
        params["age"] = query.age
        where.append("(s.minimum_age IS NULL OR s.minimum_age <= :age)")
        where.append("(s.maximum_age IS NULL OR s.maximum_age >= :age)")
    if query.organization_id:
        where.append("s.organization_id = :org")
        params["org"] = query.organization_id

    area_rank = "0"
    if municipality:
        params["municipality"] = str(municipality.bfs_number)
        params["district"] = municipality.district
        area_rank = (
            "(SELECT MIN(CASE a.scope WHEN 'municipality' THEN 0 WHEN 'district' THEN 1 ELSE 2 END) "
            "FROM directory_service_area a WHERE a.service_id = s.id AND ("
            "(a.scope = 'municipality' AND a.code = :municipality) OR "
            "(a.scope = 'district' AND a.code = :district) OR a.scope = 'canton'))"
        )

    aggregate = (
        "group_concat(t.kind || ':' || t.value, ',')"
        if dialect == "sqlite"
        else "string_agg(t.kind || ':' || t.value, ',')"
    )
    per_page = max(1, min(query.per_page, 100))
    page = max(1, min(query.page, MAX_PAGE))
    params.update(limit=per_page, offset=(page - 1) * per_page)
    sql = f"""
        SELECT s.id, o.name AS organization, s.name_de, s.name_fr, s.description_de, s.description_fr,
               s.service_type, s.free_of_charge, s.phone, s.capacity_status, s.capacity_until, s.is_demo,
               {area_rank} AS area_rank,
               (SELECT {aggregate} FROM directory_service_tag t
                 WHERE t.service_id = s.id AND t.kind IN ('need_domain', 'language', 'access_mode')) AS tags,
               count(*) OVER () AS total
        FROM directory_service s
        JOIN directory_organization o ON o.id = s.organization_id
        {" ".join(joins)}
        WHERE {" AND ".join(where)}
        ORDER BY CASE WHEN s.capacity_status = 'not_accepting' THEN 1 ELSE 0 END,
                 area_rank, {relevance + ", " if relevance else ""}COALESCE(s.name_de, s.name_fr), s.id
        LIMIT :limit OFFSET :offset
    """
    rows = session.execute(text(sql), params).mappings().all()
    hits = [_hit(row) for row in rows]
    total = rows[0]["total"] if rows else 0
    return SearchPage(hits=hits, total=total, page=page, per_page=per_page)


def _hit(row: RowMapping) -> Hit:
    hit = Hit(
        id=row["id"],
        organization=row["organization"],
        name_de=row["name_de"],
        name_fr=row["name_fr"],
        description_de=row["description_de"],
        description_fr=row["description_fr"],
        service_type=row["service_type"],
        free_of_charge=bool(row["free_of_charge"]),
        phone=row["phone"],
        capacity_status=row["capacity_status"],
        capacity_until=_date(row["capacity_until"]),
        area_rank=int(row["area_rank"] or 0),
        is_demo=bool(row["is_demo"]),
    )
    for tag in (row["tags"] or "").split(","):
        kind, _, value = tag.partition(":")
        {"need_domain": hit.need_domains, "language": hit.languages, "access_mode": hit.access_modes}.get(
            kind, []
        ).append(value)
    for values in (hit.need_domains, hit.languages, hit.access_modes):
        values.sort()
    return hit


def _date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
