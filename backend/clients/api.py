"""/api/v1/clients: the nurse's clients as JSON (cookie session with CSRF, or a bearer token)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import get, post
from litestar.params import FromPath, JSONBody

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.clients import service
from backend.clients.models import Client
from backend.clients.service import ClientIn, create_client
from backend.deps import Caller, Unit

NURSES = allow(Role.NURSE)
# A client-made id that is taken, whoever took it: the same answer for one's own record and
# another organisation's, and no word of a record existing (the id space is shared).


@dataclass
class ClientOut:
    id: str
    display_name: str
    birth_year: int
    municipality: int
    language: str
    phone: str | None

    @classmethod
    def of(cls, client: Client) -> ClientOut:
        return cls(
            client.id,
            client.display_name,
            client.birth_year,
            client.municipality,
            client.language,
            client.phone,
        )


@get("/api/v1/clients", name="clients.api.list", opt=NURSES, sync_to_thread=True, tags=["Clients"])
def list_clients(session: Unit, user: Caller) -> list[ClientOut]:
    """The organisation's clients, newest first (at most 200). Names are never searched by URL."""
    return [ClientOut.of(c) for c in service.search(session, user, limit=200)]


@post(
    "/api/v1/clients",
    name="clients.api.create",
    opt=NURSES,
    sync_to_thread=True,
    tags=["Clients"],
    status_code=201,
)
def post_client(data: JSONBody[ClientIn], session: Unit, user: Caller) -> ClientOut:
    return ClientOut.of(create_client(session, user, data))


@get(
    "/api/v1/clients/{client_id:str}",
    name="clients.api.show",
    opt=NURSES,
    sync_to_thread=True,
    tags=["Clients"],
)
def get_client(client_id: FromPath[str], session: Unit, user: Caller) -> ClientOut:
    return ClientOut.of(service.open_client(session, user, client_id))


ROUTES = [list_clients, post_client, get_client]
