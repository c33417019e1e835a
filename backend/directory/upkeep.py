"""Keeping offers current: who may edit, the edit form's parsing, capacity and reviews."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.db.types import utcnow
from backend.directory import repository
from backend.directory.hsds import stable_id
from backend.directory.models import DirectoryChange, DirectoryOrganization, DirectoryService
from backend.directory.records import CAPACITY, TEXT_FIELDS, ServiceRecord, clean, validate
from backend.errors import Forbidden, InvalidInput, NotFound
from backend.geo.reference import DISTRICTS, MUNICIPALITIES, find_municipality
from backend.i18n import N_

STALE_AFTER = timedelta(days=365)
NOT_YOURS = N_("You can only change the offers of your own organisation.")


def editable_organizations(session: Session, user: CurrentUser) -> list[DirectoryOrganization]:
    query = select(DirectoryOrganization).order_by(col(DirectoryOrganization.name))
    if user.role != Role.ADMIN:
        query = query.where(DirectoryOrganization.organisation_id == user.organisation_id)
    return list(session.exec(query).all()) if user.role in (Role.ADMIN, Role.ORG_STAFF) else []


def can_edit(user: CurrentUser, organization: DirectoryOrganization) -> bool:
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.ORG_STAFF and organization.organisation_id == user.organisation_id


def can_set_capacity(user: CurrentUser, organization: DirectoryOrganization) -> bool:
    """Coordinators know best whether they can take more referrals."""
    if can_edit(user, organization):
        return True
    return user.role == Role.COORDINATOR and organization.organisation_id == user.organisation_id


def service_for_change(
    session: Session, user: CurrentUser, service_id: str, capacity_only: bool = False
) -> tuple[DirectoryService, DirectoryOrganization]:
    row = session.get(DirectoryService, service_id)
    if row is None:
        raise NotFound(N_("No such offer."))
    organization = session.get(DirectoryOrganization, row.organization_id)
    allowed = can_set_capacity if capacity_only else can_edit
    if organization is None or not allowed(user, organization):
        raise Forbidden(NOT_YOURS)
    return row, organization


def is_stale(row: DirectoryService) -> bool:
    return utcnow() - row.last_reviewed_at > STALE_AFTER


@dataclass
class ServiceForm:
    """The edit form as submitted: parsed into a record plus the errors to show."""

    record: ServiceRecord
    area_scope: str = "canton"
    districts: list[str] = field(default_factory=list)
    municipalities_text: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: ServiceRecord) -> ServiceForm:
        scopes = {scope for scope, _ in record.areas}
        scope = (
            "municipality" if "municipality" in scopes else "district" if "district" in scopes else "canton"
        )
        names = [MUNICIPALITIES[int(c)].name for s, c in record.areas if s == "municipality"]
        return cls(
            record=record,
            area_scope=scope,
            districts=[c for s, c in record.areas if s == "district"],
            municipalities_text=", ".join(names),
        )

    @classmethod
    def parse(cls, data: dict[str, list[str]], service_id: str | None, organization_id: str) -> ServiceForm:
        def one(name: str) -> str:
            return (data.get(name) or [""])[0]

        errors: dict[str, str] = {}
        record = ServiceRecord(
            id=service_id or stable_id("service", organization_id, utcnow().isoformat()),
            organization_id=organization_id,
        )
        record.texts = {
            name: {lang: clean(one(f"{name}_{lang}")) for lang in ("de", "fr")} for name in TEXT_FIELDS
        }
        record.service_type = one("service_type")
        record.status = one("status") or "active"
        record.free_of_charge = one("free_of_charge") == "1"
        for name in ("minimum_age", "maximum_age"):
            raw = one(name).strip()
            if raw and not raw.isdigit():
                errors[name] = N_("An age is a whole number between 0 and 120.")
            setattr(record, name, int(raw) if raw.isdigit() else None)
        for name in ("phone", "email", "url", "location_name", "street", "postal_code", "city"):
            setattr(record, name, clean(one(name)))
        record.need_domains = data.get("need_domains", [])
        record.life_phases = data.get("life_phases", [])
        record.access_modes = data.get("access_modes", [])
        record.languages = [code for code in data.get("languages", []) if code]
        record.capacity_status = one("capacity_status") or "accepting"

        scope = one("area_scope")
        districts = [code for code in data.get("districts", []) if code in DISTRICTS]
        municipalities_text = one("municipalities")[:2000]
        if scope == "canton":
            record.areas = [("canton", "BE")]
        elif scope == "district":
            record.areas = [("district", code) for code in districts]
        elif scope == "municipality":
            for part in [p for p in municipalities_text.replace(";", ",").split(",") if p.strip()]:
                found = find_municipality(part)
                if found is None:
                    errors["areas"] = N_(
                        "This municipality or district does not exist in the canton of Bern."
                    )
                    break
                record.areas.append(("municipality", str(found.bfs_number)))
        errors = {**validate(record), **errors}
        return cls(
            record=record,
            area_scope=scope or "canton",
            districts=districts,
            municipalities_text=municipalities_text,
            errors=errors,
        )


def save_form(session: Session, user: CurrentUser, form: ServiceForm) -> bool:
    if form.errors:
        raise InvalidInput(N_("Please check the marked fields."))
    return repository.save(session, form.record, user.id, "update")


def set_capacity(
    session: Session, user: CurrentUser, service_id: str, status: str, note: str | None, until: str | None
) -> None:
    row, _ = service_for_change(session, user, service_id, capacity_only=True)
    if status not in CAPACITY:
        raise InvalidInput(N_("Unknown capacity status."), field="capacity_status")
    until_date = None
    if until:
        try:
            until_date = date.fromisoformat(until)
        except ValueError:
            raise InvalidInput(N_("Enter the date as YYYY-MM-DD."), field="capacity_until") from None
    record = repository.to_record(session, row)
    record.capacity_status, record.capacity_note = status, clean(note)
    record.capacity_until = until_date
    repository.save(session, record, user.id, "capacity")


def mark_reviewed(session: Session, user: CurrentUser, service_id: str) -> None:
    row, _ = service_for_change(session, user, service_id)
    row.last_reviewed_at = utcnow()
    session.add(DirectoryChange(service_id=row.id, user_id=user.id, action="review", changes={}))


def release_ended_pauses(session: Session, today: date | None = None) -> int:
    """A paused offer takes referrals again once its end date has passed (run by the worker)."""
    today = today or date.today()
    rows = session.exec(
        select(DirectoryService).where(
            DirectoryService.capacity_status != "accepting",
            col(DirectoryService.capacity_until).is_not(None),
            col(DirectoryService.capacity_until) < today,
        )
    ).all()
    for row in rows:
        record = repository.to_record(session, row)
        record.capacity_status, record.capacity_until, record.capacity_note = "accepting", None, None
        repository.save(session, record, None, "capacity")
    return len(rows)
