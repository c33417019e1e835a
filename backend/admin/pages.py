"""GET /admin: the organisations and accounts of this installation (admins only)."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template
from sqlmodel import col, select

from backend.accounts.access import allow
from backend.accounts.models import Organisation, User
from backend.accounts.roles import Role
from backend.audit.models import ACTIONS, SUBJECTS, AuditEvent
from backend.deps import Unit
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


ROUTES = [admin_overview, audit_log]
