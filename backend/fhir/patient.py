"""The person a referral is about, as a CH Core patient — two views, never mixed (pure):

- `for_sender(client)`: the referring organisation's own client record, Patient/<client id>;
- `for_receiver(referral)`: the receiving organisation's view, Patient/<referral id>, built
  only from `referral.shared`, the copy the consent let leave (referrals/consent.py
  shared_data): the municipality and language always; name and phone only with "contact";
  the birth year only with "birth_year". A key missing from `shared` is missing here.

Passerelle keeps no full name, no street address and no insurance number (by design), so the
Patient holds a display name (HumanName.text), a birth year (birthDate "YYYY", a valid FHIR
date of year precision), the municipality, the language and a phone number.

The municipality: CH Core's address profile (ch-core-address) names the place in
`address.city` and carries its BFS municipality number in the extension
ch-ext-ech-7-municipalityid (eCH-0007) on `city`; `state` is the canton abbreviation
(eCH-0007, ch-addr-2) and `country` the ISO code. We follow that."""

from __future__ import annotations

from typing import Any

from backend.clients.models import Client
from backend.fhir.task import instant
from backend.fhir.version import version_of
from backend.geo.reference import MUNICIPALITIES
from backend.referrals.models import Referral

PROFILE = "http://fhir.ch/ig/ch-core/StructureDefinition/ch-core-patient"
BFS_EXTENSION = "http://fhir.ch/ig/ch-core/StructureDefinition/ch-ext-ech-7-municipalityid"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
CANTON = "BE"  # Passerelle serves the canton of Bern


def address(bfs_number: int | None) -> dict[str, Any]:
    municipality = MUNICIPALITIES.get(bfs_number) if bfs_number is not None else None
    city: dict[str, Any] = {"use": "home", "state": CANTON, "country": "CH"}
    if bfs_number is not None:
        city["city"] = municipality.name if municipality else str(bfs_number)
        city["_city"] = {"extension": [{"url": BFS_EXTENSION, "valueString": str(bfs_number)}]}
    return city


def patient(
    ident: str,
    updated_at: Any,
    *,
    display_name: str | None,
    birth_year: int | None,
    municipality: int | None,
    language: str | None,
    phone: str | None,
) -> dict[str, Any]:
    """A Patient from the fields one view may show; None leaves the element out."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": ident,
        "meta": {
            "versionId": version_of(updated_at),
            "lastUpdated": instant(updated_at),
            "profile": [PROFILE],
        },
    }
    if display_name:
        resource["name"] = [{"text": display_name}]
    if phone:
        resource["telecom"] = [{"system": "phone", "value": phone}]
    if birth_year:
        resource["birthDate"] = f"{int(birth_year):04d}"
    if municipality is not None:
        resource["address"] = [address(municipality)]
    if language:
        resource["communication"] = [
            {"language": {"coding": [{"system": LANGUAGE_SYSTEM, "code": language}]}, "preferred": True}
        ]
    return resource


def for_sender(client: Client) -> dict[str, Any]:
    """The referring organisation's client record: Patient/<client id>."""
    return patient(
        client.id,
        client.updated_at,
        display_name=client.display_name,
        birth_year=client.birth_year,
        municipality=client.municipality,
        language=client.language,
        phone=client.phone,
    )


def for_receiver(referral: Referral) -> dict[str, Any]:
    """The receiving organisation's view: Patient/<referral id>, from `referral.shared` only."""
    shared = referral.shared or {}
    municipality = shared.get("municipality")
    return patient(
        referral.id,
        referral.updated_at,
        display_name=shared.get("display_name"),
        birth_year=shared.get("birth_year"),
        municipality=int(municipality) if municipality is not None else None,
        language=shared.get("language"),
        phone=shared.get("phone"),
    )
