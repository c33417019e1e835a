"""GET /: what each role starts from."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template
from sqlmodel import Session

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.deps import Caller, Unit
from backend.referrals import cases
from backend.referrals.service import sent_by_organisation
from backend.referrals.states import STATUS_LABELS
from backend.web import render


def _nurse_context(reader: Session, user: CurrentUser) -> dict:
    recent = sent_by_organisation(reader, user, open_only=True, limit=5)
    return {"recent": recent, "status_labels": STATUS_LABELS}


def _coordinator_context(reader: Session, user: CurrentUser) -> dict:
    counts = cases.counts(reader, user)
    return {"counts": counts, "tabs": cases.TAB_LABELS}


@get("/", name="home.index", opt=allow(), include_in_schema=False, sync_to_thread=True)
def home(request: Request, reader: Unit, user: Caller) -> Template:
    context = {}
    if user.role == Role.NURSE:
        context = _nurse_context(reader, user)
    elif user.role == Role.COORDINATOR:
        context = _coordinator_context(reader, user)
    return render(request, f"home/{user.role.value}.html", context)


ROUTES = [home]
