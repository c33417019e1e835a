"""Follow-ups: made due when a screening's referrals have all closed, listed, recorded, skipped;
the client's export and erasure parts. No HTTP. The due rule itself is pure (due.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, delete, select

from backend import events
from backend.accounts.models import Organisation
from backend.accounts.service import CurrentUser
from backend.audit.models import record
from backend.clients.erasure import ClientErasing, as_row
from backend.clients.models import Client
from backend.db.types import utcnow
from backend.directory.models import DirectoryService
from backend.errors import Conflict, InvalidInput, NotFound
from backend.followup import due
from backend.followup.events import FollowUpRecorded, FollowUpSkipped, NeedOutcome
from backend.followup.models import FollowUp
from backend.geo.reference import MUNICIPALITIES
from backend.i18n import N_, TIMEZONE
from backend.referrals.events import ReferralStatusChanged
from backend.referrals.models import Referral
from backend.referrals.states import CLOSED
from backend.screening import wellbeing
from backend.screening.answers import answer_problems
from backend.screening.instruments import all_instruments, repeat_key
from backend.screening.models import Screening
from backend.screening.rules import enabled_answers
from backend.screening.service import NURSE_INSTRUMENT
from backend.vocab import life_phase_for_age

INSTRUMENT = "follow-up"
AUDIT_SUBJECT = "follow_up"
DUE_LIST_LIMIT = 200


def bern_date(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(TIMEZONE)).date()


def today() -> date:
    return bern_date(utcnow())


# --- Becoming due -------------------------------------------------------------------------


def _referrals_of(session: Session, screening_id: str) -> list[Referral]:
    query = select(Referral).where(Referral.screening_id == screening_id).order_by(col(Referral.created_at))
    return list(session.exec(query).all())


def _weeks(session: Session, organisation_id: int | None) -> int:
    organisation = session.get(Organisation, organisation_id) if organisation_id is not None else None
    return organisation.follow_up_weeks if organisation is not None else due.DEFAULT_WEEKS


def on_status_changed(session: Session, event: ReferralStatusChanged) -> None:
    """A referral of a nurse screening closed: once none of the screening's referrals is open,
    its follow-up is due (made once; while still due, its needs and reason follow later
    closings, e.g. of a proposal forwarded after a rejection)."""
    referral = event.referral
    if event.status not in CLOSED or referral.screening_id is None or referral.source == "self-check":
        return
    # Locks the screening's row (PostgreSQL): two of its referrals closing at once are handled one
    # after the other, so the second sees the first closed and neither makes a second follow-up.
    screening = session.exec(
        select(Screening).where(Screening.id == referral.screening_id).with_for_update()
    ).first()
    if screening is None or screening.instrument_id != NURSE_INSTRUMENT:
        return
    states = [
        due.ReferralState(r.status, r.outcome, r.need_domain) for r in _referrals_of(session, screening.id)
    ]
    found = due.plan(states, bern_date(event.at), _weeks(session, referral.organisation_id))
    if found is None:
        return
    existing = session.exec(select(FollowUp).where(FollowUp.screening_id == screening.id)).first()
    if existing is None:
        session.add(
            FollowUp(
                id=str(uuid.uuid4()),
                organisation_id=screening.organisation_id,
                client_id=screening.client_id,
                screening_id=screening.id,
                reason=found.reason,
                needs=found.needs,
                due_on=found.due_on,
            )
        )
    elif existing.status == due.DUE:
        existing.reason, existing.needs, existing.due_on = found.reason, found.needs, found.due_on
        existing.updated_at = utcnow()


# --- Reading --------------------------------------------------------------------------------


@dataclass
class DueRow:
    follow_up: FollowUp
    client_name: str  # as the nurse entered it: initials or a name
    days: int  # how long it has been due (0: today)


def listed(
    session: Session,
    user: CurrentUser,
    due_only: bool,
    client_id: str | None = None,
    limit: int = DUE_LIST_LIMIT,
) -> list[FollowUp]:
    """The organisation's follow-ups (one client's with `client_id`: what a tablet takes along),
    the due ones (due_on today or earlier, still due) with `due_only`; oldest due first."""
    query = select(FollowUp).where(FollowUp.organisation_id == user.organisation_id)
    if client_id is not None:
        query = query.where(FollowUp.client_id == client_id)
    if due_only:
        query = query.where(FollowUp.status == due.DUE, col(FollowUp.due_on) <= today())
    return list(session.exec(query.order_by(col(FollowUp.due_on), col(FollowUp.id)).limit(limit)).all())


def due_by_client(session: Session, user: CurrentUser, limit: int = 20) -> list[DueRow]:
    """The start page's list: due follow-ups with the client's name as the nurse entered it."""
    now = today()
    query = (
        select(FollowUp, Client.display_name)
        .join(Client, col(Client.id) == col(FollowUp.client_id))
        .where(FollowUp.organisation_id == user.organisation_id)
        .where(FollowUp.status == due.DUE, col(FollowUp.due_on) <= now)
        .order_by(col(FollowUp.due_on), col(FollowUp.id))
        .limit(limit)
    )
    return [DueRow(f, name, due.overdue_days(f.due_on, now)) for f, name in session.exec(query).all()]


def own_follow_up(session: Session, user: CurrentUser, follow_up_id: str, lock: bool = False) -> FollowUp:
    """A follow-up of the user's own organisation (another's is 'not found'). Not audited by
    itself: callers record what they do with it. `lock` for recording or skipping: the row is
    locked until the unit ends (PostgreSQL: FOR UPDATE), so of two nurses (or a nurse and her
    tablet's sync) recording it at once the second sees it done and gets 409, not a second count."""
    follow_up = session.get(FollowUp, follow_up_id, with_for_update=lock or None)
    if follow_up is None or follow_up.organisation_id != user.organisation_id:
        raise NotFound(N_("No such follow-up in your organisation."))
    return follow_up


def open_follow_up(session: Session, user: CurrentUser, follow_up_id: str, lock: bool = False) -> FollowUp:
    """A follow-up to show: every opening is written to the audit log."""
    follow_up = own_follow_up(session, user, follow_up_id, lock)
    record(session, user.id, user.organisation_id, "view", AUDIT_SUBJECT, follow_up.id)
    return follow_up


# --- The instrument, one copy of the repeated items per need ---------------------------------


def instrument() -> dict[str, Any]:
    return all_instruments()[INSTRUMENT]


def expand(
    instrument: dict[str, Any], needs: list[str], label: Callable[[str, str], str] | None = None
) -> dict[str, Any]:
    """The instrument with each repeated item (`"repeat": "need"`) asked once per need, under
    the linkId `"<linkId>:<need>"`; `label(need, text)` names the need in the question. The
    answers, the checks (answer_problems) and the form (screening.form) then work unchanged."""
    items: list[dict[str, Any]] = []
    repeated = [item for item in instrument["items"] if item.get("repeat") == "need"]
    for item in instrument["items"]:
        if item.get("repeat") != "need":
            items.append(item)
        elif item is repeated[0]:  # all repeated items of a need together, need by need
            for need in needs:
                for each in repeated:
                    copy = {k: v for k, v in each.items() if k != "repeat"}
                    copy["linkId"], copy["need"] = repeat_key(each["linkId"], need), need
                    if label is not None:
                        copy["text"] = label(need, each["text"])
                    items.append(copy)
    return {**instrument, "items": items}


# --- Recording and skipping -------------------------------------------------------------------


def _place(session: Session, client_id: str, at: datetime) -> tuple[str, str, str]:
    """District, life phase and language of the client now, as the screening tallies use them."""
    client = session.get(Client, client_id)
    if client is None:
        return "", "", ""
    place = MUNICIPALITIES.get(client.municipality)
    age = at.year - client.birth_year
    return (
        (place.district if place else ""),
        (life_phase_for_age(age) if 0 <= age <= 120 else ""),
        client.language,
    )


def wellbeing_change(baseline: dict[str, int | None], now: dict[str, int | None]) -> dict[str, int | None]:
    """Follow-up minus baseline per score; None where either is missing. Pure."""
    change: dict[str, int | None] = {}
    for key, after in now.items():
        before = baseline.get(key)
        change[key] = after - before if after is not None and before is not None else None
    return change


def _baseline_scores(session: Session, screening_id: str) -> dict[str, int | None]:
    screening = session.get(Screening, screening_id)
    nurse = all_instruments().get(screening.instrument_id) if screening else None
    if screening is None or nurse is None:
        return {}
    return wellbeing.scores(nurse, screening.answers)


def _need_outcomes(
    session: Session, follow_up: FollowUp, answers: dict[str, Any]
) -> tuple[tuple[NeedOutcome, ...], int]:
    referrals = _referrals_of(session, follow_up.screening_id)
    types = {
        s.id: s.service_type
        for s in session.exec(
            select(DirectoryService).where(col(DirectoryService.id).in_({r.service_id for r in referrals}))
        ).all()
    }
    outcomes = []
    for need in follow_up.needs:
        mine = [r for r in referrals if r.need_domain == need]
        outcomes.append(
            NeedOutcome(
                need_domain=need,
                change=answers.get(repeat_key("need-change", need)),
                offer_use=answers.get(repeat_key("offer-use", need)),
                offer_types=tuple(sorted({types[r.service_id] for r in mine if r.service_id in types})),
                helped=any(due.helped(due.ReferralState(r.status, r.outcome, need)) for r in mine),
            )
        )
    closed = sum(1 for r in referrals if r.status in CLOSED)
    return tuple(outcomes), closed


def recorded_moment(follow_up: FollowUp, device_at: datetime | None, now: datetime) -> datetime:
    """When the follow-up was asked: the time the device recorded it (offline), as long as the
    server cannot prove that clock wrong — not after now and not before the follow-up existed
    (a tablet takes it along at most 14 days before it is due, so before `due_on` is possible).
    A provably wrong device time, or none (sync gives none for a time without a zone), gives the
    server's time, as an online recording."""
    if device_at is None or device_at > now or device_at < follow_up.created_at:
        return now
    return device_at


def _must_be_due(follow_up: FollowUp) -> None:
    if follow_up.status != due.DUE:
        raise Conflict(N_("This follow-up has already been recorded or skipped."))


def record_answers(
    session: Session,
    user: CurrentUser,
    follow_up: FollowUp,
    answers: dict[str, Any],
    device_at: datetime | None = None,
) -> FollowUp:
    """Stores the answers (every one checked first: a rejected one saves nothing) and records
    FollowUpRecorded with the paired wellbeing change, dated when it was asked (`device_at`:
    recorded offline, see recorded_moment)."""
    _must_be_due(follow_up)
    form = instrument()
    expanded = expand(form, follow_up.needs)
    answers = {k: v for k, v in answers.items() if v not in (None, "", [])}
    problems = answer_problems(expanded, answers)
    if problems:
        raise InvalidInput(
            N_("Some answers do not fit their question. Please check them."),
            fields=dict(problems),
        )
    now = utcnow()
    asked = recorded_moment(follow_up, device_at, now)
    follow_up.answers = enabled_answers(expanded, answers)
    follow_up.status, follow_up.instrument_version = due.DONE, form["version"]
    follow_up.recorded_by, follow_up.recorded_at, follow_up.updated_at = user.id, asked, now
    record(session, user.id, user.organisation_id, "update", AUDIT_SUBJECT, follow_up.id)
    district, life_phase, language = _place(session, follow_up.client_id, asked)
    needs, closed = _need_outcomes(session, follow_up, follow_up.answers)
    new_needs = follow_up.answers.get("new-needs")
    events.record(
        session,
        FollowUpRecorded(
            organisation_id=follow_up.organisation_id,
            at=asked,
            reason=follow_up.reason,
            district=district,
            life_phase=life_phase,
            language=language,
            referrals=closed,
            needs=needs,
            help_elsewhere=follow_up.answers.get("help-elsewhere"),
            new_needs=new_needs if isinstance(new_needs, bool) else None,
            wellbeing_change=wellbeing_change(
                _baseline_scores(session, follow_up.screening_id), wellbeing.scores(form, follow_up.answers)
            ),
        ),
    )
    return follow_up


def skip(
    session: Session,
    user: CurrentUser,
    follow_up: FollowUp,
    reason: str | None,
    device_at: datetime | None = None,
) -> FollowUp:
    """Closes the follow-up unasked, dated as record_answers does."""
    if reason not in due.SKIP_REASONS:
        raise InvalidInput(N_("Choose why the follow-up is not asked."), field="skip_reason")
    _must_be_due(follow_up)
    now = utcnow()
    asked = recorded_moment(follow_up, device_at, now)
    follow_up.status, follow_up.skip_reason = due.SKIPPED, reason
    follow_up.recorded_by, follow_up.recorded_at, follow_up.updated_at = user.id, asked, now
    record(session, user.id, user.organisation_id, "update", AUDIT_SUBJECT, follow_up.id)
    district, life_phase, _ = _place(session, follow_up.client_id, asked)
    closed = sum(1 for r in _referrals_of(session, follow_up.screening_id) if r.status in CLOSED)
    events.record(
        session,
        FollowUpSkipped(
            follow_up.organisation_id,
            asked,
            follow_up.reason,
            reason,
            district,
            life_phase,
            closed,
            tuple(follow_up.needs),
        ),
    )
    return follow_up


# --- What the client capability asks of follow-ups (wired by backend/capabilities.py) --------


def export_part(session: Session, client: Client) -> dict[str, Any]:
    rows = session.exec(select(FollowUp).where(FollowUp.client_id == client.id)).all()
    return {"follow_ups": [as_row(f) for f in rows]}


def on_client_erasing(session: Session, event: ClientErasing) -> None:
    """The follow-ups go with the client (before the screenings they refer to); the anonymous
    tallies stay."""
    session.flush()  # a follow-up made just now, as erasing cancelled the open referrals
    session.exec(delete(FollowUp).where(col(FollowUp.client_id) == event.client.id))


SUBSCRIPTIONS: list[tuple[type, Any]] = [
    (ReferralStatusChanged, on_status_changed),
    (ClientErasing, on_client_erasing),
]
