"""The directory in FHIR: an HSDS organization as Organization, an offer (HSDS service) as
HealthcareService (the Gravity IG 3.0.0 profile SDOHCC-HealthcareServiceForReferralManagement,
with its capacity-status extension), the offer's place as Location. Pure mapping, no I/O.

HSDS → FHIR, as the Gravity IG and the HSDS-FHIR mapping of Open Referral read it:
  service.name / description                → name / comment
  application_process + fees_description    → extraDetails
  eligibility_description, minimum/maximum age → eligibility
  need domains (attributes)                 → category (us-core `sdoh` + Gravity category + ours)
  offer type (attribute)                    → type
  organization                              → providedBy
  service_at_location                       → location (Location/<HSDS location id>)
  service_areas (canton/district/municipality) → coverageArea (contained Locations, BFS number)
  phones, email, url                        → telecom
  schedules (free text only in Passerelle)  → availabilityExceptions
  languages                                 → communication
  capacity (our HSDS extension)             → SDOHCC capacity-status extension; a pause also
                                               as notAvailable (until its end date)
Texts are in the caller's language (the other language as a `translation` extension)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from backend.accounts.models import Organisation
from backend.accounts.roles import OrgType
from backend.directory.hsds import AREA_URN, stable_id
from backend.directory.models import DirectoryOrganization
from backend.directory.records import ServiceRecord
from backend.fhir import codes
from backend.fhir.version import version_of
from backend.geo.reference import DISTRICTS, MUNICIPALITIES
from backend.i18n import LANGUAGES, N_, translate

IG = "http://hl7.org/fhir/us/sdoh-clinicalcare"
HEALTHCARE_SERVICE_PROFILE = f"{IG}/StructureDefinition/SDOHCC-HealthcareServiceForReferralManagement"
CAPACITY_EXTENSION = f"{IG}/StructureDefinition/SDOHCC-ExtensionHealthcareServiceCapacityStatus"
APPOINTMENT_EXTENSION = f"{IG}/StructureDefinition/SDOHCC-ExtensionHealthcareServiceTelecomAppointment"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
MUNICIPALITY_ID = "http://fhir.ch/ig/ch-core/StructureDefinition/ch-ext-ech-7-municipalityid"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
REFERRAL_METHOD = "http://terminology.hl7.org/CodeSystem/service-referral-method"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
URI_SYSTEM = "urn:ietf:rfc:3986"

# Our capacity (HSDS extension) → SDOHCC-ValueSetCapacityStatus.
CAPACITY = {
    "accepting": ("capacity", "Has Capacity"),
    "waitlist": ("waitlist", "No Capacity - Has Waitlist"),
    "not_accepting": ("no-capacity", "No Capacity"),
}
# Offer type → SDOHCC-ValueSetHealthcareServiceType (extensible: its code goes first where one
# fits; the others have none there and keep only ours).
HL7_SERVICE_TYPE = "http://terminology.hl7.org/CodeSystem/service-type"
SERVICE_TYPES = {"carer_relief": ("156", "Respite care")}
# Passerelle organisation type → http://terminology.hl7.org/CodeSystem/organization-type.
ORGANIZATION_TYPES = {
    OrgType.HOME_CARE: ("prov", "Healthcare Provider"),
    OrgType.SUPPORT: ("cg", "Community Group"),
    OrgType.COORDINATION: ("other", "Other"),
    OrgType.ADMINISTRATION: ("govt", "Government"),
}
# HSDS service status → HealthcareService.active / Location.status. A temporarily closed offer
# stays active (FHIR: closures are notAvailable, not inactive).
ACTIVE_STATUSES = ("active", "temporarily closed")
LOCATION_STATUS = {"active": "active", "temporarily closed": "suspended"}

PAUSED = N_("This offer takes no new referrals at the moment.")
CLOSED = N_("Temporarily closed")
AGE = N_("Age")


@dataclass(frozen=True)
class Offer:
    """What the mapping needs of one offer: the record (texts, tags, areas), its organisation
    and when it last changed."""

    record: ServiceRecord
    organization: DirectoryOrganization
    modified_at: datetime


def instant(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def location_id(service_id: str) -> str:
    """The offer's place has the id the HSDS export gives it (service_at_location.location)."""
    return stable_id("location", service_id)


# --- texts in two languages ------------------------------------------------------------------


def localized(resource: dict[str, Any], element: str, texts: dict[str, str | None], locale: str) -> None:
    """Sets `element` to the text in the caller's language (else the other one) and adds the
    other language's text as a `translation` extension on `_element`."""
    other = next(lang for lang in LANGUAGES if lang != locale) if locale in LANGUAGES else "fr"
    value = texts.get(locale) or texts.get(other)
    if not value:
        return
    resource[element] = value
    translations = [
        {
            "url": TRANSLATION,
            "extension": [{"url": "lang", "valueCode": lang}, {"url": "content", "valueString": text}],
        }
        for lang in LANGUAGES
        if (text := texts.get(lang)) and text != value
    ]
    if translations:
        resource[f"_{element}"] = {"extension": translations}


def _joined(*parts: dict[str, str | None]) -> dict[str, str | None]:
    return {lang: "\n\n".join(t for part in parts if (t := part.get(lang))) or None for lang in LANGUAGES}


# --- Organization ----------------------------------------------------------------------------


def organization(org: DirectoryOrganization, linked: Organisation | None = None) -> dict[str, Any]:
    """A directory organisation under its HSDS id; `linked` is the Passerelle organisation whose
    staff keep its offers (its type is then known)."""
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": codes.directory_org_id(org.id),
        "meta": {"lastUpdated": instant(org.modified_at)},
        "identifier": [{"system": URI_SYSTEM, "value": f"urn:uuid:{org.id}"}],
        "active": True,
    }
    if linked is not None:
        resource["type"] = organization_type(linked.type)
    resource["name"] = org.name
    telecom = []
    if org.email:
        telecom.append({"system": "email", "value": org.email, "use": "work"})
    if org.website:
        telecom.append({"system": "url", "value": org.website, "use": "work"})
    if telecom:
        resource["telecom"] = telecom
    return resource


def passerelle_organization(org: Organisation) -> dict[str, Any]:
    """An organisation with accounts but no directory entry (a Spitex, a hospital, the canton)."""
    assert org.id is not None
    return {
        "resourceType": "Organization",
        "id": codes.passerelle_org_id(org.id),
        "meta": {"lastUpdated": instant(org.created_at)},
        "active": True,
        "type": organization_type(org.type),
        "name": org.name,
    }


def organization_type(org_type: str) -> list[dict[str, Any]]:
    codings = []
    if org_type in ORGANIZATION_TYPES:
        code, display = ORGANIZATION_TYPES[OrgType(org_type)]
        codings.append({"system": ORGANIZATION_TYPE, "code": code, "display": display})
    if org_type in codes.SYSTEMS["organisation-type"][1]:
        codings.append(codes.coding("organisation-type", org_type))
    return [{"coding": codings}] if codings else []


# --- HealthcareService -----------------------------------------------------------------------


def paused(record: ServiceRecord, today: date) -> bool:
    """Not accepting, until its end date (inclusive) if one was given (as referrals.service)."""
    if record.capacity_status != "not_accepting":
        return False
    return record.capacity_until is None or record.capacity_until >= today


def capacity_code(record: ServiceRecord, today: date) -> str:
    if paused(record, today):
        return "no-capacity"
    return CAPACITY["waitlist" if record.capacity_status == "waitlist" else "accepting"][0]


def capacity_extension(record: ServiceRecord, today: date) -> dict[str, Any]:
    code = capacity_code(record, today)
    display = next(d for c, d in CAPACITY.values() if c == code)
    parts: list[dict[str, Any]] = [
        {
            "url": "capacityStatus",
            "valueCodeableConcept": {
                "coding": [{"system": codes.SDOHCC_CODES, "code": code, "display": display}]
            },
        }
    ]
    if record.capacity_note:
        parts.append({"url": "capacityNotes", "valueString": record.capacity_note})
    return {"url": CAPACITY_EXTENSION, "extension": parts}


def need_category(domain: str) -> dict[str, Any]:
    """The IG's slices: one us-core `sdoh` coding, the Gravity category where one exists, ours."""
    codings: list[dict[str, Any]] = [{"system": US_CORE_CATEGORY, "code": "sdoh", "display": "SDOH"}]
    codings += codes.need_category(domain)["coding"]
    return {"coding": codings}


def service_type(code: str) -> list[dict[str, Any]]:
    codings = [codes.coding("service-type", code)]
    if code in SERVICE_TYPES:
        hl7_code, display = SERVICE_TYPES[code]
        codings.insert(0, {"system": HL7_SERVICE_TYPE, "code": hl7_code, "display": display})
    return codings


def healthcare_service(offer: Offer, locale: str, today: date) -> dict[str, Any]:
    record, org = offer.record, offer.organization
    active = record.status in ACTIVE_STATUSES
    meta: dict[str, Any] = {
        "versionId": version_of(offer.modified_at),
        "lastUpdated": instant(offer.modified_at),
    }
    if active:  # the profile fixes active = true
        meta["profile"] = [HEALTHCARE_SERVICE_PROFILE]
    resource: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": record.id,
        "meta": meta,
    }
    if record.areas:
        resource["contained"] = [coverage_area(scope, code, locale) for scope, code in record.areas]
    resource["extension"] = [capacity_extension(record, today)]
    resource["active"] = active
    resource["providedBy"] = {
        "reference": f"Organization/{codes.directory_org_id(org.id)}",
        "display": org.name,
    }
    resource["category"] = [need_category(d) for d in record.need_domains] or [
        {"coding": [{"system": US_CORE_CATEGORY, "code": "sdoh", "display": "SDOH"}]}
    ]
    resource["type"] = [{"coding": service_type(record.service_type)}]
    if record.city:
        resource["location"] = [
            {
                "reference": f"Location/{location_id(record.id)}",
                "display": record.location_name or record.city,
            }
        ]
    texts = record.texts
    localized(resource, "name", texts.get("name", {}), locale)
    localized(resource, "comment", texts.get("description", {}), locale)
    localized(
        resource, "extraDetails", _joined(texts.get("how_to_access", {}), texts.get("fees", {})), locale
    )
    telecom = []
    if record.phone:
        telecom.append(
            {
                "extension": [{"url": APPOINTMENT_EXTENSION, "valueBoolean": True}],
                "system": "phone",
                "value": record.phone,
                "use": "work",
            }
        )
    if record.email:
        telecom.append({"system": "email", "value": record.email, "use": "work"})
    if record.url:
        telecom.append({"system": "url", "value": record.url, "use": "work"})
    if telecom:
        resource["telecom"] = telecom
    if record.areas:
        resource["coverageArea"] = [
            {"reference": f"#{area_id(scope, code)}", "display": area_name(scope, code, locale)}
            for scope, code in record.areas
        ]
    eligibility = []
    if any((texts.get("eligibility") or {}).values()):
        entry: dict[str, Any] = {}
        localized(entry, "comment", texts["eligibility"], locale)
        eligibility.append(entry)
    if record.minimum_age is not None or record.maximum_age is not None:
        ages = f"{record.minimum_age or 0}–{record.maximum_age if record.maximum_age is not None else ''}"
        eligibility.append({"code": {"text": translate(locale, AGE)}, "comment": ages})
    if eligibility:
        resource["eligibility"] = eligibility
    if record.languages:
        resource["communication"] = [
            {"coding": [{"system": LANGUAGE_SYSTEM, "code": lang}]} for lang in record.languages
        ]
    if org.organisation_id is not None:  # its staff receive referrals through Passerelle
        resource["referralMethod"] = [
            {"coding": [{"system": REFERRAL_METHOD, "code": "elec", "display": "Secure Messaging"}]}
        ]
    not_available = []
    if paused(record, today):
        pause: dict[str, Any] = {"description": record.capacity_note or translate(locale, PAUSED)}
        if record.capacity_until is not None:
            pause["during"] = {"end": record.capacity_until.isoformat()}
        not_available.append(pause)
    if record.status == "temporarily closed":
        not_available.append({"description": translate(locale, CLOSED)})
    if not_available:
        resource["notAvailable"] = not_available
    localized(resource, "availabilityExceptions", texts.get("hours", {}), locale)
    return resource


# --- coverage areas and Location -------------------------------------------------------------


def area_id(scope: str, code: str) -> str:
    return f"area-{scope}-{code}"


def area_name(scope: str, code: str, locale: str) -> str:
    if scope == "municipality" and code.isdigit() and int(code) in MUNICIPALITIES:
        return MUNICIPALITIES[int(code)].name
    if scope == "district" and code in DISTRICTS:
        return DISTRICTS[code].name(locale)
    return "Canton de Berne" if locale == "fr" else "Kanton Bern"


def coverage_area(scope: str, code: str, locale: str) -> dict[str, Any]:
    """A service area as a contained jurisdiction Location, named by the HSDS area URN; a
    municipality also carries its BFS number (CH Core's eCH-0007 extension)."""
    address: dict[str, Any] = {"state": "BE", "country": "CH"}
    if scope == "municipality":
        address = {
            "city": area_name(scope, code, locale),
            "_city": {"extension": [{"url": MUNICIPALITY_ID, "valueString": code}]},
            **address,
        }
    elif scope == "district":
        address = {"district": area_name(scope, code, locale), **address}
    return {
        "resourceType": "Location",
        "id": area_id(scope, code),
        "identifier": [{"system": URI_SYSTEM, "value": f"{AREA_URN}{scope}:{code}"}],
        "name": area_name(scope, code, locale),
        "mode": "instance",
        "physicalType": {"coding": [{"system": PHYSICAL_TYPE, "code": "jdn", "display": "Jurisdiction"}]},
        "address": address,
    }


def location(offer: Offer) -> dict[str, Any]:
    """Where the offer is given (HSDS service_at_location); only offers with a town have one."""
    record, org = offer.record, offer.organization
    address: dict[str, Any] = {"use": "work", "type": "physical"}
    if record.street:
        address["line"] = [record.street]
    address["city"] = record.city
    if record.postal_code:
        address["postalCode"] = record.postal_code
    address.update(state="BE", country="CH")
    return {
        "resourceType": "Location",
        "id": location_id(record.id),
        "meta": {"lastUpdated": instant(offer.modified_at)},
        "status": LOCATION_STATUS.get(record.status, "inactive"),
        "name": record.location_name or record.city,
        "mode": "instance",
        "address": address,
        "managingOrganization": {
            "reference": f"Organization/{codes.directory_org_id(org.id)}",
            "display": org.name,
        },
    }
