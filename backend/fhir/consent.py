"""A recorded consent as a FHIR Consent (R4, privacy consent): who agreed, when, what leaves
the organisation (the scope items of referrals/consent.py) and to whom. Pure.

- scope `patient-privacy`, category LOINC 59284-0 "Patient Consent";
- policyRule OPTIN: the client opted in to sharing (R4 needs a policy or a policyRule);
- performer: the patient, or a legal representative (we keep no record of them: display only);
- organization: the organisation that recorded it (the custodian);
- provision (permit, from the day consent was given): `code` the scope items that may leave
  (beyond the need, municipality and language that always go with a referral), `actor` the
  recipients (directory organisations) as information recipients.

Two views: the recording organisation sees the consent as recorded (every recipient, the
client as Patient/<client id>); a receiving organisation sees only itself as recipient (the
other recipients would tell it about needs the consent may not share with it) and the
patient as Patient/<referral id>, as in its Task."""

from __future__ import annotations

from typing import Any

from backend.fhir import codes
from backend.fhir.task import instant
from backend.i18n import translate
from backend.referrals.consent import GIVEN_BY
from backend.referrals.models import Consent

PRIVACY_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"


def consent(
    row: Consent, patient_id: str, recipients: list[str] | None = None, locale: str = "de"
) -> dict[str, Any]:
    """`patient_id` is the Patient the viewer knows (client id or referral id); `recipients`
    the directory organisations this view may name (default: all of the consent's)."""
    patient = {"reference": f"Patient/{patient_id}"}
    performer = (
        patient
        if row.given_by == "client"
        else {"display": translate(locale, GIVEN_BY.get(row.given_by, row.given_by))}
    )
    provision: dict[str, Any] = {
        "type": "permit",
        "period": {"start": row.given_on.isoformat()},
        "actor": [
            {
                "role": {"coding": [{"system": PARTICIPATION, "code": "IRCP"}]},
                "reference": {"reference": f"Organization/{codes.directory_org_id(org)}"},
            }
            for org in (row.recipients if recipients is None else recipients)
        ],
    }
    if row.scope:
        provision["code"] = [{"coding": [codes.coding("consent-scope", item)]} for item in row.scope]
    if not provision["actor"]:
        del provision["actor"]
    return {
        "resourceType": "Consent",
        "id": row.id,
        "meta": {"lastUpdated": instant(row.recorded_at)},
        "status": "active",
        "scope": {"coding": [{"system": PRIVACY_SCOPE, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": patient,
        "dateTime": instant(row.recorded_at),
        "performer": [performer],
        "organization": [{"reference": f"Organization/{codes.passerelle_org_id(row.organisation_id)}"}],
        "policyRule": {"coding": [{"system": ACT_CODE, "code": "OPTIN"}]},
        "provision": provision,
    }
