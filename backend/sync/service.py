"""Applies a batch of offline records with the same code as the online path. Each record is
atomic on its own (a savepoint: all it creates, or nothing); records are committed a few dozen
at a time, so a batch costs a handful of commits instead of one per record while no write lock
is held for long. Exactly once: a record id already applied answers `duplicate` (or `rejected`
if its content differs); the `sync_record` row is committed together with what it created.
References inside a batch resolve by the device's ids, whatever the batch order: clients are
applied first, then screenings, then referrals."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.service import CurrentUser
from backend.clients.api import ClientIn, create_client
from backend.db.engine import session_scope
from backend.db.rows import insert_rows
from backend.errors import DomainError, InvalidInput
from backend.i18n import N_, translate
from backend.referrals.api import ConsentIn, OfferChoice, ReferralsIn, send_referrals
from backend.referrals.consent import DEFAULT_SCOPE
from backend.screening.api import ScreeningIn, create_screening
from backend.sync.models import SyncRecord
from backend.system.errors import message_of

ORDER = {"client": 0, "screening": 1, "referral": 2}
MAX_RECORDS = 500
COMMIT_EVERY = 50  # records per transaction: few commits, and no write lock held for long
CHANGED = N_("This record was received before with different content. It was not changed.")


@dataclass
class Outcome:
    id: str
    status: str  # accepted | duplicate | rejected
    error: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def digest(kind: str, data: dict[str, Any]) -> str:
    canonical = json.dumps({"type": kind, "data": data}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _need(data: dict[str, Any], name: str) -> Any:
    if name not in data or data[name] in (None, ""):
        raise InvalidInput(N_("This value is missing or has the wrong type."), field=name)
    return data[name]


def _apply(session, user: CurrentUser, record_id: str, kind: str, data: dict[str, Any], locale: str) -> None:  # noqa: ANN001
    """The online path's own functions, with the device's id."""
    if kind == "client":
        create_client(
            session,
            user,
            ClientIn(
                id=record_id,
                display_name=str(_need(data, "display_name")),
                birth_year=_need(data, "birth_year"),
                municipality=_need(data, "municipality"),
                language=str(_need(data, "language")),
                phone=data.get("phone"),
            ),
        )
    elif kind == "screening":
        answers = data.get("answers") or {}
        if not isinstance(answers, dict):
            raise InvalidInput(N_("This value is missing or has the wrong type."), field="answers")
        create_screening(
            session,
            user,
            ScreeningIn(
                id=record_id,
                client_id=str(_need(data, "client_id")),
                instrument_id=str(_need(data, "instrument_id")),
                instrument_version=str(_need(data, "instrument_version")),
                answers=answers,
                strengths=data.get("strengths"),
                status=str(data.get("status") or "completed"),
            ),
        )
    else:
        consent = data.get("consent") or {}
        if not isinstance(consent, dict):
            raise InvalidInput(N_("This value is missing or has the wrong type."), field="consent")
        scope = consent.get("scope", list(DEFAULT_SCOPE))
        send_referrals(
            session,
            user,
            ReferralsIn(
                screening_id=str(_need(data, "screening_id")),
                offers=[
                    OfferChoice(
                        service_id=str(_need(data, "service_id")),
                        need_domain=str(_need(data, "need_domain")),
                        id=record_id,
                    )
                ],
                consent=ConsentIn(
                    confirmed=consent.get("confirmed") is True,
                    given_by=str(consent.get("given_by", "client")),
                    method=str(consent.get("method", "verbal")),
                    given_on=consent.get("given_on"),
                    scope=scope if isinstance(scope, list) else [],
                ),
                note=data.get("note"),
                accept_warnings=data.get("accept_warnings") is True,
            ),
            locale,
            date.today(),
        )


Seen = tuple[str, int | None]  # a received record's digest and organisation


def _one(
    session: Session, user: CurrentUser, record: dict[str, Any], locale: str, known: dict[str, Seen]
) -> Outcome:
    record_id, kind, data = record["id"], record["type"], record["data"]
    fingerprint = digest(kind, data)
    seen = known.get(record_id)
    if seen is not None:
        return _again(seen, fingerprint, user, record_id, locale)
    try:
        with session.begin_nested():
            _apply(session, user, record_id, kind, data, locale)
            insert_rows(
                session,
                SyncRecord,
                {
                    "id": record_id,
                    "type": kind,
                    "digest": fingerprint,
                    "user_id": user.id,
                    "organisation_id": user.organisation_id,
                    "device_created_at": parse_created_at(record.get("created_at")),
                },
            )
    except InvalidInput as error:
        errors = {k: translate(locale, v) for k, v in error.fields.items()}
        return Outcome(record_id, "rejected", message_of(error, locale), errors)
    except DomainError as error:
        return Outcome(record_id, "rejected", message_of(error, locale))
    except IntegrityError:  # another request applied the same id at the same moment
        seen = _received(session, [record_id]).get(record_id)
        if seen is not None:
            return _again(seen, fingerprint, user, record_id, locale)
        return Outcome(record_id, "rejected", translate(locale, CHANGED))
    known[record_id] = (fingerprint, user.organisation_id)  # the same id twice in a batch: a replay
    return Outcome(record_id, "accepted")


def _received(session: Session, ids: list[str]) -> dict[str, Seen]:
    query = select(SyncRecord.id, SyncRecord.digest, SyncRecord.organisation_id).where(
        col(SyncRecord.id).in_(ids)
    )
    return {row[0]: (row[1], row[2]) for row in session.exec(query)}


def _again(seen: Seen, fingerprint: str, user: CurrentUser, record_id: str, locale: str) -> Outcome:
    if seen == (fingerprint, user.organisation_id):
        return Outcome(record_id, "duplicate")
    return Outcome(record_id, "rejected", translate(locale, CHANGED))


def apply_batch(
    engine: Engine, user: CurrentUser, records: list[dict[str, Any]], locale: str
) -> list[Outcome]:
    """Every record answered, in the batch's order; dependencies applied first."""
    results: dict[int, Outcome] = {}
    order = sorted(range(len(records)), key=lambda i: ORDER.get(records[i]["type"], 9))
    # One session for the batch, committed every COMMIT_EVERY records, that holds on to what
    # it loads or creates: a visit's later records find their screening, client and offer in
    # it instead of reading them again. (A session's identity map holds objects only weakly.)
    with session_scope(engine, writes=True) as session:
        _hold_objects(session)
        for start in range(0, len(order), COMMIT_EVERY):
            chunk = order[start : start + COMMIT_EVERY]
            known = _received(session, [records[i]["id"] for i in chunk])
            for index in chunk:
                results[index] = _one(session, user, records[index], locale, known)
            session.commit()
    return [results[i] for i in range(len(records))]


def _hold_objects(session: Session) -> None:
    """SQLAlchemy's recipe for a session that references its objects strongly."""
    held = session.info.setdefault("held", {})

    def hold(_session: Session, instance: Any) -> None:
        held[id(instance)] = instance

    for name in ("pending_to_persistent", "loaded_as_persistent", "detached_to_persistent"):
        event.listen(session, name, hold)


def parse_created_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
