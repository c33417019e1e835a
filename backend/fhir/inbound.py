"""A referral that arrives from a clinical system (a hospital's discharge team, a GP practice):
a FHIR transaction Bundle with Patient, Consent, ServiceRequest and Task becomes a Passerelle
referral as a nurse's would. No HTTP: inbound_api.py reads the body and answers.

- `decode` and `read` are pure: the Bundle's shape, its references between entries and every
  value are checked before anything is looked up, and refusals name the element (`Task.owner`).
- `receive` looks up the receiving organisation and its offer, refuses what a nurse could not
  send (no consent, an offer that takes no referrals, an open referral of the same patient for
  the same need or offer) and then writes the client, the consent and the referral in the
  caller's transaction, sending it with referrals.service.submit (status event, deadline,
  audit, ReferralSent: counted, the coordinators notified). A refusal raises before the first
  write, and the unit of work rolls back anything on an error: nothing is half written.
- Idempotent: the referral's and the consent's ids are uuid5 of the caller's organisation and
  the Task's identifier (its fullUrl when it has none), so a replayed Bundle finds its referral
  and nothing new is made (`Received.created` is False).
- The patient becomes a client of the caller's organisation. With a Patient.identifier (e.g. the
  hospital's patient number) the client's id is derived from it, keyed with the server's secret
  (an id must not let anyone guess a patient number back); the next referral of the same
  patient then finds that client, and the duplicate guard sees its open referrals. Without an
  identifier every Task makes a client of its own.

QuestionnaireResponse and Condition entries are accepted and not stored: a referral keeps its
need (ServiceRequest) and what the consent lets leave, nothing more (their response entries say
so). The ServiceRequest's notes become the referral's message to the receiving organisation."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.service import CurrentUser
from backend.clients.models import Client
from backend.clients.service import LANGUAGES, ClientForm
from backend.clients.service import create as create_client
from backend.directory.models import DirectoryOrganization, DirectoryService, DirectoryServiceTag
from backend.errors import Conflict, InvalidInput, NotFound
from backend.fhir import codes
from backend.fhir.outcome import NOT_JSON
from backend.fhir.patient import BFS_EXTENSION
from backend.fhir.task import instant
from backend.fhir.version import version_of
from backend.geo.reference import MUNICIPALITIES, find_municipality
from backend.i18n import N_
from backend.referrals.consent import DEFAULT_SCOPE, ConsentForm, shared_data
from backend.referrals.models import Consent, Referral
from backend.referrals.service import Choice, client_fields, open_duplicates, paused, submit

MAX_BYTES = 1024 * 1024  # a referral Bundle is a few kB; the app's own limit is 2 MB
NAMESPACE = uuid.UUID("3c5e0f5a-8d0b-4c1e-9a57-2b6f4d1e7a90")  # ids of referrals that came in
REQUIRED = ("Patient", "Consent", "ServiceRequest", "Task")
IGNORED = ("QuestionnaireResponse", "Condition")  # accepted, not stored (see above)

NOT_TRANSACTION = N_("Send a Bundle of type transaction.")
BAD_ENTRY = N_("Each entry needs a resource, its own fullUrl and a request with method POST.")
UNKNOWN_TYPE = N_(
    "A referral Bundle takes Patient, Consent, ServiceRequest, Task, QuestionnaireResponse and Condition."
)
ONE_EACH = N_("The Bundle needs exactly one %(resource)s.")
NO_CONSENT = N_("Without consent no referral can be sent. Ask the client (or their representative) first.")
NOT_PERMITTED = N_("The consent must be active and permit the referral (provision.type permit).")
NOT_A_REQUEST = N_(
    "A referral arrives as a Task with status requested and intent order, whose ServiceRequest is active."
)
BAD_REFERENCE = N_("This reference must point at the matching resource in this Bundle.")
NOT_REQUESTER = N_("The requester must be your own organisation.")
NOT_ON_PASSERELLE = N_("This organisation does not receive referrals through Passerelle.")
UNKNOWN_NEED = N_(
    "Name exactly one need of Passerelle: a code of its need-domain CodeSystem "
    "or a Gravity SDOH category that matches one."
)
NOT_ITS_OFFER = N_("This offer is not one of the receiving organisation's active offers for this need.")
NO_OFFER = N_("The receiving organisation has no active offer for this need.")
OFFER_PAUSED = N_("This offer takes no new referrals at the moment.")
DUPLICATE = N_("An open referral of this patient for this need or offer exists already. Nothing was sent.")
CHECK_FIELDS = N_("Please check the marked fields.")
IN_PROGRESS = N_("The same Bundle is being processed at this moment. Send it again to get its result.")
NOT_STORED = N_("Read and not stored: Passerelle keeps only what the referral needs.")

# Form fields (clients/service.py, referrals/consent.py) → the element they come from.
PATIENT_FIELDS = {
    "display_name": "Patient.name",
    "birth_year": "Patient.birthDate",
    "municipality": "Patient.address",
    "language": "Patient.communication",
    "phone": "Patient.telecom",
}
CONSENT_FIELDS = {
    "confirmed": "Consent",
    "given_by": "Consent.performer",
    "method": "Consent.sourceAttachment",
    "given_on": "Consent.provision.period.start",
    "scope": "Consent.provision.code",
    "note": "ServiceRequest.note",
}
# Gravity SDOH category → our need domains (codes.GRAVITY_CATEGORY reversed); only a category
# that names exactly one need domain is taken.
GRAVITY_DOMAINS: dict[str, list[str]] = {}
for _domain, _category in codes.GRAVITY_CATEGORY.items():
    GRAVITY_DOMAINS.setdefault(_category, []).append(_domain)


class BadRequest(InvalidInput):
    """Not a Bundle we can read at all (400); a readable one we refuse is 422."""

    status_code = 400


@dataclass(frozen=True)
class Entry:
    index: int
    full_url: str
    resource: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.resource["resourceType"])


@dataclass
class Inbound:
    """What a valid Bundle asks for, in our terms."""

    entries: list[Entry]
    task_key: str  # the Task's identifier (or fullUrl): what makes a replay a replay
    patient_key: str | None  # the Patient's first identifier, if any
    client: ClientForm
    consent: ConsentForm
    need_domain: str
    owner_id: str  # a directory organisation
    service_id: str | None  # a directory service (ServiceRequest.performer), or the owner's first


@dataclass
class Received:
    referral: Referral
    client: Client
    consent: Consent
    created: bool
    ignored: list[int] = field(default_factory=list)


# --- reading the Bundle (pure) -------------------------------------------------------------


def decode(raw: bytes) -> dict[str, Any]:
    try:
        bundle = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(NOT_JSON, field="Bundle") from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BadRequest(NOT_TRANSACTION, field="Bundle.resourceType")
    if bundle.get("type") != "transaction":
        raise BadRequest(NOT_TRANSACTION, field="Bundle.type")
    return bundle


def entries_of(bundle: dict[str, Any]) -> list[Entry]:
    raw = bundle.get("entry")
    if not isinstance(raw, list) or not raw:
        raise BadRequest(BAD_ENTRY, field="Bundle.entry")
    entries: list[Entry] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"Bundle.entry[{index}]"
        resource = item.get("resource") if isinstance(item, dict) else None
        request = item.get("request") if isinstance(item, dict) else None
        full_url = item.get("fullUrl") if isinstance(item, dict) else None
        if (
            not isinstance(resource, dict)
            or not isinstance(resource.get("resourceType"), str)
            or not isinstance(full_url, str)
            or not full_url
            or full_url in seen
            or not isinstance(request, dict)
            or request.get("method") != "POST"
        ):
            raise BadRequest(BAD_ENTRY, field=where)
        if resource["resourceType"] not in (*REQUIRED, *IGNORED):
            raise InvalidInput(UNKNOWN_TYPE, field=f"{where}.resource.resourceType")
        seen.add(full_url)
        entries.append(Entry(index, full_url, resource))
    return entries


def only(entries: list[Entry], resource_type: str) -> Entry:
    found = [e for e in entries if e.type == resource_type]
    if len(found) != 1:
        if resource_type == "Consent" and not found:
            raise InvalidInput(NO_CONSENT, field="Consent")
        raise InvalidInput(ONE_EACH, field="Bundle.entry", resource=resource_type)
    return found[0]


def obj(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (the Bundle is untrusted input)."""
    return value if isinstance(value, dict) else {}


def reference(value: Any) -> str:
    return str(value.get("reference") or "") if isinstance(value, dict) else ""


def points_at(value: Any, entry: Entry) -> bool:
    """A reference to an entry of this Bundle: its fullUrl (urn:uuid:…), or a relative
    reference that the fullUrl ends with."""
    ref = reference(value)
    return bool(ref) and (ref == entry.full_url or entry.full_url.endswith("/" + ref))


def target_id(value: Any, resource_type: str) -> str | None:
    """The id in `<resourceType>/<id>` (relative or absolute), else None."""
    head, _, ident = reference(value).rstrip("/").rpartition("/")
    return ident if ident and (head == resource_type or head.endswith("/" + resource_type)) else None


def codings(concepts: Any) -> list[dict[str, Any]]:
    concepts = concepts if isinstance(concepts, list) else [concepts]
    return [
        c
        for concept in concepts
        if isinstance(concept, dict)
        for c in concept.get("coding") or []
        if isinstance(c, dict)
    ]


def need_domain(service_request: dict[str, Any]) -> str:
    """From ServiceRequest.code and .category: our need-domain codes, and Gravity categories
    that name one of them; other systems (SNOMED CT, ...) are read past."""
    found: set[str] = set()
    for c in codings(service_request.get("code")) + codings(service_request.get("category")):
        system, code = c.get("system"), c.get("code")
        if system == codes.NEED_DOMAIN_SYSTEM:
            if code not in codes.SYSTEMS["need-domain"][1]:
                raise InvalidInput(UNKNOWN_NEED, field="ServiceRequest.code")
            found.add(str(code))
        elif system == codes.SDOHCC_CODES and len(GRAVITY_DOMAINS.get(str(code), [])) == 1:
            found.add(GRAVITY_DOMAINS[str(code)][0])
    if len(found) != 1:
        raise InvalidInput(UNKNOWN_NEED, field="ServiceRequest.category")
    return found.pop()


def first_identifier(resource: dict[str, Any]) -> str | None:
    for ident in resource.get("identifier") or []:
        if isinstance(ident, dict) and isinstance(ident.get("value"), str) and ident["value"].strip():
            return f"{ident.get('system') or ''}|{ident['value'].strip()}"
    return None


def _display_name(patient: dict[str, Any]) -> str:
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    names.sort(key=lambda n: n.get("use") not in ("official", "usual"))  # those first
    for name in names:
        if isinstance(name.get("text"), str) and name["text"].strip():
            return str(name["text"])
        parts = [p for p in [*(name.get("given") or []), name.get("family")] if isinstance(p, str)]
        if parts:
            return " ".join(parts)
    return ""


def _place(patient: dict[str, Any]) -> str:
    """The BFS number (CH Core: ch-ext-ech-7-municipalityid on `city` or on the address),
    else the postal code, else the place name; the home address first."""
    addresses = [a for a in patient.get("address") or [] if isinstance(a, dict)]
    addresses.sort(key=lambda a: a.get("use") != "home")
    for address in addresses:
        city = obj(address.get("_city"))
        for ext in [*(city.get("extension") or []), *(address.get("extension") or [])]:
            if isinstance(ext, dict) and ext.get("url") == BFS_EXTENSION:
                value = ext.get("valueString", ext.get("valueCode", ext.get("valueInteger")))
                if value is not None:
                    return str(value)
        for key in ("postalCode", "city"):
            if isinstance(address.get(key), str) and address[key].strip():
                return str(address[key])
    return ""


def _language(patient: dict[str, Any], place: str) -> str:
    """The preferred communication language (BCP 47: "de-CH" → de); one we do not offer is
    "other"; none given: the municipality's language."""
    spoken = [c for c in patient.get("communication") or [] if isinstance(c, dict)]
    spoken.sort(key=lambda c: c.get("preferred") is not True)
    for c in spoken:
        for coding in codings(c.get("language")):
            if isinstance(coding.get("code"), str):
                code = coding["code"].split("-")[0].lower()
                return code if code in LANGUAGES else "other"
    municipality = find_municipality(place) if place else None
    return municipality.language if municipality and municipality.language in LANGUAGES else "de"


def _phone(patient: dict[str, Any]) -> str:
    for telecom in patient.get("telecom") or []:
        if (
            isinstance(telecom, dict)
            and telecom.get("system") == "phone"
            and isinstance(telecom.get("value"), str)
        ):
            return str(telecom["value"])
    return ""


def client_form(patient: dict[str, Any]) -> ClientForm:
    place = _place(patient)
    birth = patient.get("birthDate")
    return ClientForm(
        display_name=_display_name(patient)[:200],
        birth_year=birth[:4] if isinstance(birth, str) else "",
        municipality=place[:200],
        language=_language(patient, place),
        phone=_phone(patient)[:40],
    )


def consent_form(consent: dict[str, Any], patient: Entry, service_request: dict[str, Any]) -> ConsentForm:
    if consent.get("status") != "active":
        raise InvalidInput(NOT_PERMITTED, field="Consent.status")
    provision = obj(consent.get("provision"))
    if provision.get("type") != "permit":
        raise InvalidInput(NOT_PERMITTED, field="Consent.provision.type")
    if not points_at(consent.get("patient"), patient):
        raise InvalidInput(BAD_REFERENCE, field="Consent.patient")
    # Who agreed: the patient (no performer, or the Patient), else a representative.
    performers = [p for p in consent.get("performer") or [] if isinstance(p, dict)]
    by_client = not performers or any(points_at(p, patient) for p in performers)
    scope = [
        str(c.get("code"))
        for c in codings(provision.get("code") or [])
        if c.get("system") == codes.CONSENT_SCOPE_SYSTEM
    ]
    notes = [
        n["text"]
        for n in service_request.get("note") or []
        if isinstance(n, dict) and isinstance(n.get("text"), str)
    ]
    # The day it was given: provision.period.start (as consent.py writes it), else dateTime.
    period = obj(provision.get("period"))
    given_on = period.get("start") or consent.get("dateTime")
    return ConsentForm(
        confirmed=True,
        given_by="client" if by_client else "representative",
        method="written" if consent.get("sourceAttachment") or consent.get("sourceReference") else "verbal",
        given_on=given_on[:10] if isinstance(given_on, str) else "",
        scope=scope or list(DEFAULT_SCOPE),  # no scope codes: what the nurse's form proposes
        note="\n".join(notes),
    )


def _period_start(consent: Entry) -> str | None:
    start = obj(obj(consent.resource.get("provision")).get("period")).get("start")
    return start[:10] if isinstance(start, str) else None


def read(bundle: dict[str, Any], organisation_id: int, today: date) -> Inbound:
    """Everything that can be checked without the database, or InvalidInput naming the element."""
    entries = entries_of(bundle)
    patient, consent = only(entries, "Patient"), only(entries, "Consent")
    service_request, task = only(entries, "ServiceRequest"), only(entries, "Task")
    sr, t = service_request.resource, task.resource
    for value, wanted, where in (
        (t.get("status"), "requested", "Task.status"),
        (t.get("intent"), "order", "Task.intent"),
        (sr.get("status"), "active", "ServiceRequest.status"),
        (sr.get("intent"), "order", "ServiceRequest.intent"),
    ):
        if value != wanted:
            raise InvalidInput(NOT_A_REQUEST, field=where)
    if not points_at(t.get("focus"), service_request):
        raise InvalidInput(BAD_REFERENCE, field="Task.focus")
    if "for" in t and not points_at(t["for"], patient):
        raise InvalidInput(BAD_REFERENCE, field="Task.for")
    if not points_at(sr.get("subject"), patient):
        raise InvalidInput(BAD_REFERENCE, field="ServiceRequest.subject")
    if "requester" in t and target_id(t["requester"], "Organization") != codes.passerelle_org_id(
        organisation_id
    ):
        raise InvalidInput(NOT_REQUESTER, field="Task.requester")
    owner_id = target_id(t.get("owner"), "Organization")
    if not owner_id:
        raise InvalidInput(NOT_ON_PASSERELLE, field="Task.owner")
    domain = need_domain(sr)
    performers = [target_id(p, "HealthcareService") for p in sr.get("performer") or []]

    client, consent_values = client_form(patient.resource), consent_form(consent.resource, patient, sr)
    client.validate(today)
    consent_values.validate(today)
    fields = {PATIENT_FIELDS[k]: v for k, v in client.errors.items()}
    # The day consent was given is read from provision.period.start, else from dateTime.
    given_on_at = (
        "Consent.provision.period.start"
        if consent_values.given_on == _period_start(consent)
        else "Consent.dateTime"
    )
    fields |= {
        (given_on_at if k == "given_on" else CONSENT_FIELDS[k]): v for k, v in consent_values.errors.items()
    }
    if fields:
        raise InvalidInput(CHECK_FIELDS, fields=fields)
    return Inbound(
        entries=entries,
        task_key=first_identifier(t) or task.full_url,
        patient_key=first_identifier(patient.resource),
        client=client,
        consent=consent_values,
        need_domain=domain,
        owner_id=owner_id,
        service_id=next((p for p in performers if p), None),
    )


# --- turning it into a referral -------------------------------------------------------------


def ids(organisation_id: int, inbound: Inbound, secret_key: str) -> tuple[str, str, str]:
    """(referral, consent, client) ids: the same Bundle always gives the same ones."""
    key = f"fhir-inbound:{organisation_id}:{inbound.task_key}"
    if inbound.patient_key:  # keyed: a patient number must not be guessable from the id
        client = uuid.uuid5(
            uuid.uuid5(NAMESPACE, secret_key), f"patient:{organisation_id}:{inbound.patient_key}"
        )
    else:
        client = uuid.uuid5(NAMESPACE, f"{key}:client")
    return (
        str(uuid.uuid5(NAMESPACE, f"{key}:referral")),
        str(uuid.uuid5(NAMESPACE, f"{key}:consent")),
        str(client),
    )


def receiving_organization(session: Session, owner_id: str) -> DirectoryOrganization:
    organization = session.get(DirectoryOrganization, owner_id)
    if organization is None or organization.organisation_id is None:
        raise InvalidInput(NOT_ON_PASSERELLE, field="Task.owner")
    return organization


def offers_for(session: Session, organization_id: str, domain: str) -> list[DirectoryService]:
    """The organisation's active offers for the need, in a stable order."""
    query = (
        select(DirectoryService)
        .join(DirectoryServiceTag, col(DirectoryServiceTag.service_id) == col(DirectoryService.id))
        .where(
            DirectoryService.organization_id == organization_id,
            DirectoryService.status == "active",
            DirectoryServiceTag.kind == "need_domain",
            DirectoryServiceTag.value == domain,
        )
        .order_by(col(DirectoryService.name_de), col(DirectoryService.id))
    )
    return list(session.exec(query).all())


def chosen_offer(
    session: Session, inbound: Inbound, organization: DirectoryOrganization, today: date
) -> DirectoryService:
    """The offer ServiceRequest.performer names, or the owner's first one that takes referrals
    (a paused offer is refused, as in the nurse's summary)."""
    offers = offers_for(session, organization.id, inbound.need_domain)
    if inbound.service_id is not None:
        offers = [o for o in offers if o.id == inbound.service_id]
        if not offers:
            raise InvalidInput(NOT_ITS_OFFER, field="ServiceRequest.performer")
    if not offers:
        raise InvalidInput(NO_OFFER, field="Task.owner")
    open_offers = [o for o in offers if not paused(o, today)]
    if not open_offers:
        where = "ServiceRequest.performer" if inbound.service_id else "Task.owner"
        raise InvalidInput(OFFER_PAUSED, field=where)
    return open_offers[0]


def replayed(session: Session, referral: Referral, ignored: list[int]) -> Received:
    client = session.get(Client, referral.client_id)
    consent = session.get(Consent, referral.consent_id)
    assert client is not None and consent is not None  # written with the referral
    return Received(referral, client, consent, created=False, ignored=ignored)


def receive(session: Session, user: CurrentUser, inbound: Inbound, secret_key: str, today: date) -> Received:
    """The referral the Bundle asks for: found again on a replay, else checked and sent."""
    organisation_id = user.organisation_id
    if organisation_id is None:
        raise NotFound(N_("No such referral in your organisation."))
    ignored = [e.index for e in inbound.entries if e.type in IGNORED]
    referral_id, consent_id, client_id = ids(organisation_id, inbound, secret_key)
    existing = session.get(Referral, referral_id)
    if existing is not None and existing.organisation_id == organisation_id:
        return replayed(session, existing, ignored)

    organization = receiving_organization(session, inbound.owner_id)
    offer = chosen_offer(session, inbound, organization, today)
    client = session.get(Client, client_id)
    if client is not None and client.organisation_id != organisation_id:  # cannot arise: see ids()
        raise InvalidInput(BAD_REFERENCE, field="Patient.identifier")
    duplicates = (
        open_duplicates(session, client.id, Choice(inbound.need_domain, offer.id), organization.id)
        if client is not None
        else []
    )
    for duplicate in duplicates:
        if duplicate.id == referral_id:  # the same Bundle, committed since our first look
            return replayed(session, duplicate, ignored)
    if duplicates:
        raise InvalidInput(DUPLICATE, field="Task.owner")

    # Nothing refused: from here on rows are written. The same Bundle sent twice at once (a
    # retry after a timeout) meets the first one's rows: a conflict, answered 409; sent again,
    # it finds the referral.
    try:
        referral, client, consent = _write(
            session, user, inbound, (referral_id, consent_id, client_id), organization, offer, client, today
        )
    except IntegrityError:
        raise Conflict(IN_PROGRESS) from None
    return Received(referral, client, consent, created=True, ignored=ignored)


def _write(
    session: Session,
    user: CurrentUser,
    inbound: Inbound,
    row_ids: tuple[str, str, str],
    organization: DirectoryOrganization,
    offer: DirectoryService,
    client: Client | None,
    today: date,
) -> tuple[Referral, Client, Consent]:
    referral_id, consent_id, client_id = row_ids
    organisation_id = user.organisation_id
    assert organisation_id is not None  # checked by receive()
    if client is None:
        made = create_client(session, user, inbound.client, client_id)
        assert made is not None  # the form was validated in read()
        client = made
    values = inbound.consent.validate(today)
    consent = Consent(
        id=consent_id,
        organisation_id=organisation_id,
        client_id=client.id,
        given_by=values["given_by"],
        method=values["method"],
        given_on=values["given_on"],
        scope=values["scope"],
        recipients=[organization.id],
        recorded_by=user.id,
    )
    session.add(consent)
    municipality = MUNICIPALITIES.get(client.municipality)
    needs: dict[str, str] = {}  # no screening: the need comes without a severity
    referral = Referral(
        id=referral_id,
        source="fhir",
        organisation_id=organisation_id,
        client_id=client.id,
        consent_id=consent.id,
        service_id=offer.id,
        directory_organization_id=organization.id,
        receiving_organisation_id=organization.organisation_id,
        need_domain=inbound.need_domain,
        district=municipality.district if municipality else None,
        language=client.language,
        shared=shared_data(
            values["scope"], inbound.need_domain, needs, client_fields(client), None, values["note"]
        ),
        created_by=user.id,
    )
    submit(session, referral, user.id, organisation_id)
    return referral, client, consent


# --- the answer (pure) ---------------------------------------------------------------------


def _entry(resource_type: str, ident: str, moment: Any, created: bool) -> dict[str, Any]:
    version = version_of(moment)
    return {
        "response": {
            "status": "201 Created" if created else "200 OK",
            "location": f"{resource_type}/{ident}/_history/{version}",
            "etag": f'W/"{version}"',
            "lastModified": instant(moment),
        }
    }


def response_bundle(inbound: Inbound, received: Received, not_stored: str) -> dict[str, Any]:
    """A transaction-response: one entry per request entry, in the same order. Task and
    ServiceRequest are both the referral (same id, as task.py shows them)."""
    referral, client, consent, created = (
        received.referral,
        received.client,
        received.consent,
        received.created,
    )
    made = {
        "Patient": ("Patient", client.id, client.updated_at),
        "Consent": ("Consent", consent.id, consent.recorded_at),
        "ServiceRequest": ("ServiceRequest", referral.id, referral.updated_at),
        "Task": ("Task", referral.id, referral.updated_at),
    }
    entries = []
    for entry in inbound.entries:
        if entry.type in made:
            entries.append(_entry(*made[entry.type], created=created))
        else:
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "information", "code": "informational", "details": {"text": not_stored}}
                ],
            }
            entries.append({"response": {"status": "200 OK", "outcome": outcome}})
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}
