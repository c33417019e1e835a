"""Our vocabularies as FHIR terminology resources: a CodeSystem for each system of codes.SYSTEMS
(display German, designations German and French) and the ConceptMap from our need domains to
the Gravity SDOH categories (SDOHCC-ValueSetSDOHCategory of the IG 3.0.0). Pure mapping."""

from __future__ import annotations

from typing import Any

from backend.fhir import codes
from backend.i18n import LANGUAGES, translate

PUBLISHER = "Passerelle"
CONCEPT_MAP_ID = "need-domain-to-sdohcc"
CONCEPT_MAP_URL = f"{codes.CANONICAL}/ConceptMap/{CONCEPT_MAP_ID}"
SDOHCC_CATEGORY_VALUE_SET = "http://hl7.org/fhir/us/sdoh-clinicalcare/ValueSet/SDOHCC-ValueSetSDOHCategory"

# How a need domain relates to its Gravity category (codes.GRAVITY_CATEGORY), in the words of
# R4's concept-map-equivalence: the category is the domain's topic (equivalent), covers more
# than it (wider) or only part of it (narrower). Domains without a category are "unmatched".
EQUIVALENCE: dict[str, str] = {
    "housing": "equivalent",
    "finances": "equivalent",
    "food": "equivalent",
    "loneliness": "equivalent",
    "mobility": "equivalent",
    "safety": "narrower",  # intimate-partner violence is one kind of violence
    "language": "equivalent",
    "digital": "equivalent",
    "work": "equivalent",
}
# A narrower or inexact mapping says why (R4 invariant cmd-1).
COMMENTS: dict[str, str] = {
    "safety": "Passerelle's domain covers every kind of violence and threat, including elder abuse.",
}
# The Gravity categories' displays, as the IG's CodeSystem spells them.
SDOHCC_DISPLAY: dict[str, str] = {
    "housing-instability": "Housing Instability",
    "financial-insecurity": "Financial Insecurity",
    "food-insecurity": "Food Insecurity",
    "social-connection": "Social Connection",
    "transportation-insecurity": "Transportation Insecurity",
    "intimate-partner-violence": "Intimate Partner Violence",
    "language-access": "Language Access",
    "digital-access": "Digital Access",
    "employment-status": "Employment Status",
}
TITLES = {
    "need-domain": "Passerelle need domains",
    "need-severity": "Passerelle need severities",
    "outcome": "Passerelle referral outcomes",
    "reject-reason": "Passerelle reasons for declining a referral",
    "contact": "Passerelle contact results",
    "contact-channel": "Passerelle contact channels",
    "service-type": "Passerelle offer types",
    "organisation-type": "Passerelle organisation types",
}


def code_system_id(url: str) -> str:
    """A CodeSystem's id is the last part of its canonical URL (…/CodeSystem/need-domain)."""
    return url.rsplit("/", 1)[1]


def code_systems() -> list[dict[str, Any]]:
    return [code_system(name) for name in codes.SYSTEMS]


def by_id(resource_id: str) -> dict[str, Any] | None:
    for name, (url, _) in codes.SYSTEMS.items():
        if code_system_id(url) == resource_id:
            return code_system(name)
    return None


def code_system(name: str) -> dict[str, Any]:
    url, labels = codes.SYSTEMS[name]
    resource_id = code_system_id(url)
    concepts = [
        {
            "code": code,
            "display": translate("de", label),
            "designation": [
                {"language": language, "value": translate(language, label)} for language in LANGUAGES
            ],
        }
        for code, label in labels.items()
    ]
    return {
        "resourceType": "CodeSystem",
        "id": resource_id,
        "language": "de",
        "url": url,
        "version": "1",
        "name": "Passerelle" + "".join(part.capitalize() for part in resource_id.split("-")),
        "title": TITLES.get(name, f"Passerelle {resource_id}"),
        "status": "active",
        "experimental": False,
        "publisher": PUBLISHER,
        "description": (
            f"{TITLES.get(name, resource_id)}. Display in German; designations in German and French."
        ),
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }


def concept_map() -> dict[str, Any]:
    """Need domain → Gravity SDOH category, one element per domain (unmatched where none fits)."""
    _, domains = codes.SYSTEMS["need-domain"]
    elements = []
    for domain, label in domains.items():
        gravity = codes.GRAVITY_CATEGORY.get(domain)
        target: dict[str, Any] = (
            {
                "code": gravity,
                "display": SDOHCC_DISPLAY.get(gravity, gravity),
                "equivalence": EQUIVALENCE.get(domain, "relatedto"),
                **({"comment": COMMENTS[domain]} if domain in COMMENTS else {}),
            }
            if gravity
            else {"equivalence": "unmatched", "comment": "No Gravity SDOH category fits this need domain."}
        )
        elements.append({"code": domain, "display": translate("de", label), "target": [target]})
    return {
        "resourceType": "ConceptMap",
        "id": CONCEPT_MAP_ID,
        "url": CONCEPT_MAP_URL,
        "version": "1",
        "name": "PasserelleNeedDomainToSDOHCC",
        "title": "Passerelle need domains to Gravity SDOH categories",
        "status": "active",
        "experimental": False,
        "publisher": PUBLISHER,
        "description": (
            "Which Gravity SDOH category (SDOH Clinical Care IG 3.0.0, SDOHCC-ValueSetSDOHCategory) "
            "each Passerelle need domain is sent with; domains without one are unmatched."
        ),
        "targetCanonical": SDOHCC_CATEGORY_VALUE_SET,
        "group": [
            {
                "source": codes.NEED_DOMAIN_SYSTEM,
                "sourceVersion": "1",
                "target": codes.SDOHCC_CODES,
                "element": elements,
            }
        ],
    }


CONCEPT_MAPS = {CONCEPT_MAP_ID: concept_map}
