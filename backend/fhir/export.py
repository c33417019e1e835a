"""Exports as FHIR Bundles, built from the same mappings as the API:

- `referral_document`: one referral as the Bundle (type `document`) a receiving system could
  import — a Composition ("Referral note", LOINC 57133-1) first, then Task, ServiceRequest,
  Patient, Consent, the two Organizations, the HealthcareService (and the Procedure once the
  case closed with an outcome). It is the receiver's view: the Patient is the referral's shared
  copy (only what the consent lets leave), the Consent names only that receiver, and no
  screening is in it (a receiving organisation never sees screenings).
- `client_collection`: everything held about one client for the organisation that holds the
  client (the right of access, beside the JSON export) as a Bundle of type `collection`: the
  Patient, the screenings (QuestionnaireResponses, Observations, Conditions), the consents,
  and the referrals (Task, ServiceRequest, Procedure).

Loading rows is here; the resources come from the pure mapping modules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from backend.accounts.models import Organisation
from backend.accounts.service import CurrentUser
from backend.audit.models import record
from backend.clients.models import Client
from backend.clients.service import open_client
from backend.db.types import utcnow
from backend.directory import repository
from backend.directory.models import DirectoryOrganization, DirectoryService
from backend.errors import NotFound
from backend.fhir import codes, directory, patient, procedure
from backend.fhir import consent as consents
from backend.fhir import screening as screenings
from backend.fhir import task as tasks
from backend.fhir.screening_search import instrument_of
from backend.fhir.version import version_of
from backend.i18n import N_, translate
from backend.referrals.models import Consent, Referral
from backend.screening.models import Screening

LOINC = "http://loinc.org"
REFERRAL_NOTE = {"system": LOINC, "code": "57133-1", "display": "Referral note"}
DOCUMENT_IDENTIFIER = f"{codes.CANONICAL}/referral-document"
NO_REFERRAL = N_("No such referral.")


def entry(base: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource}


def reference(resource: dict[str, Any]) -> dict[str, str]:
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


def narrative(text: str) -> dict[str, str]:
    """A generated narrative (a section's text); `text` holds no markup of its own."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{escaped}</div>'}


def section(title: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "title": title,
        "text": narrative(title),
        "entry": [reference(r) for r in resources],
    }


# --- one referral as a document ----------------------------------------------------------------


def _offer(session: Session, service_id: str) -> directory.Offer | None:
    row = session.get(DirectoryService, service_id)
    if row is None:
        return None
    org = session.get(DirectoryOrganization, row.organization_id)
    if org is None:
        return None
    (record_,) = repository.to_records(session, [row])
    return directory.Offer(record_, org, row.modified_at)


def _organizations(session: Session, referral: Referral) -> list[dict[str, Any]]:
    found = []
    if referral.organisation_id is not None:
        sender = session.get(Organisation, referral.organisation_id)
        if sender is not None:
            found.append(directory.passerelle_organization(sender))
    owner = session.get(DirectoryOrganization, referral.directory_organization_id)
    if owner is not None:
        linked = session.get(Organisation, owner.organisation_id) if owner.organisation_id else None
        found.append(directory.organization(owner, linked))
    return found


def composition(
    referral: Referral,
    now: datetime,
    sections: list[tuple[str, list[dict[str, Any]]]],
    author: dict[str, Any] | None,
    language: str,
) -> dict[str, Any]:
    need = translate(
        language, codes.SYSTEMS["need-domain"][1].get(referral.need_domain, referral.need_domain)
    )
    return {
        "resourceType": "Composition",
        "id": referral.id,
        "meta": {
            "versionId": version_of(referral.updated_at),
            "lastUpdated": tasks.instant(referral.updated_at),
        },
        "language": language,
        "identifier": {"system": DOCUMENT_IDENTIFIER, "value": referral.id},
        "status": "final",
        "type": {"coding": [REFERRAL_NOTE]},
        "category": [codes.need_category(referral.need_domain)],
        "subject": {"reference": f"Patient/{referral.id}"},
        "date": tasks.instant(now),
        "author": [reference(author)] if author else [{"display": "Passerelle"}],
        "title": f"{translate(language, N_('Referral'))}: {need}",
        "confidentiality": "R",  # restricted: personal data, as far as the consent shares it
        "custodian": {"display": "Passerelle"},
        "section": [section(title, resources) for title, resources in sections if resources],
    }


def referral_document(
    session: Session, referral_id: str, base: str, now: datetime | None = None, language: str = "de"
) -> dict[str, Any]:
    """The receiving organisation's view of one referral as a document Bundle; the export is
    written to the audit log (by the operator: no user)."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.status == "draft":  # a draft has not left: nothing to send
        raise NotFound(NO_REFERRAL)
    now = now or utcnow()
    task = tasks.task(referral, as_sender=False)
    request = tasks.service_request(referral, as_sender=False)
    person = patient.for_receiver(referral)
    consent_row = session.get(Consent, referral.consent_id) if referral.consent_id else None
    consent = (
        [consents.consent(consent_row, referral.id, [referral.directory_organization_id], language)]
        if consent_row
        else []
    )
    organizations = _organizations(session, referral)
    offer = _offer(session, referral.service_id)
    services = [directory.healthcare_service(offer, language, now.date())] if offer else []
    done = [procedure.procedure(referral, as_sender=False)] if procedure.exists(referral) else []
    author = organizations[0] if referral.organisation_id is not None and organizations else None
    sections = [
        (translate(language, N_("Referral")), [task, request, *done]),
        (translate(language, N_("Client and consent")), [person, *consent]),
        (translate(language, N_("Offer")), [*services, *organizations]),
    ]
    document = composition(referral, now, sections, author, language)
    resources = [document, task, request, person, *consent, *organizations, *services, *done]
    record(session, None, None, "export", "referral", referral.id)
    return {
        "resourceType": "Bundle",
        "id": f"{referral.id}-{version_of(referral.updated_at)}",
        "meta": {"lastUpdated": tasks.instant(now)},
        "identifier": {
            "system": DOCUMENT_IDENTIFIER,
            "value": f"{referral.id}-{version_of(referral.updated_at)}",
        },
        "type": "document",
        "timestamp": tasks.instant(now),
        "entry": [entry(base, r) for r in resources],
    }


# --- everything about one client ---------------------------------------------------------------


def _screening_resources(screening: Screening) -> list[dict[str, Any]]:
    instrument = instrument_of(screening)
    if instrument is None:  # an instrument version no longer shipped: the JSON export has it
        return []
    return [
        screenings.questionnaire_response(screening, instrument),
        *screenings.observations(screening, instrument),
        *screenings.conditions(screening),
    ]


def _referral_resources(referral: Referral) -> list[dict[str, Any]]:
    found = [tasks.task(referral, as_sender=True), tasks.service_request(referral, as_sender=True)]
    if procedure.exists(referral):
        found.append(procedure.procedure(referral, as_sender=True))
    return found


def client_collection(session: Session, user: CurrentUser, client_id: str, base: str) -> dict[str, Any]:
    """The client's record for the organisation that holds it (another's client: not found);
    audited as an export, like the JSON one."""
    client: Client = open_client(session, user, client_id)
    own = col(Screening.organisation_id) == client.organisation_id
    rows = session.exec(
        select(Screening).where(Screening.client_id == client.id, own).order_by(col(Screening.created_at))
    ).all()
    consent_rows = session.exec(
        select(Consent)
        .where(Consent.client_id == client.id, Consent.organisation_id == client.organisation_id)
        .order_by(col(Consent.recorded_at))
    ).all()
    referrals = session.exec(
        select(Referral)
        .where(Referral.client_id == client.id, Referral.organisation_id == client.organisation_id)
        .order_by(col(Referral.created_at))
    ).all()
    resources = [patient.for_sender(client)]
    for screening in rows:
        resources += _screening_resources(screening)
    resources += [consents.consent(row, client.id) for row in consent_rows]
    for referral in referrals:
        resources += _referral_resources(referral)
    record(session, user.id, user.organisation_id, "export", "client", client.id)
    now = utcnow()
    return {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": tasks.instant(now)},
        "type": "collection",
        "timestamp": tasks.instant(now),
        "entry": [entry(base, r) for r in resources],
    }
