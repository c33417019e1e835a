"""An offer as Passerelle thinks of it, independent of tables and of HSDS: the one shape that
forms, the HSDS importer, the demo loader and the exporter all go through. Pure; no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from backend.geo.reference import DISTRICTS, MUNICIPALITIES
from backend.i18n import N_
from backend.vocab import ACCESS_MODES, LIFE_PHASES, NEED_DOMAINS, SERVICE_TYPES

TEXT_FIELDS = ("name", "description", "eligibility", "how_to_access", "fees", "hours")
CAPACITY = ("accepting", "waitlist", "not_accepting")
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
AREA_SCOPES = ("canton", "district", "municipality")
CANTON = "BE"
PHONE = re.compile(r"^\+?[0-9 ()./-]{3,25}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS = {
    "name": 200,
    "description": 4000,
    "eligibility": 2000,
    "how_to_access": 2000,
    "fees": 1000,
    "hours": 1000,
}


@dataclass
class ServiceRecord:
    id: str
    organization_id: str
    texts: dict[str, dict[str, str | None]] = field(default_factory=dict)  # field -> {de, fr}
    service_type: str = "advice"
    status: str = "active"
    free_of_charge: bool = False
    minimum_age: int | None = None
    maximum_age: int | None = None
    phone: str | None = None
    email: str | None = None
    url: str | None = None
    location_name: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    capacity_status: str = "accepting"
    capacity_note: str | None = None
    capacity_until: date | None = None
    need_domains: list[str] = field(default_factory=list)
    life_phases: list[str] = field(default_factory=list)
    access_modes: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    areas: list[tuple[str, str]] = field(default_factory=list)  # (scope, code)
    is_demo: bool = False

    def text(self, name: str, language: str) -> str | None:
        return (self.texts.get(name) or {}).get(language)

    def comparable(self) -> dict[str, Any]:
        """Everything that makes two records the same offer (order of lists does not matter)."""
        values = {k: v for k, v in self.__dict__.items() if k != "is_demo"}
        for key in ("need_domains", "life_phases", "access_modes", "languages", "areas"):
            values[key] = sorted(values[key])
        values["texts"] = {
            name: {lang: (self.text(name, lang) or None) for lang in ("de", "fr")} for name in TEXT_FIELDS
        }
        return values


def clean(value: str | None) -> str | None:
    """Trimmed text, or None for blank."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def validate(record: ServiceRecord) -> dict[str, str]:
    """Field → msgid of what is wrong; empty when the offer may be saved."""
    errors: dict[str, str] = {}
    if not (record.text("name", "de") or record.text("name", "fr")):
        errors["name"] = N_("Give the offer a name in German or in French.")
    if not (record.text("description", "de") or record.text("description", "fr")):
        errors["description"] = N_("Describe the offer in German or in French.")
    for name, limit in LIMITS.items():
        for language in ("de", "fr"):
            if len(record.text(name, language) or "") > limit:
                errors[f"{name}_{language}"] = N_("This text is too long.")
    if record.service_type not in SERVICE_TYPES:
        errors["service_type"] = N_("Choose the type of offer.")
    if record.status not in STATUSES:
        errors["status"] = N_("Unknown status.")
    if not record.need_domains:
        errors["need_domains"] = N_("Choose at least one need the offer helps with.")
    elif set(record.need_domains) - set(NEED_DOMAINS):
        errors["need_domains"] = N_("Unknown need domain.")
    if not record.life_phases:
        errors["life_phases"] = N_("Choose at least one life phase.")
    elif set(record.life_phases) - set(LIFE_PHASES):
        errors["life_phases"] = N_("Unknown life phase.")
    if set(record.access_modes) - set(ACCESS_MODES):
        errors["access_modes"] = N_("Unknown access mode.")
    if not record.languages:
        errors["languages"] = N_("Say in which language(s) the offer is given.")
    elif any(not re.fullmatch(r"[a-z]{2}", code) for code in record.languages):
        errors["languages"] = N_("Languages are two-letter codes such as de or fr.")
    area_error = _validate_areas(record.areas)
    if area_error:
        errors["areas"] = area_error
    for name, value in (("minimum_age", record.minimum_age), ("maximum_age", record.maximum_age)):
        if value is not None and not 0 <= value <= 120:
            errors[name] = N_("An age is between 0 and 120.")
    if (
        record.minimum_age is not None
        and record.maximum_age is not None
        and record.minimum_age > record.maximum_age
    ):
        errors["maximum_age"] = N_("The maximum age is below the minimum age.")
    if record.phone and not PHONE.match(record.phone):
        errors["phone"] = N_("Enter a phone number with digits, for example +41 31 123 45 67.")
    if record.email and not EMAIL.match(record.email):
        errors["email"] = N_("Enter an e-mail address such as info@example.ch.")
    if record.url and not web_address(record.url):
        errors["url"] = BAD_WEB_ADDRESS
    if record.capacity_status not in CAPACITY:
        errors["capacity_status"] = N_("Unknown capacity status.")
    return errors


BAD_WEB_ADDRESS = N_("A web address starts with https://.")


def web_address(value: str) -> bool:
    """An absolute http(s) address with a host: nothing else may become a link's href
    (`javascript:`, `data:`, …). Spaces and control characters are refused too, as browsers
    drop them before reading the scheme."""
    if any(character.isspace() or not character.isprintable() for character in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def validate_organization(website: str | None, email: str | None) -> dict[str, str]:
    """The organisation's contact fields, as `validate` checks an offer's."""
    errors: dict[str, str] = {}
    if website and not web_address(str(website)):
        errors["organization.website"] = BAD_WEB_ADDRESS
    if email and not EMAIL.match(str(email)):
        errors["organization.email"] = N_("Enter an e-mail address such as info@example.ch.")
    return errors


def _validate_areas(areas: list[tuple[str, str]]) -> str | None:
    if not areas:
        return N_("Say where the offer is available: the canton, districts or municipalities.")
    for scope, code in areas:
        if scope == "canton" and code == CANTON:
            continue
        if scope == "district" and code in DISTRICTS:
            continue
        if scope == "municipality" and code.isdigit() and int(code) in MUNICIPALITIES:
            continue
        return N_("This municipality or district does not exist in the canton of Bern.")
    return None


def area_rank(scope: str) -> int:
    """Specificity: an offer made for the municipality beats one for the district or canton."""
    return AREA_SCOPES[::-1].index(scope) if scope in AREA_SCOPES else 3
