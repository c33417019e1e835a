"""/api/v1/referrals: send referrals with consent, read them (the sender sees everything it
sent; the receiver sees only what the consent shares), cancel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, JSONBody

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.api_types import ID_UNUSABLE, checked_uuid, id_taken
from backend.clients.service import open_client
from backend.db.engine import session_scope
from backend.errors import InvalidInput
from backend.i18n import N_
from backend.referrals import service
from backend.referrals.consent import DEFAULT_SCOPE, ConsentForm
from backend.referrals.models import Referral
from backend.screening import service as screenings

NURSES = allow(Role.NURSE)
BOTH_SIDES = allow(Role.NURSE, Role.COORDINATOR)


@dataclass
class OfferChoice:
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


@dataclass
class StatusChange:
    status: str
    reason: str | None
    at: datetime


@dataclass
class ReferralOut:
    id: str
    status: str
    status_reason: str | None
    need_domain: str
    service_id: str
    directory_organization_id: str
    created_at: datetime
    updated_at: datetime
    shared: dict[str, Any]  # what the receiving organisation sees
    history: list[StatusChange]
    # Only for the organisation that sent it:
    client_id: str | None = None
    screening_id: str | None = None
    consent_id: str | None = None


@dataclass
class SentReferrals:
    referrals: list[ReferralOut]


@dataclass
class CancelIn:
    reason: str


def referral_out(session, referral: Referral, as_sender: bool) -> ReferralOut:
    history = [StatusChange(e.to_status, e.reason, e.at) for e in service.history(session, referral.id)]
    return ReferralOut(
        id=referral.id,
        status=referral.status,
        status_reason=referral.status_reason,
        need_domain=referral.need_domain,
        service_id=referral.service_id,
        directory_organization_id=referral.directory_organization_id,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        shared=referral.shared,
        history=history,
        client_id=referral.client_id if as_sender else None,
        screening_id=referral.screening_id if as_sender else None,
        consent_id=referral.consent_id if as_sender else None,
    )


def send_referrals(session, user, data: ReferralsIn, locale: str, today: date) -> list[Referral]:
    """Checks and sends, or raises InvalidInput naming what is wrong (nothing is saved then)."""
    ids = [checked_uuid(o.id, "offers.id") for o in data.offers]
    if any(ids) and not all(ids):
        raise InvalidInput(N_("Give every referral an id, or none."), field="offers")
    if any(i and id_taken(session, Referral, i) for i in ids):
        raise InvalidInput(ID_UNUSABLE, field="offers.id")
    screening = screenings.own_screening(session, user, str(data.screening_id))
    client = open_client(session, user, screening.client_id)
    choices = service.parse_choices([f"{o.need_domain}:{o.service_id}" for o in data.offers])
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
    outcome = service.send(
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
            fields[f"offers.{index}"] = " ".join(service.say(locale, m) for m in messages)
    if outcome.needs_confirmation and not fields:
        fields["accept_warnings"] = N_("Please read the warnings and confirm that you want to send anyway.")
    elif outcome.needs_confirmation:
        fields.setdefault(
            "accept_warnings", N_("Please read the warnings and confirm that you want to send anyway.")
        )
    raise InvalidInput(N_("Nothing was sent. Please check the marked fields."), fields=fields)


@post(
    "/api/v1/referrals",
    name="referrals.api.create",
    opt=NURSES,
    sync_to_thread=True,
    tags=["Referrals"],
    status_code=201,
)
def post_referrals(request: Request, data: JSONBody[ReferralsIn]) -> SentReferrals:
    """One referral per chosen offer, status `requested`, with the consent; all or nothing."""
    user = request.scope["user"]
    with session_scope(request.app.state.engine) as session:
        sent = send_referrals(session, user, data, request.state.locale, date.today())
        return SentReferrals([referral_out(session, r, True) for r in sent])


@get("/api/v1/referrals", name="referrals.api.list", opt=BOTH_SIDES, sync_to_thread=True, tags=["Referrals"])
def list_referrals(request: Request) -> list[ReferralOut]:
    """Nurses: the referrals their organisation sent. Coordinators: those it receives."""
    user = request.scope["user"]
    with session_scope(request.app.state.engine) as session:
        if user.role == Role.NURSE:
            rows = [row.referral for row in service.sent_by_organisation(session, user)]
            return [referral_out(session, r, True) for r in rows]
        return [referral_out(session, r, False) for r in service.received_by_organisation(session, user)]


@get(
    "/api/v1/referrals/{referral_id:str}",
    name="referrals.api.show",
    opt=BOTH_SIDES,
    sync_to_thread=True,
    tags=["Referrals"],
)
def get_referral(request: Request, referral_id: FromPath[str]) -> ReferralOut:
    with session_scope(request.app.state.engine) as session:
        referral, as_sender = service.open_for(session, request.scope["user"], referral_id)
        return referral_out(session, referral, as_sender)


@post(
    "/api/v1/referrals/{referral_id:str}/cancel",
    name="referrals.api.cancel",
    opt=NURSES,
    sync_to_thread=True,
    tags=["Referrals"],
    status_code=200,
)
def cancel_referral(request: Request, referral_id: FromPath[str], data: JSONBody[CancelIn]) -> ReferralOut:
    """The sending organisation withdraws an open referral; the reason is required."""
    with session_scope(request.app.state.engine) as session:
        referral = service.cancel(session, request.scope["user"], referral_id, str(data.reason))
        return referral_out(session, referral, True)


ROUTES = [post_referrals, list_referrals, get_referral, cancel_referral]
