"""GET /admin: the organisations and accounts of this installation (admins only); the audit
log; the devices that hold a sync credential, and revoking one."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import col, select

from backend.accounts import device_credentials
from backend.accounts.access import allow
from backend.accounts.models import Organisation, User
from backend.accounts.roles import Role
from backend.audit import models as audit
from backend.audit.models import ACTIONS, SUBJECTS, AuditEvent
from backend.deps import Caller, Unit
from backend.geo.reference import DISTRICTS
from backend.web import render


@get("/admin", name="admin.overview", opt=allow(Role.ADMIN), sync_to_thread=True, include_in_schema=False)
def admin_overview(request: Request, reader: Unit) -> Template:
    organisations = reader.exec(select(Organisation).order_by(col(Organisation.name))).all()
    users = reader.exec(select(User).order_by(col(User.username))).all()
    names = {org.id: org.name for org in organisations}
    return render(
        request,
        "admin/overview.html",
        {
            "organisations": organisations,
            "users": users,
            "organisation_names": names,
            "districts": DISTRICTS,
        },
    )


AUDIT_PAGE = 100


@get("/admin/audit", name="admin.audit", opt=allow(Role.ADMIN), sync_to_thread=True, include_in_schema=False)
def audit_log(request: Request, reader: Unit) -> Template:
    """Who opened, changed, exported or erased which record, newest first. A record id (not a
    name) narrows it down; the log never holds the records' content."""
    subject = request.query_params.get("subject", "").strip()[:36]
    page = request.query_params.get("page", "1")
    page_number = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    query = select(AuditEvent)
    if subject:
        query = query.where(AuditEvent.subject_id == subject)
    events = reader.exec(
        query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset((page_number - 1) * AUDIT_PAGE)
        .limit(AUDIT_PAGE + 1)
    ).all()
    users = {u.id: u for u in reader.exec(select(User)).all()}
    organisations = {o.id: o.name for o in reader.exec(select(Organisation)).all()}
    return render(
        request,
        "admin/audit.html",
        {
            "events": events[:AUDIT_PAGE],
            "more": len(events) > AUDIT_PAGE,
            "page": page_number,
            "subject": subject,
            "users": users,
            "organisations": organisations,
            "actions": ACTIONS,
            "subjects": SUBJECTS,
        },
    )


@get(
    "/admin/devices",
    name="admin.devices",
    opt=allow(Role.ADMIN),
    sync_to_thread=True,
    include_in_schema=False,
)
def devices(request: Request, reader: Unit) -> Template:
    """Which devices hold a sync credential that still works (issue 17, item 4): whose, what kind
    of device, since when, last used, until when; each can be revoked."""
    revoked = request.query_params.get("revoked") == "1"
    return render(
        request,
        "admin/devices.html",
        {"devices": device_credentials.live(reader), "request_revoked": revoked},
    )


@post(
    "/admin/devices/{credential_id:int}/revoke",
    name="admin.devices.revoke",
    opt=allow(Role.ADMIN),
    sync_to_thread=True,
    include_in_schema=False,
)
def revoke_device(request: Request, credential_id: FromPath[int], session: Unit, user: Caller) -> Redirect:
    if device_credentials.revoke(session, credential_id, user.id):  # audited once, by who ended it
        audit.record(session, user.id, None, "revoke", "sync_credential", str(credential_id))
    return Redirect(request.app.route_reverse("admin.devices") + "?revoked=1", status_code=303)


ROUTES = [admin_overview, audit_log, devices, revoke_device]
