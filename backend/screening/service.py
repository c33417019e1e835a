"""The nurse's screening: start, save answers as a draft, complete, discard. No HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, delete, select

from backend import events
from backend.accounts.service import CurrentUser
from backend.api_types import ID_UNUSABLE, checked_uuid, id_taken
from backend.audit.models import record
from backend.clients.erasure import ClientErasing, as_row
from backend.clients.models import Client
from backend.clients.service import open_client
from backend.db.types import utcnow
from backend.errors import Conflict, InvalidInput, NotFound
from backend.i18n import N_
from backend.screening import rules
from backend.screening.answers import answer_problems
from backend.screening.events import ScreeningCompleted
from backend.screening.instruments import all_instruments, serves
from backend.screening.models import Screening

NURSE_INSTRUMENT = "social-situation-short"


def instrument_of(screening: Screening) -> dict[str, Any]:
    instrument = all_instruments().get(screening.instrument_id)
    if instrument is None or not serves(instrument, screening.instrument_version):
        raise InvalidInput(N_("This screening uses an instrument version that no longer exists."))
    return instrument


def start(
    session: Session,
    user: CurrentUser,
    client_id: str,
    instrument_id: str = NURSE_INSTRUMENT,
    screening_id: str | None = None,
) -> Screening:
    client = open_client(session, user, client_id)
    instrument = all_instruments().get(instrument_id)
    if instrument is None:
        raise InvalidInput(N_("Unknown instrument."), field="instrument_id")
    screening = Screening(
        id=screening_id or str(uuid.uuid4()),
        organisation_id=client.organisation_id,
        client_id=client.id,
        instrument_id=instrument["id"],
        instrument_version=instrument["version"],
        created_by=user.id,
    )
    session.add(screening)  # inserted at the next flush: whole, when record_whole completes it
    record(session, user.id, user.organisation_id, "create", "screening", screening.id)
    return screening


def record_whole(
    session: Session,
    user: CurrentUser,
    client_id: str,
    instrument_id: str,
    instrument_version: str,
    answers: dict[str, Any],
    strengths: str | None = None,
    completed: bool = False,
    screening_id: str | None = None,
) -> Screening:
    """A whole screening at once (the API, an offline device): every answer is checked first,
    so a rejected one saves nothing."""
    instrument = all_instruments().get(instrument_id)
    if instrument is None:
        raise InvalidInput(N_("Unknown instrument."), field="instrument_id")
    if not serves(instrument, instrument_version):
        raise InvalidInput(
            N_("Unknown version %(version)s of this instrument; the current one is %(current)s."),
            field="instrument_version",
            version=str(instrument_version)[:20],
            current=instrument["version"],
        )
    answers = {k: v for k, v in answers.items() if v not in (None, "", [])}
    problems = answer_problems(instrument, answers)
    if problems:
        raise InvalidInput(
            N_("Some answers do not fit their question. Please check them."),
            fields={f"answers.{k}": v for k, v in problems.items()},
        )
    screening = start(session, user, client_id, instrument_id, screening_id)
    screening.instrument_version = instrument_version  # the version the answers were given to
    screening.answers = answers
    if completed:
        complete(session, user, screening, strengths)
    return screening


def own_screening(session: Session, user: CurrentUser, screening_id: str, lock: bool = False) -> Screening:
    """A screening of the user's own organisation (another's is 'not found'). Not audited by
    itself: callers record what they do with it (view, update, erase). `lock` for completing it:
    the row is locked until the unit ends (PostgreSQL: FOR UPDATE), so of two "Finish" at once the
    second sees it completed instead of completing (and counting) it again."""
    screening = session.get(Screening, screening_id, with_for_update=lock or None)
    if screening is None or screening.organisation_id != user.organisation_id:
        raise NotFound(N_("No such screening in your organisation."))
    return screening


def open_screening(session: Session, user: CurrentUser, screening_id: str) -> Screening:
    """A screening to show: every opening is written to the audit log."""
    screening = own_screening(session, user, screening_id)
    record(session, user.id, user.organisation_id, "view", "screening", screening.id)
    return screening


def save_answers(
    session: Session, user: CurrentUser, screening: Screening, answers: dict[str, Any]
) -> dict[str, str]:
    """Keeps the answers that fit (a draft never loses what was typed correctly) and returns
    the problems of the others, linkId → msgid."""
    if screening.status != "draft":
        raise Conflict(N_("This screening is completed and can no longer change."))
    instrument = instrument_of(screening)
    merged = {**screening.answers, **answers}
    merged = {k: v for k, v in merged.items() if v not in (None, "", [])}
    problems = answer_problems(instrument, merged)
    kept = {k: v for k, v in merged.items() if k not in problems}
    # Answers to follow-ups that no longer apply are dropped, not kept hidden.
    screening.answers = rules.enabled_answers(instrument, kept)
    screening.updated_at = utcnow()
    record(session, user.id, user.organisation_id, "update", "screening", screening.id)
    return {k: v for k, v in problems.items() if k in answers}


def complete(session: Session, user: CurrentUser, screening: Screening, strengths: str | None) -> Screening:
    if screening.status != "draft":
        return screening
    instrument = instrument_of(screening)
    problems = answer_problems(instrument, screening.answers)
    if problems:
        raise InvalidInput(N_("Some answers do not fit their question. Please check them."))
    result = rules.evaluate(instrument, screening.answers)
    screening.needs, screening.emergency = result["needs"], result["emergency"]
    screening.strengths = (strengths or "").strip()[:2000] or None
    screening.status, screening.completed_at = "completed", utcnow()
    record(session, user.id, user.organisation_id, "update", "screening", screening.id)
    events.record(session, ScreeningCompleted(screening, session.get(Client, screening.client_id)))
    return screening


def discard(session: Session, user: CurrentUser, screening_id: str) -> str:
    screening = own_screening(session, user, screening_id)
    if screening.status != "draft":
        raise Conflict(N_("Only drafts can be discarded."))
    client_id = screening.client_id
    session.delete(screening)
    record(session, user.id, user.organisation_id, "erase", "screening", screening_id)
    return client_id


def of_client(session: Session, user: CurrentUser, client_id: str) -> list[Screening]:
    query = (
        select(Screening)
        .where(Screening.client_id == client_id, Screening.organisation_id == user.organisation_id)
        .order_by(col(Screening.created_at).desc())
    )
    return list(session.exec(query).all())


@dataclass
class ScreeningIn:
    """A whole screening as the API and an offline device send it."""

    client_id: str
    instrument_id: str
    instrument_version: str
    answers: dict[str, Any] = field(default_factory=dict)  # linkId → answer (code, [codes], bool, int, text)
    strengths: str | None = None
    status: str = "completed"  # or "draft"
    id: str | None = None


def create_screening(session: Session, user: CurrentUser, data: ScreeningIn) -> Screening:
    """A whole screening (the API, sync), its id checked if the device chose one."""
    screening_id = checked_uuid(data.id)
    if screening_id and id_taken(session, Screening, screening_id):
        raise InvalidInput(ID_UNUSABLE, field="id")
    return record_whole(
        session,
        user,
        str(data.client_id),
        str(data.instrument_id),
        str(data.instrument_version),
        data.answers,
        data.strengths,
        completed=data.status != "draft",
        screening_id=screening_id,
    )


# What the client capability asks of screenings (wired at start-up by backend/capabilities.py).


def client_page_part(session: Session, user: CurrentUser, client_id: str) -> dict[str, Any]:
    """The client's page lists their screenings."""
    return {"screenings": of_client(session, user, client_id)}


def export_part(session: Session, client: Client) -> dict[str, Any]:
    screenings = session.exec(select(Screening).where(Screening.client_id == client.id)).all()
    return {"screenings": [as_row(s) for s in screenings]}


def on_client_erasing(session: Session, event: ClientErasing) -> None:
    """The screenings go with the client (referrals let go of them first)."""
    session.exec(delete(Screening).where(col(Screening.client_id) == event.client.id))


SUBSCRIPTIONS: list[tuple[type, Any]] = [(ClientErasing, on_client_erasing)]
