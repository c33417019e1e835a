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
import logging
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from msgspec.structs import asdict
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from backend.accounts.service import CurrentUser
from backend.api_types import ID_UNUSABLE
from backend.clients.service import ClientIn, create_client
from backend.db import deferred
from backend.db.engine import is_unavailable, session_scope
from backend.db.rows import insert_rows
from backend.errors import DomainError, InvalidInput, message_of
from backend.followup import service as followup
from backend.i18n import N_, translate
from backend.referrals.service import ConsentIn, OfferChoice, ReferralsIn, send_referrals
from backend.screening.service import ScreeningIn, create_screening
from backend.sync.models import SyncRecord
from backend.sync.schema import (
    Checked,
    ClientData,
    FollowUpData,
    ReferralData,
    ScreeningData,
    answer_id,
    check,
)
from backend.system import metrics

log = logging.getLogger("passerelle.sync")

ORDER = {"client": 0, "screening": 1, "referral": 2, "follow_up": 3}
COMMIT_EVERY = 50  # records per transaction: few commits, and no write lock held for long
CHANGED = N_("This record was received before with different content. It was not changed.")
NOT_ACCEPTED = N_("The server could not accept this record.")
ANSWERS_OR_SKIP = N_("A follow-up is either answered or skipped, not both.")


@dataclass
class Outcome:
    id: str
    status: Literal["accepted", "duplicate", "rejected"]
    error: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def digest(kind: str, data: dict[str, Any]) -> str:
    canonical = json.dumps({"type": kind, "data": data}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _apply(session: Session, user: CurrentUser, record: Checked, locale: str) -> None:
    """The online path's own functions, with the device's id."""
    data = record.typed
    if isinstance(data, ClientData):  # the same fields as the API's bodies: nothing to copy by hand
        create_client(session, user, ClientIn(id=record.id, **asdict(data)))
    elif isinstance(data, ScreeningData):
        create_screening(session, user, ScreeningIn(id=record.id, **asdict(data)))
    elif isinstance(data, ReferralData):
        send_referrals(
            session,
            user,
            ReferralsIn(
                screening_id=data.screening_id,
                offers=[OfferChoice(service_id=data.service_id, need_domain=data.need_domain, id=record.id)],
                consent=ConsentIn(**asdict(data.consent)),
                note=data.note,
                accept_warnings=data.accept_warnings,
            ),
            locale,
            date.today(),
        )
    elif isinstance(data, FollowUpData):  # unknown, another organisation's or no longer due: rejected
        follow_up = followup.own_follow_up(session, user, data.follow_up_id, lock=True)
        if data.skip_reason is not None and data.answers:
            raise InvalidInput(ANSWERS_OR_SKIP, fields={"skip_reason": ANSWERS_OR_SKIP})
        recorded = parse_created_at(record.created_at)  # when the nurse recorded it on the device
        if data.skip_reason is not None:
            followup.skip(session, user, follow_up, data.skip_reason, recorded)
        else:
            followup.record_answers(session, user, follow_up, dict(data.answers), recorded)


Seen = tuple[str, int | None]  # a received record's digest and organisation


def _one(
    session: Session, user: CurrentUser, record: Checked, locale: str, known: dict[str, Seen]
) -> Outcome:
    fingerprint = digest(record.type, record.data)
    seen = known.get(record.id)
    if seen is not None:
        return _again(seen, fingerprint, user, record.id, locale)
    try:
        with deferred.savepoint(session):  # undoes its rows and its report counts
            _apply(session, user, record, locale)
            insert_rows(
                session,
                SyncRecord,
                {
                    "id": record.id,
                    "type": record.type,
                    "digest": fingerprint,
                    "user_id": user.id,
                    "organisation_id": user.organisation_id,
                    "device_created_at": parse_created_at(record.created_at),
                },
            )
    except InvalidInput as error:
        return _rejected(record.id, error, locale)
    except DomainError as error:
        if error.status_code >= 500:  # the database is busy: the whole batch is tried again later
            raise
        return Outcome(record.id, "rejected", message_of(error, locale))
    except IntegrityError:  # another request applied the same id at the same moment
        seen = _received(session, [record.id]).get(record.id)
        if seen is not None:
            return _again(seen, fingerprint, user, record.id, locale)
        return Outcome(record.id, "rejected", translate(locale, CHANGED))
    except OperationalError:  # the database, not this record: the batch fails and is resent
        raise
    except Exception as error:
        if is_unavailable(error):  # the connection was lost while undoing the record: resent too
            raise
        # Its type and where it happened only: messages may quote the record's values.
        log.error(
            "sync record %s (%s) not applied: %s\n%s",
            record.id,
            record.type,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        return Outcome(record.id, "rejected", translate(locale, NOT_ACCEPTED))
    known[record.id] = (fingerprint, user.organisation_id)  # the same id twice in a batch: a replay
    return Outcome(record.id, "accepted")


def _rejected(record_id: str, error: InvalidInput, locale: str) -> Outcome:
    errors = {k: translate(locale, v) for k, v in error.fields.items()}
    return Outcome(record_id, "rejected", message_of(error, locale), errors)


def _received(session: Session, ids: list[str]) -> dict[str, Seen]:
    query = select(SyncRecord.id, SyncRecord.digest, SyncRecord.organisation_id).where(
        col(SyncRecord.id).in_(ids)
    )
    return {row[0]: (row[1], row[2]) for row in session.exec(query)}


def _again(seen: Seen, fingerprint: str, user: CurrentUser, record_id: str, locale: str) -> Outcome:
    if seen == (fingerprint, user.organisation_id):
        return Outcome(record_id, "duplicate")
    if seen[1] != user.organisation_id:  # another organisation's: say no more than for any taken id
        unusable = translate(locale, ID_UNUSABLE)
        return Outcome(record_id, "rejected", unusable, {"id": unusable})
    return Outcome(record_id, "rejected", translate(locale, CHANGED))


def apply_batch(engine: Engine, user: CurrentUser, raw: list[Any], locale: str) -> list[Outcome]:
    """Every record answered, in the batch's order; dependencies applied first. A record that
    does not fit its schema is answered before anything touches the database."""
    results: dict[int, Outcome] = {}
    records: dict[int, Checked] = {}
    for index, item in enumerate(raw):
        try:
            records[index] = check(item)
        except InvalidInput as error:
            results[index] = _rejected(answer_id(item), error, locale)
    order = sorted(records, key=lambda i: ORDER[records[i].type])
    # One session for the batch, committed every COMMIT_EVERY records, that holds on to what
    # it loads or creates: a visit's later records find their screening, client and offer in
    # it instead of reading them again. (A session's identity map holds objects only weakly.)
    with session_scope(engine, writes=True) as session:
        _hold_objects(session)
        for start in range(0, len(order), COMMIT_EVERY):
            chunk = order[start : start + COMMIT_EVERY]
            known = _received(session, [records[i].id for i in chunk])
            for index in chunk:
                results[index] = _one(session, user, records[index], locale, known)
            session.commit()
    answers = [results[i] for i in range(len(raw))]
    metrics.count_sync(answer.status for answer in answers)
    return answers


def _hold_objects(session: Session) -> None:
    """SQLAlchemy's recipe for a session that references its objects strongly."""
    held = session.info.setdefault("held", {})

    def hold(_session: Session, instance: Any) -> None:
        held[id(instance)] = instance

    for name in ("pending_to_persistent", "loaded_as_persistent", "detached_to_persistent"):
        event.listen(session, name, hold)


def parse_created_at(value: str | None) -> datetime | None:
    """The device's time of a record; None when missing, unreadable or without a time zone
    (a moment that cannot be placed)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
