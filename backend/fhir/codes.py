"""Passerelle's codes in FHIR: need domains, severities and outcomes as CodeSystems of our own
(canonical URLs below), with the Gravity SDOHCC category where one exists (the ConceptMap says
which). Pure data and small helpers."""

from __future__ import annotations

from typing import Any

from backend.accounts.roles import ORG_TYPE_LABELS
from backend.i18n import N_, translate
from backend.referrals import cases, states
from backend.referrals.consent import SCOPE_ITEMS
from backend.vocab import NEED_DOMAINS, SERVICE_TYPES, SEVERITIES

CANONICAL = "https://fhir.passerelle.ch"
NEED_DOMAIN_SYSTEM = f"{CANONICAL}/CodeSystem/need-domain"
SEVERITY_SYSTEM = f"{CANONICAL}/CodeSystem/need-severity"
OUTCOME_SYSTEM = f"{CANONICAL}/CodeSystem/referral-outcome"
REJECT_REASON_SYSTEM = f"{CANONICAL}/CodeSystem/reject-reason"
CONTACT_SYSTEM = f"{CANONICAL}/CodeSystem/contact"
CONTACT_CHANNEL_SYSTEM = f"{CANONICAL}/CodeSystem/contact-channel"
SERVICE_TYPE_SYSTEM = f"{CANONICAL}/CodeSystem/service-type"
ORGANISATION_TYPE_SYSTEM = f"{CANONICAL}/CodeSystem/organisation-type"
# What a consent lets leave (referrals/consent.py SCOPE_ITEMS), as Consent.provision.code.
CONSENT_SCOPE_SYSTEM = f"{CANONICAL}/CodeSystem/consent-scope"
# Who carries a referral out while its Task is `ready` (referrals/states.py READY): the offer's
# organisation is not on Passerelle, so the referrer arranges it herself (Task.businessStatus).
HANDLING_SYSTEM = f"{CANONICAL}/CodeSystem/referral-handling"
ARRANGED_BY_REFERRER = "arranged-by-referrer"
HANDLING = {ARRANGED_BY_REFERRER: N_("To be arranged by the referrer")}
# The wellbeing measures of issue 19: neither the ONS personal well-being questions nor the UCLA-3
# sum has a LOINC code, so they are coded here (fhir/followup.py's Observations).
WELLBEING_SYSTEM = f"{CANONICAL}/CodeSystem/wellbeing"
WELLBEING = {
    "ons4-life-satisfaction": N_("Life satisfaction (ONS4, 0 to 10)"),
    "ons4-worthwhile": N_("Things done in life worthwhile (ONS4, 0 to 10)"),
    "ons4-happy": N_("Happiness yesterday (ONS4, 0 to 10)"),
    "ons4-anxious": N_("Anxiety yesterday (ONS4, 0 to 10)"),
    "ucla3": N_("Loneliness, UCLA-3 sum (3 to 9)"),
}
NEED_DOMAINS_LABELS = NEED_DOMAINS
SDOHCC_CODES = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"

# A contact attempt, as Task.businessStatus (task_update.py): whether the person was reached,
# and how (a second coding of the contact-channel system; phone when none is given).
CONTACT_RESULTS = {"contact-reached": N_("Person reached"), "contact-not-reached": N_("Person not reached")}

SYSTEMS: dict[str, tuple[str, dict[str, str]]] = {
    # short name → (canonical URL, code → label msgid)
    "need-domain": (NEED_DOMAIN_SYSTEM, NEED_DOMAINS),
    "need-severity": (SEVERITY_SYSTEM, SEVERITIES),
    "outcome": (OUTCOME_SYSTEM, states.OUTCOME_LABELS),
    "reject-reason": (REJECT_REASON_SYSTEM, states.REJECT_REASONS),
    "contact": (CONTACT_SYSTEM, CONTACT_RESULTS),
    "contact-channel": (CONTACT_CHANNEL_SYSTEM, cases.CHANNELS),
    "service-type": (SERVICE_TYPE_SYSTEM, SERVICE_TYPES),
    "organisation-type": (ORGANISATION_TYPE_SYSTEM, {str(k): v for k, v in ORG_TYPE_LABELS.items()}),
    "consent-scope": (CONSENT_SCOPE_SYSTEM, SCOPE_ITEMS),
    "referral-handling": (HANDLING_SYSTEM, HANDLING),
    "wellbeing": (WELLBEING_SYSTEM, WELLBEING),
}

# Need domain → Gravity SDOH category (SDOHCC-ValueSetSDOHCategory), where one fits.
GRAVITY_CATEGORY: dict[str, str] = {
    "housing": "housing-instability",
    "finances": "financial-insecurity",
    "food": "food-insecurity",
    "loneliness": "social-connection",
    "mobility": "transportation-insecurity",
    "safety": "intimate-partner-violence",
    "language": "language-access",
    "digital": "digital-access",
    "work": "employment-status",
}

# Referral status → ServiceRequest.status (request-status): the request stays active while
# its Task is open; it is completed, revoked (cancelled) or ends otherwise when the Task does.
SERVICE_REQUEST_STATUS = {
    "draft": "draft",
    "completed": "completed",
    "cancelled": "revoked",
    "rejected": "revoked",
    "failed": "completed",
}


def coding(system: str, code: str) -> dict[str, str]:
    """A coding of one of our systems; its display is the German label, as in the CodeSystem
    (terminology.py), whose designations carry the French one."""
    url, labels = SYSTEMS[system]
    return {"system": url, "code": code, "display": translate("de", labels[code]) if code in labels else code}


def need_code(domain: str) -> dict[str, Any]:
    return {"coding": [coding("need-domain", domain)]}


def need_category(domain: str) -> dict[str, Any]:
    codings = [coding("need-domain", domain)]
    if domain in GRAVITY_CATEGORY:
        codings.insert(0, {"system": SDOHCC_CODES, "code": GRAVITY_CATEGORY[domain]})
    return {"coding": codings}


def service_request_status(status: str) -> str:
    return SERVICE_REQUEST_STATUS.get(status, "active")


def directory_org_id(directory_organization_id: str) -> str:
    """An organisation of the directory (HSDS) is Organization/<its HSDS id>."""
    return directory_organization_id


def passerelle_org_id(organisation_id: int) -> str:
    """An organisation with accounts but no directory entry (a Spitex, a hospital)."""
    return f"passerelle-{organisation_id}"
