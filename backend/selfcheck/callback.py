""" "Please call me back": the one moment a self-check leaves more than counts behind.

It becomes one referral (source "self-check") per chosen organisation, with no client record:
`shared` holds exactly what the person agreed to pass on (name or initials, phone, language,
when to call, municipality, the flagged need areas, the age band they gave) and nothing of
their individual answers.

The coordination office of a district: Passerelle has no separate register of offices, so
the office is the directory's nearest *advice* offer in the person's language whose
organisation receives referrals on Passerelle (its directory entry is linked to a Passerelle
organisation), preferring one in the municipality, then the district, then the canton, and
among those one that covers a flagged need. Linking a regional social-advice organisation in
the directory is how a district gets (or changes) its office; no code changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from backend.clients.service import normalise_phone
from backend.db.types import utcnow
from backend.directory.models import DirectoryOrganization, DirectoryService
from backend.directory.search import Hit, SearchQuery, search
from backend.i18n import N_
from backend.referrals.models import Referral
from backend.referrals.service import submit
from backend.selfcheck.service import Place, Result
from backend.vocab import CALLBACK_DAYS as DAYS
from backend.vocab import CALLBACK_TIMES as TIMES
from backend.vocab import SPOKEN_LANGUAGES

OFFICE = "office"
MAX_NAME = 40
MAX_PHONE = 30
MAX_TARGETS = 4
CONSENT_TEXT = N_(
    "I agree that my first name or initials, my phone number, my municipality and the areas "
    "where I need support are sent to the organisations I chose, so that they can call me. "
    "My answers to the questions are not sent."
)


@dataclass
class Office:
    service_id: str
    name: str  # of the offer, in the person's language
    organization: str
    organization_id: str


@dataclass
class CallbackForm:
    name: str = ""
    phone: str = ""
    language: str = ""
    days: list[str] = field(default_factory=list)
    time: str = "any"
    targets: list[str] = field(default_factory=list)  # "domain:service_id" or "office"
    consent: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: dict[str, list[str]], default_language: str) -> CallbackForm:
        def one(key: str) -> str:
            return (form.get(key) or [""])[0]

        return cls(
            name=" ".join(one("cb_name").split())[:200],
            phone=one("cb_phone").strip()[:200],
            language=one("cb_language") or default_language,
            days=[d for d in form.get("cb_days", []) if d in DAYS],
            time=one("cb_time") or "any",
            targets=list(dict.fromkeys(form.get("cb_to", [])))[: MAX_TARGETS + 1],
            consent=one("cb_consent") == "yes",
        )

    def validate(self, allowed_targets: set[str]) -> str | None:
        """Fills `errors` (field → msgid); returns the normalised phone number when all fit."""
        if not self.name:
            self.errors["cb_name"] = N_("Enter your first name or your initials.")
        elif len(self.name) > MAX_NAME:
            self.errors["cb_name"] = N_("At most 40 characters.")
        phone = normalise_phone(self.phone) if len(self.phone) <= MAX_PHONE else None
        if not self.phone:
            self.errors["cb_phone"] = N_("Enter your phone number.")
        elif phone is None:
            self.errors["cb_phone"] = N_("This is not a phone number we can call. Example: 079 123 45 67.")
        if self.language not in SPOKEN_LANGUAGES:
            self.errors["cb_language"] = N_("Choose a language.")
        if self.time not in TIMES:
            self.errors["cb_time"] = N_("Choose a time.")
        if not self.targets:
            self.errors["cb_to"] = N_("Choose who should call you.")
        elif len(self.targets) > MAX_TARGETS or not set(self.targets) <= allowed_targets:
            self.errors["cb_to"] = N_("Choose among the offers shown.")
        if not self.consent:
            self.errors["cb_consent"] = N_(
                "Please tick the box if you agree. Without it, nobody can call you."
            )
        return None if self.errors else phone


def coordination_office(session: Session, place: Place, language: str, needs: list[str]) -> Office | None:
    """See the module docstring for the rule."""
    if place.municipality is None:
        return None
    hits = search(
        session,
        SearchQuery(municipality=place.municipality.bfs_number, language=language, per_page=100),
    ).hits
    linked = _linked(session, [h.id for h in hits if h.service_type == "advice" and not h.paused])
    candidates = [h for h in hits if h.id in linked]
    if not candidates:
        return None

    def rank(hit: Hit) -> tuple[int, int]:
        return (hit.area_rank, 0 if set(hit.need_domains) & set(needs) else 1)

    best = min(candidates, key=rank)  # min() keeps the search's order among equals
    return Office(best.id, best.name(language), best.organization, linked[best.id])


def _linked(session: Session, service_ids: list[str]) -> dict[str, str]:
    """service id → directory organisation id, for offers whose organisation receives referrals."""
    if not service_ids:
        return {}
    rows = session.execute(
        sa_select(col(DirectoryService.id), col(DirectoryOrganization.id))
        .join(DirectoryOrganization, col(DirectoryOrganization.id) == DirectoryService.organization_id)
        .where(col(DirectoryService.id).in_(service_ids))
        .where(col(DirectoryOrganization.organisation_id).is_not(None))
    ).all()
    return {service_id: org_id for service_id, org_id in rows}


def allowed_targets(result: Result, office: Office | None) -> set[str]:
    """The choices the result offers: each offer once, filed under the first need listing it."""
    targets = {f"{offer.need_domain}:{offer.hit.id}" for offer in result.callback_offers}
    return targets | ({OFFICE} if office else set())


def create_referrals(
    session: Session,
    form: CallbackForm,
    phone: str,
    result: Result,
    place: Place,
    office: Office | None,
) -> list[tuple[Referral, str]]:
    """One referral per chosen target, status `requested`, in the caller's transaction.
    Returns (referral, name of the organisation that will call)."""
    needs = dict(result.needs)
    top_need = result.needs[0][0] if result.needs else "administration"
    # The same keys as a nurse's referral (referrals.consent.shared_data), so that the
    # receiving side shows both alike, plus what only a self-check has.
    shared: dict[str, Any] = {
        "source": "self-check",
        "municipality": place.municipality.bfs_number if place.municipality else None,
        "language": form.language,
        "display_name": form.name,
        "phone": phone,
        "needs": needs,
        "callback": {"days": form.days, "time": form.time},
        "age_band": place.age_band or None,
        "emergency": result.emergency,
        "consent": {"text": CONSENT_TEXT, "given_at": utcnow().isoformat()},
    }
    made = []
    for target in form.targets:
        if target == OFFICE:
            assert office is not None  # validate() only allows it when there is one
            service_id, domain = office.service_id, top_need
        else:
            domain, _, service_id = target.partition(":")
        service = session.get(DirectoryService, service_id)
        organization = session.get(DirectoryOrganization, service.organization_id) if service else None
        if service is None or organization is None or organization.organisation_id is None:
            continue  # validated against the result just computed; cannot happen short of a race
        referral = Referral(
            id=str(uuid.uuid4()),
            source="self-check",
            service_id=service.id,
            directory_organization_id=organization.id,
            receiving_organisation_id=organization.organisation_id,
            need_domain=domain,
            district=place.district or None,
            language=form.language,
            shared={**shared, "need": {"domain": domain, "severity": needs.get(domain)}},
        )
        made.append((submit(session, referral, None, None), organization.name))
    return made
