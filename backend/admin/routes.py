"""GET /admin: the organisations and accounts of this installation (admins only)."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template
from sqlmodel import col, select

from backend.accounts.access import allow
from backend.accounts.models import Organisation, User
from backend.accounts.roles import Role
from backend.db.engine import session_scope
from backend.geo.reference import DISTRICTS
from backend.web import render


@get("/admin", opt=allow(Role.ADMIN), sync_to_thread=True, name="admin", include_in_schema=False)
def admin_overview(request: Request) -> Template:
    with session_scope(request.app.state.engine) as session:
        organisations = session.exec(select(Organisation).order_by(col(Organisation.name))).all()
        users = session.exec(select(User).order_by(col(User.username))).all()
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


ROUTES = [admin_overview]
