"""What the receiving organisation did for a referral, as a Procedure (Gravity SDOHCC-Procedure
pattern: the Task's `output` of type resulting-activity points at it). Pure.

One per referral, with the referral's id, and only once the case was closed with an outcome
(cases.close): help started or advice given → `completed`; the client declined, could not be
reached or was referred elsewhere → `not-done` (nothing was done here), the outcome as
statusReason too. `code` is the outcome in our CodeSystem (Gravity binds Procedure.code
extensibly to SDOH interventions; our outcomes are what a coordinator records, not an
intervention code); `category` is the referral's need, as on its ServiceRequest."""

from __future__ import annotations

from typing import Any

from backend.fhir import codes
from backend.fhir.task import instant, meta, patient_reference
from backend.referrals.models import Referral

PROFILE = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-Procedure"
DONE = frozenset({"help_started", "advice_given"})


def exists(referral: Referral) -> bool:
    return referral.outcome is not None


def procedure(referral: Referral, as_sender: bool) -> dict[str, Any]:
    assert referral.outcome is not None, "a Procedure exists only for a referral with an outcome"
    outcome = {"coding": [codes.coding("outcome", referral.outcome)]}
    done = referral.outcome in DONE
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": referral.id,
        "meta": meta(referral, PROFILE),
        "basedOn": [{"reference": f"ServiceRequest/{referral.id}"}],
        "status": "completed" if done else "not-done",
        "category": codes.need_category(referral.need_domain),
        "code": outcome,
        "subject": patient_reference(referral, as_sender),
        "performer": [
            {
                "actor": {
                    "reference": f"Organization/{codes.directory_org_id(referral.directory_organization_id)}"
                }
            }
        ],
    }
    if not done:
        resource["statusReason"] = outcome
    if referral.closed_at:
        resource["performedDateTime"] = instant(referral.closed_at)
    return resource
