"""Sending referrals with consent, the duplicate and area checks, cancelling. No HTTP.

One call to `send` is one transaction: the consent, every referral and their first status
events are saved together, or nothing is."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, inspect
from sqlmodel import Session, col, select

from backend import events
from backend.accounts.service import CurrentUser
from backend.api_types import ID_UNUSABLE, checked_uuid, id_taken
from backend.audit.models import record
from backend.clients.models import Client
from backend.clients.service import open_client
from backend.db.types import utcnow
from backend.directory.models import DirectoryOrganization, DirectoryService, DirectoryServiceArea
from backend.errors import Conflict, InvalidInput, NotFound
from backend.geo.reference import MUNICIPALITIES
from backend.i18n import N_, format_day, translate
from backend.referrals import states
from backend.referrals.consent import DEFAULT_SCOPE, ConsentForm, shared_data
from backend.referrals.deadlines import FIRST_CONTACT_WITHIN, RECEIVE_WITHIN, add_working_days
from backend.referrals.events import ReferralSent, ReferralStatusChanged
from backend.referrals.models import Consent, Referral, ReferralEvent, add_event
from backend.screening.models import Screening
from backend.screening.service import own_screening

Message = tuple[str, dict[str, Any]]  # msgid and its parameters, translated when shown


def say(locale: str, message: Message) -> str:
    text, params = message
    params = {k: format_day(v, locale) if isinstance(v, date) else v for k, v in params.items()}
    return translate(locale, text, **params)


MAX_CHOICES = 10


@dataclass(frozen=True)
class Choice:
    need_domain: str
    service_id: str

    @classmethod
    def parse(cls, value: str) -> Choice | None:
        """'loneliness:<service uuid>' as the summary's checkboxes send it."""
        domain, _, service_id = value.partition(":")
        return cls(domain, service_id) if domain and service_id else None


@dataclass
class Check:
    """One chosen offer as the nurse must see it before sending."""

    choice: Choice
    service: DirectoryService | None = None
    organization: DirectoryOrganization | None = None
    problem: Message | None = None  # blocks sending
    warnings: list[Message] = field(default_factory=list)  # sending needs a confirmation
    duplicates: list[Referral] = field(default_factory=list)


@dataclass
class Outcome:
    referrals: list[Referral] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    consent_errors: dict[str, str] = field(default_factory=dict)
    needs_confirmation: bool = False

    @property
    def sent(self) -> bool:
        return bool(self.referrals)


# Referral checks run once per offer of every referral, thousands of times in an offline sync:
# their queries are built once with bound parameters (building one costs more than running it).
_AREAS = select(DirectoryServiceArea.scope, DirectoryServiceArea.code).where(
    DirectoryServiceArea.service_id == bindparam("service_id")
)


def serves(session: Session, service_id: str, bfs_number: int) -> bool:
    municipality = MUNICIPALITIES.get(bfs_number)
    for scope, code in session.exec(_AREAS, params={"service_id": service_id}).all():
        if scope == "canton":
            return True
        if municipality and scope == "district" and code == municipality.district:
            return True
        if scope == "municipality" and code == str(bfs_number):
            return True
    return False


def paused(service: DirectoryService, today: date) -> bool:
    """Not accepting, until the end date (inclusive) if one was given."""
    if service.capacity_status != "not_accepting":
        return False
    return service.capacity_until is None or service.capacity_until >= today


_DUPLICATES = (
    select(Referral)
    .where(
        Referral.client_id == bindparam("client_id"),
        col(Referral.status).in_([s.value for s in states.OPEN]),
        (Referral.service_id == bindparam("service_id"))
        | (
            (Referral.need_domain == bindparam("need_domain"))
            & (Referral.directory_organization_id == bindparam("organization_id"))
        ),
    )
    .order_by(col(Referral.created_at))
)


def open_duplicates(session: Session, client_id: str, choice: Choice, organization_id: str) -> list[Referral]:
    """Open referrals of the client to the same offer, or for the same need to the same organisation."""
    params = {
        "client_id": client_id,
        "service_id": choice.service_id,
        "need_domain": choice.need_domain,
        "organization_id": organization_id,
    }
    return list(session.exec(_DUPLICATES, params=params).all())


def check_choices(
    session: Session, screening: Screening, client: Client, choices: list[Choice], today: date
) -> list[Check]:
    checks = []
    for choice in dict.fromkeys(choices):  # the same offer ticked twice counts once
        check = Check(choice)
        checks.append(check)
        service = session.get(DirectoryService, choice.service_id)
        if service is None or service.status != "active":
            check.problem = (N_("This offer is no longer in the directory."), {})
            continue
        check.service = service
        check.organization = session.get(DirectoryOrganization, service.organization_id)
        if choice.need_domain not in screening.needs:
            check.problem = (N_("This need was not flagged in the screening."), {})
        elif paused(service, today):
            check.problem = (
                (N_("This offer takes no new referrals until %(date)s."), {"date": service.capacity_until})
                if service.capacity_until
                else (N_("This offer takes no new referrals at the moment."), {})
            )
        if not serves(session, service.id, client.municipality):
            municipality = MUNICIPALITIES.get(client.municipality)
            check.warnings.append(
                (
                    N_("This offer does not list %(municipality)s in its service area."),
                    {"municipality": municipality.name if municipality else str(client.municipality)},
                )
            )
        check.duplicates = open_duplicates(session, client.id, choice, service.organization_id)
        if check.duplicates:
            check.warnings.append((N_("An open referral already exists for this client."), {}))
    return checks


def parse_choices(values: list[str]) -> list[Choice]:
    choices = [c for c in (Choice.parse(v) for v in values) if c is not None]
    if not choices:
        raise InvalidInput(N_("Choose at least one offer."), field="offer")
    if len(choices) > MAX_CHOICES:
        raise InvalidInput(N_("Choose at most 10 offers at a time."), field="offer")
    return choices


def send(
    session: Session,
    user: CurrentUser,
    screening: Screening,
    client: Client,
    choices: list[Choice],
    consent_form: ConsentForm,
    accept_warnings: bool,
    today: date,
    referral_ids: list[str] | None = None,
) -> Outcome:
    """Creates the consent and one referral per choice with status `requested`, or nothing
    (and says why). `referral_ids` lets an offline device choose the ids."""
    if screening.status != "completed":
        raise Conflict(N_("Finish the screening before sending referrals."))
    if screening.client_id != client.id:
        raise InvalidInput(N_("This screening belongs to another client."))
    outcome = Outcome(checks=check_choices(session, screening, client, choices, today))
    values = consent_form.validate(today)
    outcome.consent_errors = consent_form.errors
    if consent_form.errors or any(c.problem for c in outcome.checks):
        return outcome
    if any(c.warnings for c in outcome.checks) and not accept_warnings:
        outcome.needs_confirmation = True
        return outcome

    consent = Consent(
        id=str(uuid.uuid4()),
        organisation_id=client.organisation_id,
        client_id=client.id,
        screening_id=screening.id,
        given_by=values["given_by"],
        method=values["method"],
        given_on=values["given_on"],
        scope=values["scope"],
        recipients=sorted({c.service.organization_id for c in outcome.checks if c.service}),
        recorded_by=user.id,
    )
    session.add(consent)
    ids = list(referral_ids or [])
    municipality = MUNICIPALITIES.get(client.municipality)
    for check in outcome.checks:
        assert check.service and check.organization  # no problem means both were found
        referral = Referral(
            id=ids.pop(0) if ids else str(uuid.uuid4()),
            organisation_id=client.organisation_id,
            client_id=client.id,
            screening_id=screening.id,
            consent_id=consent.id,
            service_id=check.service.id,
            directory_organization_id=check.organization.id,
            receiving_organisation_id=check.organization.organisation_id,
            need_domain=check.choice.need_domain,
            district=municipality.district if municipality else None,
            language=client.language,
            shared=shared_data(
                values["scope"],
                check.choice.need_domain,
                screening.needs,
                client_fields(client),
                screening.strengths,
                values["note"],
            ),
            created_by=user.id,
        )
        outcome.referrals.append(submit(session, referral, user.id, user.organisation_id))
    return outcome


def client_fields(client: Client) -> dict[str, Any]:
    """What shared_data may pick from a client."""
    return {
        "display_name": client.display_name,
        "phone": client.phone,
        "birth_year": client.birth_year,
        "municipality": client.municipality,
        "language": client.language,
    }


def submit(
    session: Session, referral: Referral, user_id: int | None, organisation_id: int | None
) -> Referral:
    """A referral leaves for the receiving organisation — a nurse's, a self-check's callback or
    a proposal once the client agreed: status `requested`, its event, its deadline to be
    received, an audit entry and the event ReferralSent (counted, the coordinators notified), all
    in the caller's transaction. To an organisation that is not on Passerelle nothing can be
    sent: status `ready`, no deadline, and the referrer arranges it (no coordinator to notify)."""
    previous = referral.status if inspect(referral).persistent else None
    arranged = arranged_by_referrer(referral)
    target = states.Status.READY if arranged else states.Status.REQUESTED
    referral.status = states.transition(previous or states.Status.DRAFT, target).value
    referral.due_at = None if arranged else add_working_days(utcnow(), RECEIVE_WITHIN)
    referral.updated_at = utcnow()
    session.add(referral)
    session.flush()
    add_event(session, referral.id, referral.status, previous, None, user_id, organisation_id)
    record(session, user_id, organisation_id, "update" if previous else "create", "referral", referral.id)
    events.record(session, ReferralSent(referral))
    return referral


def on_passerelle(organization: DirectoryOrganization | None) -> bool:
    """Whether a directory organisation receives referrals in Passerelle (an organisation with
    accounts keeps it); the others are reached by the referrer herself."""
    return organization is not None and organization.organisation_id is not None


def arranged_by_referrer(referral: Referral) -> bool:
    """A referral to an organisation that was not on Passerelle when it was made: nobody
    receives it, the referring organisation arranges it and records its outcome."""
    return referral.receiving_organisation_id is None and referral.source != "self-check"


def received_by_organisation(session: Session, user: CurrentUser, limit: int = 200) -> list[Referral]:
    """The referrals sent to the user's organisation, newest first (a draft is not sent yet)."""
    query = select(Referral).where(
        Referral.receiving_organisation_id == user.organisation_id,
        col(Referral.receiving_organisation_id).is_not(None),
        Referral.status != states.Status.DRAFT.value,
    )
    return list(session.exec(query.order_by(col(Referral.created_at).desc()).limit(limit)).all())


def open_for(session: Session, user: CurrentUser, referral_id: str) -> tuple[Referral, bool]:
    """A referral the user's organisation sent (True) or receives (False); the opening is audited.
    The receiving side sees a proposal only once it is sent (not as a draft)."""
    referral = session.get(Referral, referral_id)
    org = user.organisation_id
    if referral is None or org is None:
        raise NotFound(N_("No such referral in your organisation."))
    sends = org == referral.organisation_id
    receives = org == referral.receiving_organisation_id and referral.status != states.Status.DRAFT
    if not (sends or receives):
        raise NotFound(N_("No such referral in your organisation."))
    record_view(session, user, referral)
    return referral, referral.organisation_id == org


def own_referral(session: Session, user: CurrentUser, referral_id: str, lock: bool = False) -> Referral:
    """A referral the user's organisation sent (another's is 'not found'). `lock` for a change:
    the row is locked until the unit ends (PostgreSQL: FOR UPDATE), so of two people changing it
    at once the second reads the status the first left and the state machine judges that."""
    referral = session.get(Referral, referral_id, with_for_update=lock or None)
    if referral is None or not referral.organisation_id or referral.organisation_id != user.organisation_id:
        raise NotFound(N_("No such referral in your organisation."))
    return referral


def record_view(session: Session, user: CurrentUser, referral: Referral) -> None:
    record(session, user.id, user.organisation_id, "view", "referral", referral.id)


def change_status(
    session: Session, user: CurrentUser, referral: Referral, target: str, reason: str | None = None
) -> Referral:
    """Every status change goes through the state machine and is attributed and timestamped;
    the event ReferralStatusChanged (counted, the other side notified) carries the deadline as
    it was before the change."""
    reason = (reason or "").strip()[:1000] or None
    new = states.transition(referral.status, target, reason)
    add_event(session, referral.id, new.value, referral.status, reason, user.id, user.organisation_id)
    now = utcnow()
    previous, due_before = referral.status, referral.due_at
    referral.status, referral.status_reason = new.value, reason
    referral.updated_at = now
    if new == states.Status.RECEIVED:
        referral.received_at, referral.due_at = now, None
    elif new == states.Status.ACCEPTED:
        referral.accepted_at = now
        referral.due_at = None if referral.first_contact_at else add_working_days(now, FIRST_CONTACT_WITHIN)
    elif new in states.CLOSED:
        referral.closed_at, referral.due_at = now, None
    else:
        referral.due_at = None
    record(session, user.id, user.organisation_id, "update", "referral", referral.id)
    changed = ReferralStatusChanged(referral, previous, new.value, due_before, now, user.organisation_id)
    events.record(session, changed)
    return referral


def record_outcome(
    session: Session, user: CurrentUser, referral_id: str, choice: str, note: str = ""
) -> Referral:
    """The nurse says what became of a referral she arranges herself (states.NURSE_OUTCOMES):
    the same transitions and closing outcomes as a receiving organisation's, attributed to her.
    Another organisation's referral is 'not found'; one that a receiving organisation handles
    is not hers to close."""
    referral = own_referral(session, user, referral_id, lock=True)
    if not arranged_by_referrer(referral):
        raise Conflict(N_("The receiving organisation records what became of this referral."))
    if choice not in states.NURSE_OUTCOMES:
        raise InvalidInput(N_("Choose what happened."), field="outcome")
    note = " ".join(note.split())
    if len(note) > 900:
        raise InvalidInput(N_("At most 900 characters."), field="note")
    target, outcome, label = states.NURSE_OUTCOMES[choice]
    states.transition(referral.status, target, note or label)  # refused before anything changes
    if outcome is not None:
        referral.outcome = outcome
    return change_status(session, user, referral, target, note or label)


def send_proposal(
    session: Session, user: CurrentUser, referral_id: str, consent_form: ConsentForm, today: date
) -> dict[str, str]:
    """Sends a referral another organisation proposed (status draft) once the client agreed:
    the same data as the declined referral, to the proposed organisation. Returns the consent
    form's problems (nothing is saved then)."""
    referral = own_referral(session, user, referral_id)
    if referral.status != states.Status.DRAFT:
        raise Conflict(N_("This referral was sent already."))
    values = consent_form.validate(today)
    if consent_form.errors:
        return consent_form.errors
    client = session.get(Client, referral.client_id)
    screening = session.get(Screening, referral.screening_id) if referral.screening_id else None
    if client is None:
        raise NotFound(N_("No such client in your organisation."))
    consent = Consent(
        id=str(uuid.uuid4()),
        organisation_id=client.organisation_id,
        client_id=client.id,
        screening_id=referral.screening_id,
        given_by=values["given_by"],
        method=values["method"],
        given_on=values["given_on"],
        scope=values["scope"],
        recipients=[referral.directory_organization_id],
        recorded_by=user.id,
    )
    session.add(consent)
    referral.consent_id = consent.id
    referral.shared = shared_data(
        values["scope"],
        referral.need_domain,
        screening.needs if screening else {},
        client_fields(client),
        screening.strengths if screening else None,
        values["note"],
    )
    submit(session, referral, user.id, user.organisation_id)
    return {}


def cancel(session: Session, user: CurrentUser, referral_id: str, reason: str | None) -> Referral:
    referral = own_referral(session, user, referral_id, lock=True)
    return change_status(session, user, referral, states.Status.CANCELLED, reason)


def history(session: Session, referral_id: str) -> list[ReferralEvent]:
    query = select(ReferralEvent).where(ReferralEvent.referral_id == referral_id)
    return list(session.exec(query.order_by(col(ReferralEvent.at), col(ReferralEvent.id))).all())


@dataclass
class Row:
    referral: Referral
    client_name: str
    offer: DirectoryService
    organization: str


def sent_by_organisation(
    session: Session,
    user: CurrentUser,
    open_only: bool | None = None,
    client_id: str | None = None,
    screening_id: str | None = None,
    limit: int = 200,
) -> list[Row]:
    """The referrals the user's organisation sent, newest first, with what a list shows."""
    query = (
        select(Referral, Client.display_name, DirectoryService, DirectoryOrganization.name)
        .join(Client, col(Client.id) == col(Referral.client_id))
        .join(DirectoryService, col(DirectoryService.id) == col(Referral.service_id))
        .join(DirectoryOrganization, col(DirectoryOrganization.id) == col(Referral.directory_organization_id))
        .where(Referral.organisation_id == user.organisation_id)
    )
    statuses = [s.value for s in states.OPEN]
    if open_only is True:
        query = query.where(col(Referral.status).in_(statuses))
    elif open_only is False:
        query = query.where(col(Referral.status).not_in(statuses))
    if client_id:
        query = query.where(Referral.client_id == client_id)
    if screening_id:
        query = query.where(Referral.screening_id == screening_id)
    rows = session.exec(query.order_by(col(Referral.created_at).desc()).limit(limit)).all()
    return [Row(r, name, offer, org) for r, name, offer, org in rows]


@dataclass
class OfferChoice:
    """One offer for one need, as the API and an offline device send it."""

    service_id: str
    need_domain: str
    id: str | None = None  # the referral's UUID when made on a device


@dataclass
class ConsentIn:
    confirmed: bool  # the client (or representative) agreed; without it nothing is sent
    given_by: str = "client"  # client | representative
    method: str = "verbal"  # verbal | written
    given_on: str | None = None  # YYYY-MM-DD, today when missing
    scope: list[str] = field(
        default_factory=lambda: list(DEFAULT_SCOPE)
    )  # contact|birth_year|needs|strengths


@dataclass
class ReferralsIn:
    screening_id: str
    offers: list[OfferChoice]
    consent: ConsentIn
    note: str | None = None  # message to the receiving organisations
    accept_warnings: bool = False  # send although an offer is outside the area or a duplicate


def send_referrals(
    session: Session, user: CurrentUser, data: ReferralsIn, locale: str, today: date
) -> list[Referral]:
    """Checks and sends (the API, sync), or raises InvalidInput naming what is wrong (nothing
    is saved then)."""
    ids = [checked_uuid(o.id, "offers.id") for o in data.offers]
    if any(ids) and not all(ids):
        raise InvalidInput(N_("Give every referral an id, or none."), field="offers")
    if any(i and id_taken(session, Referral, i) for i in ids):
        raise InvalidInput(ID_UNUSABLE, field="offers.id")
    screening = own_screening(session, user, str(data.screening_id))
    client = open_client(session, user, screening.client_id)
    choices = parse_choices([f"{o.need_domain}:{o.service_id}" for o in data.offers])
    if len(set(choices)) != len(choices):
        raise InvalidInput(N_("The same offer is chosen twice for the same need."), field="offers")
    consent = data.consent
    form = ConsentForm(
        confirmed=consent.confirmed is True,
        given_by=str(consent.given_by),
        method=str(consent.method),
        given_on=str(consent.given_on or ""),
        scope=[str(s) for s in consent.scope],
        note=str(data.note or ""),
    )
    outcome = send(
        session, user, screening, client, choices, form, data.accept_warnings, today, [i for i in ids if i]
    )
    if outcome.sent:
        return outcome.referrals
    fields = {("note" if k == "note" else f"consent.{k}"): v for k, v in form.errors.items()}
    for index, check in enumerate(outcome.checks):
        messages = (
            [check.problem] if check.problem else ([] if not outcome.needs_confirmation else check.warnings)
        )
        if messages:
            fields[f"offers.{index}"] = " ".join(say(locale, m) for m in messages)
    if outcome.needs_confirmation:
        fields["accept_warnings"] = N_("Please read the warnings and confirm that you want to send anyway.")
    raise InvalidInput(N_("Nothing was sent. Please check the marked fields."), fields=fields)
