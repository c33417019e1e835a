"""Keeping the directory current: the staff's list, the edit form, capacity and reviews."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session, col, select

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.deps import AppEngine, Caller, Unit, run_unit
from backend.directory import repository, upkeep
from backend.directory.models import DirectoryOrganization, DirectoryService
from backend.directory.records import ServiceRecord
from backend.errors import Forbidden, InvalidInput
from backend.i18n import N_
from backend.web import form_lists, render

EDITORS = allow(Role.ORG_STAFF, Role.ADMIN)
FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class CapacityForm:
    capacity_status: str = ""
    capacity_note: str = ""
    capacity_until: str = ""


@get("/directory/manage", name="directory.manage", opt=EDITORS, sync_to_thread=True, include_in_schema=False)
def manage(request: Request, reader: Unit, user: Caller) -> Template:
    organizations = upkeep.editable_organizations(reader, user)
    ids = [o.id for o in organizations]
    rows = (
        reader.exec(
            select(DirectoryService)
            .where(col(DirectoryService.organization_id).in_(ids))
            .order_by(col(DirectoryService.last_reviewed_at), col(DirectoryService.name_de))
        ).all()
        if ids
        else []
    )
    names = {o.id: o.name for o in organizations}
    stale = [row for row in rows if upkeep.is_stale(row)]
    return render(
        request,
        "directory/manage.html",
        {
            "rows": rows,
            "stale": stale,
            "organization_names": names,
            "organizations": organizations,
            "is_stale": upkeep.is_stale,
        },
    )


def _edit_page(
    request: Request,
    form: upkeep.ServiceForm,
    organizations: list[DirectoryOrganization],
    status: int = 200,
    is_new: bool = False,
) -> Template:
    return render(
        request,
        "directory/edit.html",
        {
            "form": form,
            "record": form.record,
            "organizations": organizations,
            "is_new": is_new,
        },
        status_code=status,
    )


@get(
    "/directory/services/new", name="directory.new", opt=EDITORS, sync_to_thread=True, include_in_schema=False
)
def new_service(request: Request, reader: Unit, user: Caller) -> Template:
    organizations = upkeep.editable_organizations(reader, user)
    if not organizations:
        raise InvalidInput(
            N_("Your organisation has no entry in the directory yet. Ask an administrator to link it.")
        )
    record = ServiceRecord(id="", organization_id=organizations[0].id, areas=[("canton", "BE")])
    return _edit_page(request, upkeep.ServiceForm.from_record(record), organizations, is_new=True)


def _create(
    session: Session, user: CurrentUser, data: dict[str, list[str]]
) -> tuple[upkeep.ServiceForm, list, str | None]:
    organizations = upkeep.editable_organizations(session, user)
    wanted = (data.get("organization_id") or [""])[0]
    if not wanted:
        raise InvalidInput(N_("Choose the organisation that offers it."), field="organization_id")
    organization = next((o for o in organizations if o.id == wanted), None)
    if organization is None:
        raise Forbidden(upkeep.NOT_YOURS)
    form = upkeep.ServiceForm.parse(data, None, organization.id)
    if form.errors:
        return form, organizations, None
    upkeep.save_form(session, user, form)
    return form, organizations, form.record.id


@post("/directory/services/new", name="directory.create", opt=EDITORS, include_in_schema=False)
async def create_service(request: Request, user: Caller, engine: AppEngine) -> Template | Redirect:
    """Async: the form's checkbox groups are read with `await request.form()` (all values)."""
    data = form_lists(await request.form())
    form, organizations, created = await run_unit(engine, _create, user, data)
    if created is None:
        return _edit_page(request, form, organizations, status=422, is_new=True)
    return Redirect(request.app.route_reverse("directory.service", service_id=created), status_code=303)


@get(
    "/directory/services/{service_id:str}/edit",
    name="directory.edit",
    opt=EDITORS,
    sync_to_thread=True,
    include_in_schema=False,
)
def edit_service(request: Request, service_id: FromPath[str], reader: Unit, user: Caller) -> Template:
    row, _ = upkeep.service_for_change(reader, user, service_id)
    record = repository.to_record(reader, row)
    organizations = upkeep.editable_organizations(reader, user)
    return _edit_page(request, upkeep.ServiceForm.from_record(record), organizations)


def _update(
    session: Session, user: CurrentUser, service_id: str, data: dict[str, list[str]]
) -> tuple[upkeep.ServiceForm, list]:
    row, _ = upkeep.service_for_change(session, user, service_id)
    current = repository.to_record(session, row)
    form = upkeep.ServiceForm.parse(data, service_id, row.organization_id)
    # Capacity has its own form; an edit of the texts keeps it as it is.
    form.record.capacity_status = current.capacity_status
    form.record.capacity_note, form.record.capacity_until = (
        current.capacity_note,
        current.capacity_until,
    )
    form.record.is_demo = current.is_demo
    if not form.errors:
        upkeep.save_form(session, user, form)
    return form, upkeep.editable_organizations(session, user)


@post(
    "/directory/services/{service_id:str}/edit", name="directory.update", opt=EDITORS, include_in_schema=False
)
async def update_service(
    request: Request, service_id: FromPath[str], user: Caller, engine: AppEngine
) -> Template | Redirect:
    """Async: the form's checkbox groups are read with `await request.form()` (all values)."""
    data = form_lists(await request.form())
    form, organizations = await run_unit(engine, _update, user, service_id, data)
    if form.errors:
        return _edit_page(request, form, organizations, status=422)
    return Redirect(request.app.route_reverse("directory.service", service_id=service_id), status_code=303)


@post(
    "/directory/services/{service_id:str}/capacity",
    name="directory.capacity",
    opt=allow(Role.ORG_STAFF, Role.ADMIN, Role.COORDINATOR),
    sync_to_thread=True,
    include_in_schema=False,
)
def update_capacity(
    request: Request,
    service_id: FromPath[str],
    data: Annotated[CapacityForm, FORM],
    session: Unit,
    user: Caller,
) -> Redirect:
    upkeep.set_capacity(
        session,
        user,
        service_id,
        data.capacity_status,
        data.capacity_note[:500] or None,
        data.capacity_until.strip() or None,
    )
    return Redirect(request.app.route_reverse("directory.service", service_id=service_id), status_code=303)


@post(
    "/directory/services/{service_id:str}/review",
    name="directory.review",
    opt=EDITORS,
    sync_to_thread=True,
    include_in_schema=False,
)
def review_service(request: Request, service_id: FromPath[str], session: Unit, user: Caller) -> Redirect:
    upkeep.mark_reviewed(session, user, service_id)
    return Redirect(request.app.route_reverse("directory.service", service_id=service_id), status_code=303)


ROUTES = [manage, new_service, create_service, edit_service, update_service, update_capacity, review_service]
