"""Reading and writing offers: ServiceRecord <-> tables, with history and the search index."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import text
from sqlmodel import Session, col, delete, select

from backend.db.types import utcnow
from backend.directory import fts
from backend.directory.models import (
    DirectoryChange,
    DirectoryOrganization,
    DirectoryService,
    DirectoryServiceArea,
    DirectoryServiceTag,
)
from backend.directory.records import TEXT_FIELDS, ServiceRecord
from backend.i18n import translate
from backend.vocab import ACCESS_MODES, NEED_DOMAINS, SERVICE_TYPES

TAG_KINDS = {
    "need_domain": "need_domains",
    "life_phase": "life_phases",
    "access_mode": "access_modes",
    "language": "languages",
}
PLAIN_FIELDS = (
    "organization_id",
    "service_type",
    "status",
    "free_of_charge",
    "minimum_age",
    "maximum_age",
    "phone",
    "email",
    "url",
    "location_name",
    "street",
    "postal_code",
    "city",
    "capacity_status",
    "capacity_note",
    "capacity_until",
    "is_demo",
)


def load(session: Session, service_id: str) -> ServiceRecord | None:
    row = session.get(DirectoryService, service_id)
    if row is None:
        return None
    return to_record(session, row)


def to_record(session: Session, row: DirectoryService) -> ServiceRecord:
    return to_records(session, [row])[0]


def to_records(session: Session, rows: Sequence[DirectoryService]) -> list[ServiceRecord]:
    """Several offers at once: their tags and areas in two queries, not two per offer."""
    ids = [row.id for row in rows]
    tags: dict[str, list[tuple[str, str]]] = defaultdict(list)
    areas: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if ids:
        tag_rows = session.exec(
            select(DirectoryServiceTag.service_id, DirectoryServiceTag.kind, DirectoryServiceTag.value)
            .where(col(DirectoryServiceTag.service_id).in_(ids))
            .order_by(col(DirectoryServiceTag.kind), col(DirectoryServiceTag.value))
        )
        for service_id, kind, value in tag_rows:
            tags[service_id].append((kind, value))
        area_rows = session.exec(
            select(DirectoryServiceArea.service_id, DirectoryServiceArea.scope, DirectoryServiceArea.code)
            .where(col(DirectoryServiceArea.service_id).in_(ids))
            .order_by(col(DirectoryServiceArea.id))
        )
        for service_id, scope, code in area_rows:
            areas[service_id].append((scope, code))
    return [_record(row, tags[row.id], areas[row.id]) for row in rows]


def _record(
    row: DirectoryService, tags: list[tuple[str, str]], areas: list[tuple[str, str]]
) -> ServiceRecord:
    record = ServiceRecord(id=row.id, organization_id=row.organization_id)
    for name in PLAIN_FIELDS:
        setattr(record, name, getattr(row, name))
    record.texts = {
        name: {"de": getattr(row, f"{name}_de"), "fr": getattr(row, f"{name}_fr")} for name in TEXT_FIELDS
    }
    for kind, value in tags:  # ordered by kind, then value
        getattr(record, TAG_KINDS[kind]).append(value)
    record.areas = areas
    return record


def _keywords(organization: DirectoryOrganization, record: ServiceRecord) -> str:
    """Words people search by that are not in the offer's own text: the organisation's name
    and the labels of its type and needs, in both languages."""
    labels = [SERVICE_TYPES.get(record.service_type, "")]
    labels += [NEED_DOMAINS[d] for d in record.need_domains if d in NEED_DOMAINS]
    labels += [ACCESS_MODES[m] for m in record.access_modes if m in ACCESS_MODES]
    words = [organization.name]
    for language in ("de", "fr"):
        words += [translate(language, label) for label in labels if label]
    return " ".join(words)[:2000]


def save(session: Session, record: ServiceRecord, user_id: int | None, action: str) -> bool:
    """Creates or updates the offer; returns False (and writes nothing) when nothing changed.
    The caller validates first (records.validate) and owns the transaction."""
    before = load(session, record.id)
    if before is not None and before.comparable() == record.comparable():
        return False
    organization = session.get(DirectoryOrganization, record.organization_id)
    if organization is None:
        raise LookupError(record.organization_id)

    row = session.get(DirectoryService, record.id) or DirectoryService(
        id=record.id, organization_id=record.organization_id, service_type="advice"
    )
    for name in PLAIN_FIELDS:
        setattr(row, name, getattr(record, name))
    for name in TEXT_FIELDS:
        for language in ("de", "fr"):
            setattr(row, f"{name}_{language}", record.text(name, language))
    row.keywords = _keywords(organization, record)
    row.search_tags = fts.tags_of(record)
    row.modified_at = utcnow()
    if before is None:
        row.last_reviewed_at = row.modified_at
    session.add(row)
    session.flush()

    session.execute(delete(DirectoryServiceTag).where(col(DirectoryServiceTag.service_id) == record.id))
    session.execute(delete(DirectoryServiceArea).where(col(DirectoryServiceArea.service_id) == record.id))
    for kind, attribute in TAG_KINDS.items():
        for value in sorted(set(getattr(record, attribute))):
            session.add(DirectoryServiceTag(service_id=record.id, kind=kind, value=value))
    for scope, code in record.areas:
        session.add(DirectoryServiceArea(service_id=record.id, scope=scope, code=code))
    fts.reindex(session, row)
    session.add(
        DirectoryChange(
            service_id=record.id,
            user_id=user_id,
            action=action if before else "create",
            changes=_diff(before, record),
        )
    )
    session.flush()
    return True


def _diff(before: ServiceRecord | None, after: ServiceRecord) -> dict[str, list[object]]:
    """Field → [old, new] for the history; JSON-safe."""
    new = after.comparable()
    old = before.comparable() if before else {}
    changed: dict[str, list[object]] = {}
    for key, value in new.items():
        if key == "texts":
            for name, languages in value.items():
                for language, text in languages.items():
                    previous = (old.get("texts") or {}).get(name, {}).get(language)
                    if previous != text:
                        changed[f"{name}_{language}"] = [previous, text]
        elif old.get(key) != value:
            changed[key] = [_json(old.get(key)), _json(value)]
    return changed


def _json(value: object) -> object:
    if isinstance(value, list):
        return [list(v) if isinstance(v, tuple) else v for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def upsert_organization(session: Session, organization: DirectoryOrganization) -> DirectoryOrganization:
    existing = session.get(DirectoryOrganization, organization.id)
    if existing is None:
        session.add(organization)
        session.flush()
        return organization
    changed = False
    for name in ("name", "description_de", "description_fr", "email", "website", "is_demo"):
        if getattr(existing, name) != getattr(organization, name):
            setattr(existing, name, getattr(organization, name))
            changed = True
    if changed:  # the public directory's ETag and Last-Modified follow modified_at
        existing.modified_at = utcnow()
    return existing


def refresh_statistics(session: Session) -> None:
    """After a bulk load: fresh planner statistics, or the planner guesses tiny tables and
    picks nested loops (seen as 2 s instead of 14 ms per search on PostgreSQL)."""
    for table in ("directory_service", "directory_service_tag", "directory_service_area"):
        session.execute(text(f"ANALYZE {table}"))
