"""Open Referral HSDS 3.0: Passerelle offers to and from the compiled service form.

Extension (documented in the README, validates against the official schemas, which allow
extra properties): every service and organization may carry
`"passerelle": {"translations": {"de": {...}, "fr": {...}}, ...}` with German and French
`name`, `description`, `eligibility_description`, `application_process`, `fees_description`
and `hours`; the plain HSDS fields hold the first language present (German, else French).
Service areas are named by URN: `urn:passerelle:be:canton:BE`, `…:district:EM`,
`…:municipality:902` (BFS number). Need domains, life phases, offer types and access modes
are taxonomy terms linked as `attributes`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from backend.directory.models import DirectoryOrganization
from backend.directory.records import ServiceRecord, clean
from backend.geo.reference import DISTRICTS, MUNICIPALITIES
from backend.i18n import N_, translate
from backend.vocab import ACCESS_MODES, LIFE_PHASES, NEED_DOMAINS, SERVICE_TYPES

HSDS_VERSION = "3.0.1"
SCHEMAS = Path(__file__).parent / "hsds_schema"
NAMESPACE = uuid.UUID("7f0c1a52-3f0e-4f0b-9d62-5a3f1f0e2b11")  # Passerelle's uuid5 namespace
AREA_URN = "urn:passerelle:be:"
# HSDS field <-> our text field
TEXT_MAP = {
    "name": "name",
    "description": "description",
    "eligibility_description": "eligibility",
    "application_process": "how_to_access",
    "fees_description": "fees",
    "hours": "hours",
}
TAXONOMIES = {
    # kind: (taxonomy name, vocabulary, record attribute)
    "need_domain": ("passerelle-need-domains", NEED_DOMAINS, "need_domains"),
    "life_phase": ("passerelle-life-phases", {k: v[0] for k, v in LIFE_PHASES.items()}, "life_phases"),
    "service_type": ("passerelle-offer-types", SERVICE_TYPES, None),
    "access_mode": ("passerelle-access-modes", ACCESS_MODES, "access_modes"),
}
LANGUAGE_NAMES = {"de": "German", "fr": "French", "it": "Italian", "en": "English"}


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


# --- taxonomies -----------------------------------------------------------------------------


def taxonomy_id(kind: str) -> str:
    return stable_id("taxonomy", kind)


def term_id(kind: str, code: str) -> str:
    return stable_id("term", kind, code)


def taxonomies() -> list[dict[str, Any]]:
    return [
        {
            "id": taxonomy_id(kind),
            "name": name,
            "description": f"Passerelle vocabulary: {kind.replace('_', ' ')}s (see PRODUCT.md)",
            "version": "1",
        }
        for kind, (name, _, _) in TAXONOMIES.items()
    ]


def taxonomy_terms() -> list[dict[str, Any]]:
    return [term(kind, code) for kind, (_, vocabulary, _) in TAXONOMIES.items() for code in vocabulary]


def term(kind: str, code: str) -> dict[str, Any]:
    name, vocabulary, _ = TAXONOMIES[kind]
    label = vocabulary[code]
    return {
        "id": term_id(kind, code),
        "code": code,
        "name": translate("de", label),
        "description": f"{translate('de', label)} / {translate('fr', label)}",
        "taxonomy": name,
        "taxonomy_id": taxonomy_id(kind),
        "language": "de",
    }


TERM_INDEX = {term_id(kind, code): (kind, code) for kind, (_, v, _) in TAXONOMIES.items() for code in v}


# --- export ---------------------------------------------------------------------------------


def _primary(texts: dict[str, str | None]) -> str | None:
    return texts.get("de") or texts.get("fr")


def _translations(texts: dict[str, dict[str, str | None]]) -> dict[str, dict[str, str]]:
    """{language: {hsds field: text}} for the languages that have any text."""
    out: dict[str, dict[str, str]] = {}
    for language in ("de", "fr"):
        values = {name: text for name, by_language in texts.items() if (text := by_language.get(language))}
        if values:
            out[language] = values
    return out


def organization_to_hsds(org: DirectoryOrganization) -> dict[str, Any]:
    descriptions = {"de": org.description_de, "fr": org.description_fr}
    result: dict[str, Any] = {
        "id": org.id,
        "name": org.name,
        "description": _primary(descriptions) or org.name,
        "email": org.email,
        "website": org.website,
        "passerelle": {
            "translations": {lang: {"description": text} for lang, text in descriptions.items() if text},
            "demo": org.is_demo,
        },
    }
    return {k: v for k, v in result.items() if v is not None}


def service_to_hsds(
    record: ServiceRecord, org: DirectoryOrganization, modified: datetime, reviewed: datetime
) -> dict[str, Any]:
    """The compiled HSDS service (compiled/service.json) of one offer."""
    sid = record.id
    texts = {hsds: record.texts.get(ours, {"de": None, "fr": None}) for hsds, ours in TEXT_MAP.items()}
    attributes = [
        _attribute(sid, kind, code)
        for kind, (_, _, attribute) in TAXONOMIES.items()
        for code in ([record.service_type] if attribute is None else getattr(record, attribute))
    ]
    service: dict[str, Any] = {
        "id": sid,
        "organization_id": org.id,
        "name": _primary(texts["name"]) or "",
        "description": _primary(texts["description"]),
        "url": record.url,
        "email": record.email,
        "status": record.status,
        "application_process": _primary(texts["application_process"]),
        "fees_description": _primary(texts["fees_description"]),
        "eligibility_description": _primary(texts["eligibility_description"]),
        "minimum_age": record.minimum_age,
        "maximum_age": record.maximum_age,
        "assured_date": reviewed.date().isoformat(),
        "last_modified": modified.isoformat().replace("+00:00", "Z"),
        "phones": [_phone(sid, record.phone)] if record.phone else [],
        "schedules": [_schedule(sid, texts["hours"])] if _primary(texts["hours"]) else [],
        "service_areas": [_area(sid, scope, code) for scope, code in record.areas],
        "service_at_locations": [_service_at_location(record)] if record.city else [],
        "languages": [
            {
                "id": stable_id("language", sid, code),
                "service_id": sid,
                "code": code,
                "name": LANGUAGE_NAMES.get(code, code),
            }
            for code in record.languages
        ],
        "organization": organization_to_hsds(org),
        "cost_options": (
            [
                {
                    "id": stable_id("cost", sid),
                    "service_id": sid,
                    "option": "free",
                    "amount": 0,
                    "currency": "CHF",
                }
            ]
            if record.free_of_charge
            else []
        ),
        "attributes": attributes,
        "passerelle": {
            "translations": _translations(texts),
            "capacity": {
                "status": record.capacity_status,
                "note": record.capacity_note,
                "until": record.capacity_until.isoformat() if record.capacity_until else None,
            },
            "demo": record.is_demo,
        },
    }
    return {k: v for k, v in service.items() if v is not None}


def _attribute(sid: str, kind: str, code: str) -> dict[str, Any]:
    return {
        "id": stable_id("attribute", sid, kind, code),
        "link_id": sid,
        "link_type": kind,
        "link_entity": "service",
        "taxonomy_term_id": term_id(kind, code),
        "taxonomy_term": term(kind, code),
    }


def _phone(sid: str, number: str) -> dict[str, Any]:
    return {"id": stable_id("phone", sid), "service_id": sid, "number": number, "type": "voice"}


def _schedule(sid: str, hours: dict[str, str | None]) -> dict[str, Any]:
    return {"id": stable_id("schedule", sid), "service_id": sid, "description": _primary(hours)}


def _area(sid: str, scope: str, code: str) -> dict[str, Any]:
    if scope == "municipality":
        name = MUNICIPALITIES[int(code)].name
    elif scope == "district":
        name = DISTRICTS[code].name_de
    else:
        name = "Kanton Bern"
    return {
        "id": stable_id("area", sid, scope, code),
        "service_id": sid,
        "name": name,
        "uri": f"{AREA_URN}{scope}:{code}",
    }


def _service_at_location(record: ServiceRecord) -> dict[str, Any]:
    location_id = stable_id("location", record.id)
    address = {
        "id": stable_id("address", record.id),
        "location_id": location_id,
        "address_1": record.street or "",  # required by HSDS; empty when only the town is known
        "city": record.city,
        "state_province": "BE",
        "postal_code": record.postal_code or "",
        "country": "CH",
        "address_type": "physical",
    }
    location = {
        "id": location_id,
        "location_type": "physical",
        "name": record.location_name,
        "addresses": [address],
    }
    return {
        "id": stable_id("service_at_location", record.id),
        "service_id": record.id,
        "location_id": location_id,
        "location": {k: v for k, v in location.items() if v is not None},
    }


# --- validation -----------------------------------------------------------------------------


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(obj: Any, name: str = "service") -> list[str]:
    """Every way the object breaks the official schema, as 'path: message'."""
    errors = sorted(validator(name).iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(object)'}: {e.message}" for e in errors]


# --- import ---------------------------------------------------------------------------------


@dataclass
class Problem:
    object_id: str
    field: str
    message: str  # msgid or schema text
    translatable: bool = True


def parse_service(
    doc: dict[str, Any],
) -> tuple[ServiceRecord | None, DirectoryOrganization | None, list[Problem]]:
    """A compiled HSDS service → (record, organization, problems). Structural problems come
    from the schema; vocabulary problems (unknown terms, places, no language) from here."""
    sid = str(doc.get("id", "?"))
    problems = [Problem(sid, e.split(":")[0], e, translatable=False) for e in schema_errors(doc)]
    if problems:
        return None, None, problems
    ext = doc.get("passerelle") or {}
    translations = ext.get("translations") or {}
    org_doc = doc.get("organization") or {}
    if not org_doc and not doc.get("organization_id"):
        problems.append(Problem(sid, "organization", N_("The offer names no organization.")))
        return None, None, problems

    texts: dict[str, dict[str, str | None]] = {}
    for hsds_name, ours in TEXT_MAP.items():
        values = {lang: clean((translations.get(lang) or {}).get(hsds_name)) for lang in ("de", "fr")}
        if not any(values.values()):
            plain = doc.get(hsds_name)
            if hsds_name == "hours":
                plain = next((s.get("description") for s in doc.get("schedules") or []), None)
            values["de"] = clean(plain)  # plain HSDS without our extension: read as German
        texts[ours] = values

    record = ServiceRecord(id=sid, organization_id=str(org_doc.get("id") or doc["organization_id"]))
    record.texts = texts
    record.status = doc.get("status", "active")
    record.minimum_age = doc.get("minimum_age")
    record.maximum_age = doc.get("maximum_age")
    record.url = doc.get("url")
    record.email = doc.get("email")
    record.phone = next((p.get("number") for p in doc.get("phones") or []), None)
    record.free_of_charge = any(
        c.get("option") == "free" or c.get("amount") == 0 for c in doc.get("cost_options") or []
    )
    capacity = ext.get("capacity") or {}
    record.capacity_status = capacity.get("status") or "accepting"
    record.capacity_note = capacity.get("note")
    try:
        record.capacity_until = date.fromisoformat(capacity["until"]) if capacity.get("until") else None
    except ValueError:
        problems.append(Problem(sid, "passerelle/capacity/until", N_("This is not a date.")))
    record.is_demo = bool(ext.get("demo"))
    record.languages = sorted(
        {str(lang.get("code") or "").lower() for lang in doc.get("languages") or []} - {""}
    )
    if not record.languages:
        problems.append(Problem(sid, "languages", N_("Say in which language(s) the offer is given.")))

    for attribute in doc.get("attributes") or []:
        term_ref = attribute.get("taxonomy_term_id") or (attribute.get("taxonomy_term") or {}).get("id")
        if term_ref not in TERM_INDEX:
            problems.append(Problem(sid, "attributes", N_("Unknown taxonomy term.")))
            continue
        kind, code = TERM_INDEX[term_ref]
        attribute_name = TAXONOMIES[kind][2]
        if attribute_name is None:  # the offer type: one value, not a list
            record.service_type = code
        else:
            getattr(record, attribute_name).append(code)

    for area in doc.get("service_areas") or []:
        uri = str(area.get("uri") or "")
        scope, _, code = uri.removeprefix(AREA_URN).partition(":")
        if not uri.startswith(AREA_URN) or not code:
            problems.append(
                Problem(
                    sid,
                    "service_areas",
                    N_("This municipality or district does not exist in the canton of Bern."),
                )
            )
            continue
        record.areas.append((scope, code))

    for sal in doc.get("service_at_locations") or []:
        location = sal.get("location") or {}
        address: dict[str, Any] = next(iter(location.get("addresses") or []), {})
        record.location_name = clean(location.get("name"))
        record.street = clean(address.get("address_1"))
        record.postal_code = address.get("postal_code") or None
        record.city = clean(address.get("city"))
        break

    org_translations = (org_doc.get("passerelle") or {}).get("translations") or {}
    organization = (
        DirectoryOrganization(
            id=record.organization_id,
            name=str(org_doc.get("name") or ""),
            description_de=clean((org_translations.get("de") or {}).get("description"))
            or (None if org_translations else clean(org_doc.get("description"))),
            description_fr=clean((org_translations.get("fr") or {}).get("description")),
            email=org_doc.get("email"),
            website=org_doc.get("website"),
            is_demo=bool((org_doc.get("passerelle") or {}).get("demo")),
        )
        if org_doc
        else None
    )
    return record, organization, problems
