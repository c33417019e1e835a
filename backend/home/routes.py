"""GET /: what each role starts from."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.db.engine import session_scope
from backend.referrals import cases
from backend.referrals.service import sent_by_organisation
from backend.referrals.states import STATUS_LABELS
from backend.web import render


def _nurse_context(request: Request) -> dict:
    with session_scope(request.app.state.engine, writes=False) as session:
        recent = sent_by_organisation(session, request.scope["user"], open_only=True, limit=5)
    return {"recent": recent, "status_labels": STATUS_LABELS}


def _coordinator_context(request: Request) -> dict:
    with session_scope(request.app.state.engine, writes=False) as session:
        counts = cases.counts(session, request.scope["user"])
    return {"counts": counts, "tabs": cases.TAB_LABELS}


@get("/", opt=allow(), name="home", include_in_schema=False, sync_to_thread=True)
def home(request: Request) -> Template:
    user = request.scope["user"]
    context = {}
    if user.role == Role.NURSE:
        context = _nurse_context(request)
    elif user.role == Role.COORDINATOR:
        context = _coordinator_context(request)
    return render(request, f"home/{user.role.value}.html", context)


ROUTES = [home]
