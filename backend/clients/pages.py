"""Client pages for nurses: list and search, create, open (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import MediaType, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.clients import erasure, service
from backend.deps import Caller, Unit
from backend.geo.reference import MUNICIPALITIES
from backend.i18n import N_
from backend.web import render, render_page_or_fragment

NURSES = allow(Role.NURSE)
FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class ClientFormData:
    display_name: str = ""
    birth_year: str = ""
    municipality: str = ""
    language: str = "de"
    phone: str = ""


@dataclass
class SearchData:
    q: str = ""


@dataclass
class EraseData:
    confirm: str = ""


def _list(request: Request, session: Session, user: CurrentUser, query: str) -> Template:
    clients = service.search(session, user, query)
    context = {"clients": clients, "q": query, "municipalities": MUNICIPALITIES}
    return render_page_or_fragment(request, "clients/list.html", "clients/_rows.html", context)


@get("/clients", name="clients.list", opt=NURSES, sync_to_thread=True, include_in_schema=False)
def client_list(request: Request, session: Unit, user: Caller) -> Template:
    return _list(request, session, user, "")


# Searching posts the name: names never travel in URLs (history, proxies, logs).
@post(
    "/clients",
    name="clients.search",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
    status_code=200,
)
def client_search(
    request: Request, data: Annotated[SearchData, FORM], session: Unit, user: Caller
) -> Template:
    return _list(request, session, user, data.q[:80])


@get("/clients/new", name="clients.new", opt=NURSES, include_in_schema=False)
async def new_client(request: Request) -> Template:
    return render(request, "clients/form.html", {"form": service.ClientForm()})


@post("/clients/new", name="clients.create", opt=NURSES, sync_to_thread=True, include_in_schema=False)
def create_client(
    request: Request, data: Annotated[ClientFormData, FORM], session: Unit, user: Caller
) -> Template | Redirect:
    fields: dict[str, Any] = {k: str(v)[:200] for k, v in data.__dict__.items()}
    form = service.ClientForm(**fields)
    client = service.create(session, user, form)
    if client is None:
        return render(request, "clients/form.html", {"form": form}, status_code=422)
    return Redirect(request.app.route_reverse("clients.show", client_id=client.id), status_code=303)


@get(
    "/clients/{client_id:str}", name="clients.show", opt=NURSES, sync_to_thread=True, include_in_schema=False
)
def client_detail(request: Request, client_id: FromPath[str], session: Unit, user: Caller) -> Template:
    context = _detail_context(session, user, client_id)
    return render(request, "clients/detail.html", context)


def _detail_context(session: Session, user: CurrentUser, client_id: str) -> dict:
    client = service.open_client(session, user, client_id)
    return {
        "client": client,
        "municipalities": MUNICIPALITIES,
        **service.page_parts(session, user, client_id),  # the screenings (provided by screening)
    }


@get(
    "/clients/{client_id:str}/export",
    name="clients.export",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def export_client(client_id: FromPath[str], session: Unit, user: Caller) -> Response:
    """Everything held about the client, as a JSON file (the right of access)."""
    data = erasure.export(session, user, client_id)
    return Response(
        data,
        media_type=MediaType.JSON,
        headers={"Content-Disposition": 'attachment; filename="passerelle-client.json"'},
    )


@post(
    "/clients/{client_id:str}/erase",
    name="clients.erase",
    opt=NURSES,
    sync_to_thread=True,
    include_in_schema=False,
)
def erase_client(
    request: Request,
    client_id: FromPath[str],
    data: Annotated[EraseData, FORM],
    session: Unit,
    user: Caller,
) -> Template | Redirect:
    if data.confirm != "yes":
        problem = N_("Tick the box to confirm that the client asked for erasure.")
        context = {**_detail_context(session, user, client_id), "erase_error": problem}
        return render(request, "clients/detail.html", context, status_code=422)
    erasure.erase(session, user, client_id)
    return Redirect(request.app.route_reverse("clients.list"), status_code=303)


ROUTES = [client_list, client_search, new_client, create_client, client_detail, export_client, erase_client]
