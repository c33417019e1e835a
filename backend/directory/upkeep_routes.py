"""Keeping the directory current: the staff's list, the edit form, capacity and reviews."""

from __future__ import annotations

import anyio.to_thread
from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import col, select

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.db.engine import session_scope
from backend.directory import repository, upkeep
from backend.directory.models import DirectoryService
from backend.directory.records import ServiceRecord
from backend.errors import Forbidden, InvalidInput
from backend.i18n import N_
from backend.web import form_lists, render

EDITORS = allow(Role.ORG_STAFF, Role.ADMIN)


@get("/directory/manage", name="directory.manage", opt=EDITORS, sync_to_thread=True, include_in_schema=False)
def manage(request: Request) -> Template:
    user = request.scope["user"]
    with session_scope(request.app.state.engine) as session:
        organizations = upkeep.editable_organizations(session, user)
        ids = [o.id for o in organizations]
        rows = (
            session.exec(
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
    organizations,
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
def new_service(request: Request) -> Template:
    user = request.scope["user"]
    with session_scope(request.app.state.engine) as session:
        organizations = upkeep.editable_organizations(session, user)
    if not organizations:
        raise InvalidInput(
            N_("Your organisation has no entry in the directory yet. Ask an administrator to link it.")
        )
    record = ServiceRecord(id="", organization_id=organizations[0].id, areas=[("canton", "BE")])
    return _edit_page(request, upkeep.ServiceForm.from_record(record), organizations, is_new=True)


@post("/directory/services/new", name="directory.create", opt=EDITORS, include_in_schema=False)
async def create_service(request: Request) -> Template | Redirect:
    user = request.scope["user"]
    data = form_lists(await request.form())
    engine = request.app.state.engine

    def work() -> tuple[upkeep.ServiceForm, list, str | None]:
        with session_scope(engine) as session:
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

    form, organizations, created = await anyio.to_thread.run_sync(work)
    if created is None:
        return _edit_page(request, form, organizations, status=422, is_new=True)
    return Redirect(f"/directory/services/{created}", status_code=303)


@get(
    "/directory/services/{service_id:str}/edit",
    name="directory.edit",
    opt=EDITORS,
    sync_to_thread=True,
    include_in_schema=False,
)
def edit_service(request: Request, service_id: FromPath[str]) -> Template:
    user = request.scope["user"]
    with session_scope(request.app.state.engine) as session:
        row, _ = upkeep.service_for_change(session, user, service_id)
        record = repository.to_record(session, row)
        organizations = upkeep.editable_organizations(session, user)
    return _edit_page(request, upkeep.ServiceForm.from_record(record), organizations)


@post(
    "/directory/services/{service_id:str}/edit", name="directory.update", opt=EDITORS, include_in_schema=False
)
async def update_service(request: Request, service_id: FromPath[str]) -> Template | Redirect:
    user = request.scope["user"]
    data = form_lists(await request.form())
    engine = request.app.state.engine

    def work() -> tuple[upkeep.ServiceForm, list]:
        with session_scope(engine) as session:
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

    form, organizations = await anyio.to_thread.run_sync(work)
    if form.errors:
        return _edit_page(request, form, organizations, status=422)
    return Redirect(f"/directory/services/{service_id}", status_code=303)


@post(
    "/directory/services/{service_id:str}/capacity",
    name="directory.capacity",
    opt=allow(Role.ORG_STAFF, Role.ADMIN, Role.COORDINATOR),
    include_in_schema=False,
)
async def update_capacity(request: Request, service_id: FromPath[str]) -> Redirect:
    user = request.scope["user"]
    form = await request.form()
    engine = request.app.state.engine

    def work() -> None:
        with session_scope(engine) as session:
            upkeep.set_capacity(
                session,
                user,
                service_id,
                str(form.get("capacity_status", "")),
                str(form.get("capacity_note", ""))[:500] or None,
                str(form.get("capacity_until", "")).strip() or None,
            )

    await anyio.to_thread.run_sync(work)
    return Redirect(f"/directory/services/{service_id}", status_code=303)


@post(
    "/directory/services/{service_id:str}/review",
    name="directory.review", opt=EDITORS, sync_to_thread=True, include_in_schema=False
)
def review_service(request: Request, service_id: FromPath[str]) -> Redirect:
    with session_scope(request.app.state.engine) as session:
        upkeep.mark_reviewed(session, request.scope["user"], service_id)
    return Redirect(f"/directory/services/{service_id}", status_code=303)


ROUTES = [manage, new_service, create_service, edit_service, update_service, update_capacity, review_service]
