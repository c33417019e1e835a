"""Every active offer, compactly, for choosing offers offline (served at
/api/v1/directory/snapshot by api.py). Public data only."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from backend.directory.models import (
    DirectoryOrganization,
    DirectoryService,
    DirectoryServiceArea,
    DirectoryServiceTag,
)


def build(session: Session) -> list[dict[str, Any]]:
    services = session.exec(select(DirectoryService).where(DirectoryService.status == "active")).all()
    ids = {s.id for s in services}
    tags: dict[str, dict[str, list[str]]] = {}
    for tag in session.exec(select(DirectoryServiceTag)).all():
        if tag.service_id in ids:
            tags.setdefault(tag.service_id, {}).setdefault(tag.kind, []).append(tag.value)
    areas: dict[str, list[str]] = {}
    for area in session.exec(select(DirectoryServiceArea)).all():
        if area.service_id in ids:
            areas.setdefault(area.service_id, []).append(f"{area.scope}:{area.code}")
    organizations = {o.id: o.name for o in session.exec(select(DirectoryOrganization)).all()}
    return [
        {
            "id": s.id,
            "organization": organizations.get(s.organization_id, ""),
            "name": {"de": s.name_de, "fr": s.name_fr},
            "phone": s.phone,
            "free": s.free_of_charge,
            "min_age": s.minimum_age,
            "max_age": s.maximum_age,
            "capacity": s.capacity_status,
            "capacity_until": s.capacity_until.isoformat() if s.capacity_until else None,
            "needs": sorted(tags.get(s.id, {}).get("need_domain", [])),
            "languages": sorted(tags.get(s.id, {}).get("language", [])),
            "areas": sorted(areas.get(s.id, [])),
        }
        for s in sorted(services, key=lambda s: s.id)
    ]
