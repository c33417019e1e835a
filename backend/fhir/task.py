"""A referral as the Gravity SDOH referral pattern shows it: a Task (SDOHCC-TaskForReferralManagement)
whose focus is a ServiceRequest (SDOHCC-ServiceRequest). Both carry the referral's id; pure
functions from rows to resources (dicts), no I/O.

Task.status is the referral's status as it is (backend/referrals/states.py uses the Task codes);
`ready` (an organisation not on Passerelle: the referrer arranges it) says so in businessStatus.
The receiving organisation's view holds only what the consent shares (`referral.shared`)."""

from __future__ import annotations

from typing import Any

from backend.fhir import codes
from backend.fhir.version import version_of
from backend.referrals.models import Referral
from backend.referrals.states import Status

TASK_PROFILE = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement"
SERVICE_REQUEST_PROFILE = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-ServiceRequest"


def instant(moment: Any) -> str:
    """FHIR instant: with seconds and a zone (our datetimes are UTC)."""
    text: str = moment.isoformat(timespec="seconds")
    return text if moment.tzinfo else text + "+00:00"


def meta(referral: Referral, profile: str) -> dict[str, Any]:
    return {
        "versionId": version_of(referral.updated_at),
        "lastUpdated": instant(referral.updated_at),
        "profile": [profile],
    }


def patient_reference(referral: Referral, as_sender: bool) -> dict[str, str]:
    """The sender knows the client (Patient/<client id>); the receiver only the referral's shared
    copy (Patient/<referral id>), which holds no more than the consent allows."""
    target = referral.client_id if as_sender and referral.client_id else referral.id
    return {"reference": f"Patient/{target}"}


def task(referral: Referral, as_sender: bool) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": referral.id,
        "meta": meta(referral, TASK_PROFILE),
        "status": referral.status,
        "intent": "order",
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
        "focus": {"reference": f"ServiceRequest/{referral.id}"},
        "for": patient_reference(referral, as_sender),
        "authoredOn": instant(referral.created_at),
        "lastModified": instant(referral.updated_at),
        "requester": {"reference": f"Organization/{codes.passerelle_org_id(referral.organisation_id)}"}
        if referral.organisation_id
        else {"display": "Passerelle"},
        "owner": {"reference": f"Organization/{codes.directory_org_id(referral.directory_organization_id)}"},
    }
    if referral.status_reason:
        resource["statusReason"] = {"text": referral.status_reason}
    if referral.status == Status.READY:
        # Nothing was sent: the referrer arranges it with the owner, who is not on Passerelle.
        resource["businessStatus"] = {
            "coding": [codes.coding("referral-handling", codes.ARRANGED_BY_REFERRER)]
        }
    if referral.outcome:
        resource["businessStatus"] = {"coding": [codes.coding("outcome", referral.outcome)]}
        # What the receiving organisation did (procedure.py), as Gravity links it.
        resource["output"] = [
            {
                "type": {"coding": [{"system": codes.SDOHCC_CODES, "code": "resulting-activity"}]},
                "valueReference": {"reference": f"Procedure/{referral.id}"},
            }
        ]
    return resource


def service_request(referral: Referral, as_sender: bool) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": referral.id,
        "meta": meta(referral, SERVICE_REQUEST_PROFILE),
        "status": codes.service_request_status(referral.status),
        "intent": "order",
        "category": [codes.need_category(referral.need_domain)],
        "code": codes.need_code(referral.need_domain),
        "subject": patient_reference(referral, as_sender),
        "authoredOn": instant(referral.created_at),
        "performer": [{"reference": f"HealthcareService/{referral.service_id}"}],
    }
    if referral.consent_id:
        resource["supportingInfo"] = [{"reference": f"Consent/{referral.consent_id}"}]
    return resource
