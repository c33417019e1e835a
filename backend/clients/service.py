"""Clients of one organisation: create, find, open (each opening is audited). No HTTP."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from backend.accounts.service import CurrentUser
from backend.api_types import ID_UNUSABLE, checked_uuid, id_taken
from backend.audit.models import record
from backend.clients.models import Client
from backend.errors import InvalidInput, NotFound
from backend.geo.reference import find_municipality
from backend.i18n import N_
from backend.vocab import SPOKEN_LANGUAGES

LANGUAGES = (*SPOKEN_LANGUAGES, "other")
SWISS_PHONE = re.compile(r"^(\+41|0041|0)[1-9][0-9]{8}$")
INTERNATIONAL_PHONE = re.compile(r"^(\+|00)[1-9][0-9]{6,14}$")


def normalise_phone(raw: str) -> str | None:
    """+41 79 123 45 67 from what people type (spaces, dots, dashes, brackets); None if invalid."""
    # "+41 (0)79 …" is a common way of writing the trunk zero that callers from abroad drop.
    digits = re.sub(r"[\s().-]", "", raw.replace("(0)", ""))
    if SWISS_PHONE.match(digits):
        national = digits[-9:]
        return f"+41 {national[:2]} {national[2:5]} {national[5:7]} {national[7:]}"
    if INTERNATIONAL_PHONE.match(digits):
        return "+" + digits.lstrip("+").removeprefix("00")
    return None


@dataclass
class ClientForm:
    display_name: str = ""
    birth_year: str = ""
    municipality: str = ""
    language: str = "de"
    phone: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self, today: date | None = None) -> dict[str, Any]:
        """The clean values; fills `errors` (field → msgid) with what is wrong."""
        year_now = (today or date.today()).year
        values: dict[str, object] = {}
        name = " ".join(self.display_name.split())
        if not name:
            self.errors["display_name"] = N_("Enter a name or initials.")
        elif len(name) > 80:
            self.errors["display_name"] = N_("At most 80 characters.")
        values["display_name"] = name
        year = self.birth_year.strip()
        if not (year.isdigit() and year_now - 120 <= int(year) <= year_now):
            self.errors["birth_year"] = N_("Enter the year of birth with four digits, e.g. 1944.")
        else:
            values["birth_year"] = int(year)
        place = find_municipality(self.municipality) if self.municipality.strip() else None
        if place is None:
            self.errors["municipality"] = N_(
                "We do not know this municipality in the canton of Bern. Type its name or postal code."
            )
        else:
            values["municipality"] = place.bfs_number
        if self.language not in LANGUAGES:
            self.errors["language"] = N_("Unknown language.")
        values["language"] = self.language
        values["phone"] = None
        if self.phone.strip():
            phone = normalise_phone(self.phone)
            if phone is None:
                self.errors["phone"] = N_("Enter a phone number such as 079 123 45 67 or +33 6 12 34 56 78.")
            values["phone"] = phone
        return values


def create(
    session: Session, user: CurrentUser, form: ClientForm, client_id: str | None = None
) -> Client | None:
    values = form.validate()
    if form.errors:
        return None
    client = Client(
        id=client_id or str(uuid.uuid4()),
        organisation_id=user.organisation_id or 0,
        created_by=user.id,
        **values,
    )
    session.add(client)
    session.flush()
    record(session, user.id, user.organisation_id, "create", "client", client.id)
    return client


def search(session: Session, user: CurrentUser, query: str = "", limit: int = 50) -> list[Client]:
    """The organisation's clients, newest first; `query` matches the start of a name word."""
    statement = select(Client).where(Client.organisation_id == user.organisation_id)
    query = query.strip()[:80]
    if query:
        pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(
            col(Client.display_name).ilike(f"{pattern}%", escape="\\")
            | col(Client.display_name).ilike(f"% {pattern}%", escape="\\")
        )
    return list(session.exec(statement.order_by(col(Client.created_at).desc()).limit(limit)).all())


def open_client(session: Session, user: CurrentUser, client_id: str) -> Client:
    """One client of the user's own organisation; every opening is written to the audit log.
    Another organisation's client is 'not found': its existence is not revealed either."""
    client = session.get(Client, client_id)
    if client is None or client.organisation_id != user.organisation_id:
        raise NotFound(N_("No such client in your organisation."))
    record(session, user.id, user.organisation_id, "view", "client", client.id)
    return client


@dataclass
class ClientIn:
    """A client as the API and an offline device send it."""

    display_name: str
    birth_year: int
    municipality: int | str  # BFS number, name or postal code
    language: str
    phone: str | None = None
    id: str | None = None  # a UUID made on the device, or none to let the server choose


def form_of(data: ClientIn) -> ClientForm:
    """The API's body as the same form the page validates, so both reject the same things."""
    return ClientForm(
        display_name=str(data.display_name)[:200],
        birth_year=str(data.birth_year),
        municipality=str(data.municipality)[:200],
        language=str(data.language)[:10],
        phone=str(data.phone or "")[:40],
    )


def create_client(session: Session, user: CurrentUser, data: ClientIn) -> Client:
    """Validates and creates (the API, sync), or raises InvalidInput naming every wrong field."""
    client_id = checked_uuid(data.id)
    if client_id and id_taken(session, Client, client_id):
        raise InvalidInput(ID_UNUSABLE, field="id")
    form = form_of(data)
    client = create(session, user, form, client_id)
    if client is None:
        raise InvalidInput(N_("Please check the marked fields."), fields=form.errors)
    return client


# What the capabilities above add to a client's page (e.g. {"screenings": [...]}), provided at
# start-up by backend/capabilities.py: the client capability knows none of them.
PagePart = Callable[[Session, CurrentUser, str], dict[str, Any]]
_page_parts: list[PagePart] = []


def provide_page_part(part: PagePart) -> None:
    """Idempotent; parts are added in the order provided."""
    if part not in _page_parts:
        _page_parts.append(part)


def page_parts(session: Session, user: CurrentUser, client_id: str) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    for part in _page_parts:
        parts.update(part(session, user, client_id))
    return parts
