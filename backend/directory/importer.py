"""Import and export of the whole directory as HSDS 3 JSON (CLI and admin page)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from backend.directory import hsds, repository
from backend.directory.models import DirectoryOrganization, DirectoryService
from backend.directory.records import validate, validate_organization
from backend.i18n import N_

MAX_IMPORT_BYTES = 20 * 1024 * 1024


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[hsds.Problem] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def read_documents(raw: bytes | str) -> tuple[list[dict[str, Any]], list[hsds.Problem]]:
    """The services in an HSDS JSON file: an array, a page object (`contents`) or one service."""
    if len(raw) > MAX_IMPORT_BYTES:
        return [], [hsds.Problem("-", "-", N_("The file is too large (at most 20 MB)."))]
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return [], [hsds.Problem("-", "-", N_("The file is not valid JSON."))]
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    elif isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        return [], [hsds.Problem("-", "-", N_("Expected a list of HSDS services."))]
    return data, []


def import_services(
    session: Session, documents: list[dict[str, Any]], user_id: int | None = None, partial: bool = False
) -> ImportReport:
    """Validates everything first; with any problem nothing changes unless `partial`, in which
    case the valid services are imported. Same ids update; nothing is duplicated."""
    report = ImportReport()
    parsed = []
    seen: set[str] = set()
    for doc in documents:
        record, organization, problems = hsds.parse_service(doc)
        if record is not None and record.id in seen:
            problems.append(hsds.Problem(record.id, "id", N_("This id appears twice in the file.")))
        if record is not None:
            seen.add(record.id)
            for name, message in validate(record).items():
                problems.append(hsds.Problem(record.id, name, message))
            if organization is not None:
                for name, message in validate_organization(organization.website, organization.email).items():
                    problems.append(hsds.Problem(record.id, name, message))
            if organization is None and session.get(DirectoryOrganization, record.organization_id) is None:
                problems.append(
                    hsds.Problem(record.id, "organization", N_("The offer names no organization."))
                )
        report.problems += problems
        if record is not None and not problems:
            parsed.append((record, organization))
    if report.problems and not partial:
        return report
    for record, organization in parsed:
        if organization is not None:
            repository.upsert_organization(session, organization)
        existed = session.get(DirectoryService, record.id) is not None
        changed = repository.save(session, record, user_id, "import")
        if not changed:
            report.unchanged += 1
        elif existed:
            report.updated += 1
        else:
            report.created += 1
    report.applied = True
    if report.created + report.updated > 100:
        repository.refresh_statistics(session)
    return report


def export_services(session: Session) -> list[dict[str, Any]]:
    """Every service in the compiled HSDS form, ordered by id."""
    rows = session.exec(select(DirectoryService).order_by(col(DirectoryService.id))).all()
    organizations = {o.id: o for o in session.exec(select(DirectoryOrganization)).all()}
    return [
        hsds.service_to_hsds(
            repository.to_record(session, row),
            organizations[row.organization_id],
            row.modified_at,
            row.last_reviewed_at,
        )
        for row in rows
    ]
