"""Case handling at the receiving organisation: the inbox, opening (→ received), accept,
reject (and forward), assign, contact attempts, internal notes, close with an outcome.
Every status change goes through the state machine (service.change_status). No HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from backend import events
from backend.accounts.models import Organisation, User
from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.audit.models import record
from backend.db.types import utcnow
from backend.directory.models import DirectoryOrganization, DirectoryService
from backend.errors import InvalidInput, NotFound
from backend.i18n import N_
from backend.referrals import states
from backend.referrals.events import ContactLogged, ReferralsOverdue
from backend.referrals.models import CaseNote, ContactAttempt, Referral, ReferralEvent, add_event
from backend.referrals.service import change_status, history, paused
from backend.vocab import LIFE_PHASES, life_phase_for_age

S = states.Status
REJECT_REASONS = states.REJECT_REASONS
OUTCOMES = states.OUTCOME_LABELS
CHANNELS = {
    "phone": N_("Phone"),
    "visit": N_("Visit"),
    "email": N_("E-mail"),
    "letter": N_("Letter"),
    "sms": N_("Text message"),
}
TABS = {
    "new": (S.REQUESTED,),
    "received": (S.RECEIVED,),
    "accepted": (S.ACCEPTED,),
    "in_progress": (S.IN_PROGRESS, S.ON_HOLD),
    "overdue": (S.REQUESTED, S.ACCEPTED),
    "closed": tuple(states.CLOSED),
}
TAB_LABELS = {
    "new": N_("New"),
    "received": N_("Received"),
    "accepted": N_("Accepted"),
    "in_progress": N_("In progress"),
    "overdue": N_("Overdue"),
    "closed": N_("Closed"),
}


def received_referral(session: Session, user: CurrentUser, referral_id: str, lock: bool = False) -> Referral:
    """A referral sent to the user's organisation; another's is 'not found', and so is a
    proposal not sent yet (a draft waits for the client's consent: until then the proposed
    organisation must not see it). The one door to a case: opening and every action. `lock`
    for an action: the row stays locked until the unit ends (service.own_referral)."""
    referral = session.get(Referral, referral_id, with_for_update=lock or None)
    if (
        referral is None
        or user.organisation_id is None
        or referral.receiving_organisation_id != user.organisation_id
        or referral.status == S.DRAFT
    ):
        raise NotFound(N_("No such referral in your organisation."))
    return referral


def open_case(session: Session, user: CurrentUser, referral_id: str) -> Referral:
    """Opening shows personal data: audited. A new referral becomes `received`."""
    referral = received_referral(session, user, referral_id)
    record(session, user.id, user.organisation_id, "view", "referral", referral.id)
    if referral.status == S.REQUESTED:
        # Two coordinators opening it at once: the second waits and finds it received already.
        session.refresh(referral, with_for_update=True)
        if referral.status == S.REQUESTED:
            change_status(session, user, referral, S.RECEIVED)
    return referral


def accept(session: Session, user: CurrentUser, referral: Referral) -> Referral:
    if referral.assigned_to is None:
        referral.assigned_to = user.id
    return change_status(session, user, referral, S.ACCEPTED)


def reject(
    session: Session,
    user: CurrentUser,
    referral: Referral,
    reason_code: str,
    text: str = "",
    forward_to: str | None = None,
) -> Referral | None:
    """Rejects with a reason; with `forward_to`, proposes another organisation's offer: a new
    referral in status `draft` that the referring organisation sends only after asking the
    client, because the consent named this organisation, not the next one. Returns it."""
    if reason_code not in REJECT_REASONS:
        raise InvalidInput(N_("Choose a reason."), field="reason")
    text = " ".join(text.split())[:900]
    if reason_code == "other" and not text:
        raise InvalidInput(N_("Please describe the reason."), field="reason_text")
    label = REJECT_REASONS[reason_code]
    referral.reject_reason = reason_code
    # The reason is the person's own words, or the label's msgid (shown translated).
    change_status(session, user, referral, S.REJECTED, text or label)
    if not forward_to:
        return None
    offer = session.get(DirectoryService, forward_to)
    if offer is None or offer.status != "active" or offer.id == referral.service_id:
        raise InvalidInput(N_("Choose another offer from the directory."), field="forward_to")
    if paused(offer, date.today()):
        raise InvalidInput(N_("This offer takes no new referrals at the moment."), field="forward_to")
    organization = session.get(DirectoryOrganization, offer.organization_id)
    proposal = Referral(
        id=str(uuid.uuid4()),
        source="forward",
        organisation_id=referral.organisation_id,
        client_id=referral.client_id,
        screening_id=referral.screening_id,
        service_id=offer.id,
        directory_organization_id=offer.organization_id,
        receiving_organisation_id=organization.organisation_id if organization else None,
        need_domain=referral.need_domain,
        district=referral.district,
        language=referral.language,
        status=S.DRAFT.value,
        forwarded_from=referral.id,
        shared={},  # filled when the referrer sends it with the client's consent
        created_by=referral.created_by,
    )
    session.add(proposal)
    session.flush()
    add_event(session, proposal.id, S.DRAFT.value, None, label, user.id, user.organisation_id)
    record(session, user.id, user.organisation_id, "create", "referral", proposal.id)
    return proposal


def colleagues(session: Session, user: CurrentUser) -> list[User]:
    query = select(User).where(
        User.organisation_id == user.organisation_id,
        col(User.role).in_([Role.COORDINATOR.value, Role.ORG_STAFF.value]),
        col(User.is_active).is_(True),
    )
    return list(session.exec(query.order_by(col(User.display_name))).all())


def assign(session: Session, user: CurrentUser, referral: Referral, assignee_id: int | None) -> Referral:
    if assignee_id is not None and assignee_id not in {u.id for u in colleagues(session, user)}:
        raise InvalidInput(N_("Choose a colleague of your organisation."), field="assignee")
    referral.assigned_to = assignee_id
    referral.updated_at = utcnow()
    record(session, user.id, user.organisation_id, "update", "referral", referral.id)
    return referral


def log_contact(
    session: Session, user: CurrentUser, referral: Referral, on: str, channel: str, reached: bool
) -> ContactAttempt:
    if S(referral.status) in states.CLOSED:
        raise InvalidInput(N_("This referral is closed and can no longer change."), field="status")
    try:
        day = date.fromisoformat(on.strip()) if on.strip() else date.today()
    except ValueError:
        raise InvalidInput(N_("Enter the date as YYYY-MM-DD."), field="on") from None
    if day > date.today():
        raise InvalidInput(N_("The date cannot be in the future."), field="on")
    if channel not in CHANNELS:
        raise InvalidInput(N_("Choose how you tried to reach the person."), field="channel")
    attempt = ContactAttempt(
        referral_id=referral.id, on=day, channel=channel, reached=reached, user_id=user.id
    )
    session.add(attempt)
    now, first, due_before = utcnow(), referral.first_contact_at is None, referral.due_at
    if first:
        referral.first_contact_at = now
        if referral.status == S.ACCEPTED:
            referral.due_at = None
    referral.updated_at = utcnow()
    record(session, user.id, user.organisation_id, "update", "referral", referral.id)
    events.record(session, ContactLogged(referral, first, due_before, now))
    return attempt


def add_note(session: Session, user: CurrentUser, referral: Referral, text: str) -> CaseNote:
    text = text.strip()
    if not text:
        raise InvalidInput(N_("Write a note first."), field="note")
    if len(text) > 2000:
        raise InvalidInput(N_("At most 2000 characters."), field="note")
    note = CaseNote(
        referral_id=referral.id, organisation_id=user.organisation_id or 0, text=text, user_id=user.id
    )
    session.add(note)
    record(session, user.id, user.organisation_id, "update", "referral", referral.id)
    return note


def set_progress(session: Session, user: CurrentUser, referral: Referral, target: str) -> Referral:
    if target not in (S.IN_PROGRESS, S.ON_HOLD):
        raise InvalidInput(N_("Unknown referral status."), field="status")
    return change_status(session, user, referral, target)


def close(session: Session, user: CurrentUser, referral: Referral, outcome: str, text: str = "") -> Referral:
    """Completed with an outcome; 'not reachable' closes as failed (the Task could not be done)."""
    if outcome not in OUTCOMES:
        raise InvalidInput(N_("Choose an outcome."), field="outcome")
    referral.outcome = outcome
    target = S.FAILED if outcome == "not_reachable" else S.COMPLETED
    reason = " ".join(text.split())[:900] or OUTCOMES[outcome]
    return change_status(session, user, referral, target, reason)


@dataclass
class CaseView:
    referral: Referral
    offer: DirectoryService | None
    events: list[ReferralEvent]
    contacts: list[ContactAttempt]
    notes: list[CaseNote]
    people: dict[int, str]  # user id → display name, for attribution


def case_view(session: Session, referral: Referral) -> CaseView:
    contacts = session.exec(
        select(ContactAttempt)
        .where(ContactAttempt.referral_id == referral.id)
        .order_by(col(ContactAttempt.at))
    ).all()
    notes = session.exec(
        select(CaseNote).where(CaseNote.referral_id == referral.id).order_by(col(CaseNote.at))
    ).all()
    events = history(session, referral.id)
    ids = {e.user_id for e in events} | {c.user_id for c in contacts} | {n.user_id for n in notes}
    ids |= {referral.assigned_to}
    ids.discard(None)
    found = session.exec(select(User).where(col(User.id).in_(ids))).all()
    people = {u.id: u.display_name for u in found if u.id is not None}
    return CaseView(
        referral,
        session.get(DirectoryService, referral.service_id),
        events,
        list(contacts),
        list(notes),
        people,
    )


@dataclass
class InboxFilter:
    tab: str = "new"
    service_id: str | None = None
    district: str | None = None
    language: str | None = None
    newest_first: bool = False
    page: int = 1
    per_page: int = 50


def _sent_to(user: CurrentUser) -> ColumnElement[bool]:
    """The referrals the receiving side may see: addressed to it and sent (not drafts)."""
    return and_(
        col(Referral.receiving_organisation_id) == user.organisation_id, col(Referral.status) != S.DRAFT.value
    )


def _inbox_query(user: CurrentUser, f: InboxFilter) -> SelectOfScalar[Referral]:
    query = select(Referral).where(_sent_to(user))
    query = query.where(col(Referral.status).in_([s.value for s in TABS[f.tab]]))
    if f.tab == "overdue":
        query = query.where(col(Referral.due_at) < utcnow())
    if f.service_id:
        query = query.where(Referral.service_id == f.service_id)
    if f.district:
        query = query.where(Referral.district == f.district)
    if f.language:
        query = query.where(Referral.language == f.language)
    return query


@dataclass
class OfferName:
    """An offer's name in both languages (for `lang_attr`, which reads name_de/name_fr)."""

    name_de: str | None
    name_fr: str | None

    def name(self, locale: str) -> str:
        preferred = self.name_fr if locale == "fr" else self.name_de
        return preferred or self.name_de or self.name_fr or ""


@dataclass
class InboxRow:
    """One line of the inbox: what lets a coordinator triage without opening the case (opening
    marks it received). Only values the case page shows too, read from `shared` (what the
    consent let leave) in the list's one query: never the name, phone or year of birth."""

    id: str
    need_domain: str
    status: str
    source: str
    language: str | None
    district: str | None
    due_at: datetime | None
    created_at: datetime
    offer: OfferName | None
    referrer: str | None  # the referring organisation's name (None for a self-check callback)
    municipality: Any  # the BFS number as shared (a place not in the canton: as written)
    life_phase: str | None  # vocab.LIFE_PHASES code: the band given, or the one of the birth year
    callback: dict[str, Any] | None  # {"days": [...], "time": ...} for a self-check callback

    def days_waiting(self, today: date) -> int:
        return max(0, (today - self.created_at.date()).days)


def _life_phase(age_band: Any, birth_year: Any, today: date) -> str | None:
    """The self-check's age band as given, or the band of the age a nurse's client reaches this
    year (from the year of birth the consent shared): never the age itself."""
    if isinstance(age_band, str) and age_band in LIFE_PHASES:
        return age_band
    if isinstance(birth_year, int) and 1880 < birth_year <= today.year:
        return life_phase_for_age(today.year - birth_year)
    return None


def inbox(session: Session, user: CurrentUser, f: InboxFilter) -> list[InboxRow]:
    """One page of the inbox in one query: the referral's columns, the offer's names, the
    referrer's name and the four `shared` values a row shows (JSON paths, read by the database,
    so the rest of `shared` never leaves it for the list). The page's ids are chosen first (an
    index range, sorted and cut), so the JSON is read and joined for those rows only."""
    order = col(Referral.created_at).desc() if f.newest_first else col(Referral.created_at)
    page = (
        _inbox_query(user, f)
        .with_only_columns(col(Referral.id))
        .order_by(order)
        .offset((f.page - 1) * f.per_page)
        .limit(f.per_page)
        .subquery("page")
    )
    shared = col(Referral.shared)
    columns: list[Any] = [
        Referral.id,
        Referral.need_domain,
        Referral.status,
        Referral.source,
        Referral.language,
        Referral.district,
        Referral.due_at,
        Referral.created_at,
        DirectoryService.name_de,
        DirectoryService.name_fr,
        Organisation.name,
        shared["municipality"],
        shared["age_band"],
        shared["birth_year"],
        shared["callback"],
    ]
    query = (
        sa_select(*columns)
        .select_from(Referral)
        .join(page, page.c.id == col(Referral.id))
        .outerjoin(DirectoryService, col(DirectoryService.id) == col(Referral.service_id))
        .outerjoin(Organisation, col(Organisation.id) == col(Referral.organisation_id))
        .order_by(order)
    )
    today = date.today()
    rows = []
    for row in session.execute(query).all():
        (id_, need, status, source, language, district, due_at, created_at) = row[:8]
        name_de, name_fr, referrer, municipality, age_band, birth_year, callback = row[8:]
        rows.append(
            InboxRow(
                id=id_,
                need_domain=need,
                status=status,
                source=source,
                language=language,
                district=district,
                due_at=due_at,
                created_at=created_at,
                offer=OfferName(name_de, name_fr) if (name_de or name_fr) else None,
                referrer=referrer if source != "self-check" else None,
                municipality=municipality,
                life_phase=_life_phase(age_band, birth_year, today),
                callback=callback if source == "self-check" and isinstance(callback, dict) else None,
            )
        )
    return rows


def counts(session: Session, user: CurrentUser) -> dict[str, int]:
    """Per tab, in one query: status counts plus the overdue ones."""
    now = utcnow()
    overdue = func.sum(case((col(Referral.due_at) < now, 1), else_=0))
    query = select(Referral.status, func.count(), overdue).where(_sent_to(user)).group_by(Referral.status)
    by_status: dict[str, int] = {}
    late = 0
    for status, number, overdue_number in session.exec(query).all():
        by_status[status] = number
        late += int(overdue_number or 0)
    result = {tab: sum(by_status.get(s.value, 0) for s in statuses) for tab, statuses in TABS.items()}
    result["overdue"] = late
    return result


def remind_overdue(session: Session) -> int:
    """One reminder per organisation and day at most, counting its overdue referrals."""
    today = date.today()
    rows = session.exec(
        select(Referral).where(
            col(Referral.due_at) < utcnow(),
            col(Referral.status).in_([S.REQUESTED.value, S.ACCEPTED.value]),
            col(Referral.receiving_organisation_id).is_not(None),
        )
    ).all()
    by_org: dict[int, list[Referral]] = {}
    for row in rows:
        if row.receiving_organisation_id is not None:  # (the query asks for it)
            by_org.setdefault(row.receiving_organisation_id, []).append(row)
    sent = 0
    for org_id, late in by_org.items():
        if any(r.overdue_reminded_on == today for r in late):
            continue
        events.record(session, ReferralsOverdue(org_id, len(late)))
        for r in late:
            r.overdue_reminded_on = today
        sent += 1
    return sent
