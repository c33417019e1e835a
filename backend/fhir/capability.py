"""The CapabilityStatement (GET /fhir/metadata), built from the routes the app really has, so
it says exactly what is supported: a resource type is listed when a route under /fhir/<Type>
exists, with the interactions its methods give, and the search parameters of SEARCH_PARAMS
only when it has a search route. Pure: the caller passes the routes.

Routes → interactions: GET /fhir/<Type>/{id} read, GET /fhir/<Type> search-type,
PUT …/{id} update, PATCH …/{id} patch, DELETE …/{id} delete, POST /fhir/<Type> create,
GET …/{id}/_history/{vid} vread, POST /fhir transaction (system level)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from backend.fhir import codes

SOFTWARE = "Passerelle"
FHIR_VERSION = "4.0.1"
IG = "http://hl7.org/fhir/us/sdoh-clinicalcare"
IG_VERSION = "3.0.0"
COORDINATION_PLATFORM = f"{IG}/CapabilityStatement/SDOHCC-CoordinationPlatform|{IG_VERSION}"
BACKPORT_SERVER = (
    "http://hl7.org/fhir/uv/subscriptions-backport/CapabilityStatement/backport-subscription-server-r4"
)
CORE = "http://hl7.org/fhir/SearchParameter"
STARTED = datetime.now(UTC)  # the statement changes only with the code: when this process began

# name → (definition, type) of the search parameters we implement, per resource type. A
# module that adds a search parameter adds it here (small additive edit).
_ID = ("_id", f"{CORE}/Resource-id", "token")
_LAST_UPDATED = ("_lastUpdated", f"{CORE}/Resource-lastUpdated", "date")
SEARCH_PARAMS: dict[str, list[tuple[str, str, str]]] = {
    "Task": [
        _ID,
        ("code", f"{CORE}/Task-code", "token"),
        ("patient", f"{CORE}/Task-patient", "reference"),
        ("requester", f"{CORE}/Task-requester", "reference"),
        ("owner", f"{CORE}/Task-owner", "reference"),
        ("status", f"{CORE}/Task-status", "token"),
        ("focus", f"{CORE}/Task-focus", "reference"),
        _LAST_UPDATED,
    ],
    "ServiceRequest": [
        _ID,
        ("category", f"{CORE}/ServiceRequest-category", "token"),
        ("intent", f"{CORE}/ServiceRequest-intent", "token"),
        ("patient", f"{CORE}/clinical-patient", "reference"),
        ("status", f"{CORE}/ServiceRequest-status", "token"),
        _LAST_UPDATED,
    ],
    "Observation": [
        _ID,
        ("category", f"{CORE}/Observation-category", "token"),
        ("patient", f"{CORE}/clinical-patient", "reference"),
    ],
    "Condition": [
        _ID,
        ("category", f"{CORE}/Condition-category", "token"),
        ("patient", f"{CORE}/clinical-patient", "reference"),
    ],
    "Consent": [_ID],
    "Goal": [_ID, ("patient", f"{CORE}/clinical-patient", "reference")],
    "Questionnaire": [
        _ID,
        ("url", f"{CORE}/Questionnaire-url", "uri"),
        ("version", f"{CORE}/Questionnaire-version", "token"),
    ],
    "QuestionnaireResponse": [
        _ID,
        ("author", f"{CORE}/QuestionnaireResponse-author", "reference"),
        ("patient", f"{CORE}/QuestionnaireResponse-patient", "reference"),
        ("questionnaire", f"{CORE}/QuestionnaireResponse-questionnaire", "reference"),
        ("status", f"{CORE}/QuestionnaireResponse-status", "token"),
    ],
    "Organization": [_ID, ("name", f"{CORE}/Organization-name", "string")],
    "HealthcareService": [
        _ID,
        ("organization", f"{CORE}/HealthcareService-organization", "reference"),
        ("service-category", f"{CORE}/HealthcareService-service-category", "token"),
        ("active", f"{CORE}/HealthcareService-active", "token"),
        ("location", f"{CORE}/HealthcareService-location", "reference"),
        _LAST_UPDATED,
    ],
    "Location": [_ID, ("organization", f"{CORE}/Location-organization", "reference"), _LAST_UPDATED],
    "Subscription": [("status", f"{CORE}/Subscription-status", "token")],
    "Basic": [("code", f"{CORE}/Basic-code", "token")],  # the SubscriptionTopic (backport IG)
    "CodeSystem": [("url", f"{CORE}/conformance-url", "uri")],
    "ConceptMap": [("url", f"{CORE}/conformance-url", "uri")],
}
SEARCH_INCLUDES: dict[str, list[str]] = {
    "Task": ["Task:focus", "Task:focus:ServiceRequest"],
    "HealthcareService": ["HealthcareService:location", "HealthcareService:organization"],
}
# The profiles (IG 3.0.0) our resources of a type claim in meta.profile.
SUPPORTED_PROFILES: dict[str, list[str]] = {
    "Task": [f"{IG}/StructureDefinition/SDOHCC-TaskForReferralManagement"],
    "ServiceRequest": [f"{IG}/StructureDefinition/SDOHCC-ServiceRequest"],
    "Procedure": [f"{IG}/StructureDefinition/SDOHCC-Procedure"],
    "Goal": [f"{IG}/StructureDefinition/SDOHCC-Goal"],
    "Patient": ["http://fhir.ch/ig/ch-core/StructureDefinition/ch-core-patient"],
    "HealthcareService": [f"{IG}/StructureDefinition/SDOHCC-HealthcareServiceForReferralManagement"],
}
# Operations we implement, by name (path segment `$name`) → their OperationDefinition.
OPERATIONS: dict[str, str] = {
    "status": "http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status",
}
DOCUMENTATION: dict[str, str] = {
    "Task": "Referrals (SDOHCC Task for referral management): the receiving organisation moves them "
    "through their lifecycle with PUT/PATCH (If-Match); every change goes through Passerelle's state "
    "machine.",
    "HealthcareService": "The offers of Passerelle's directory (open data), with their capacity status.",
    "Organization": "Directory organisations under their HSDS id; organisations with accounts but no "
    "directory entry as passerelle-<number>.",
    "Subscription": "R4 Subscriptions Backport IG 1.1.0, one topic: "
    "https://fhir.passerelle.ch/SubscriptionTopic/task-changed (Basic/task-changed), filters owner, "
    "requester, status (your own organisation's Tasks only); rest-hook, id-only payloads, no handshake.",
    "Basic": "Only the subscription topic (code SubscriptionTopic), as the Backport IG holds it in R4.",
}
ORDER = ["read", "vread", "update", "patch", "delete", "history-instance", "create", "search-type"]


def interactions(
    routes: Iterable[tuple[str, Iterable[str]]],
) -> tuple[dict[str, set[str]], set[str], dict[str, set[str]]]:
    """(resource type → interactions, system interactions, resource type → operations) from the
    app's (path, methods) under /fhir."""
    by_type: dict[str, set[str]] = {}
    system: set[str] = set()
    operations: dict[str, set[str]] = {}
    for path, methods in routes:
        wanted = set(methods) - {"HEAD", "OPTIONS"}
        parts = path.rstrip("/").split("/")[1:]  # ["fhir", Type, ...]
        if not parts or parts[0] != "fhir" or not wanted:
            continue
        if len(parts) == 1:
            if "POST" in wanted:
                system.add("transaction")
            continue
        kind, rest = parts[1], parts[2:]
        if not kind[:1].isupper():
            continue  # metadata, _search and the like
        found = by_type.setdefault(kind, set())
        if rest and rest[-1].startswith("$"):
            operations.setdefault(kind, set()).add(rest[-1][1:])
            if not found:
                del by_type[kind]
            continue
        if not rest:
            found |= {"search-type"} if "GET" in wanted else set()
            found |= {"create"} if "POST" in wanted else set()
        elif len(rest) == 1 and rest[0].startswith("{"):
            method_map = {"GET": "read", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
            found |= {method_map[m] for m in wanted if m in method_map}
        elif rest[1:2] == ["_history"]:
            found.add("vread" if len(rest) == 3 else "history-instance")
        if not found:
            del by_type[kind]
    return by_type, system, operations


def resource_entry(kind: str, found: set[str], operations: set[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": kind}
    if kind in SUPPORTED_PROFILES:
        entry["supportedProfile"] = SUPPORTED_PROFILES[kind]
    if kind in DOCUMENTATION:
        entry["documentation"] = DOCUMENTATION[kind]
    entry["interaction"] = [{"code": code} for code in ORDER if code in found]
    if found & {"update", "patch"}:
        entry["versioning"] = "versioned-update"  # If-Match with the ETag; a stale one gets 412
        entry["updateCreate"] = False
    if "search-type" in found:
        includes = SEARCH_INCLUDES.get(kind)
        if includes:
            entry["searchInclude"] = includes
        params = SEARCH_PARAMS.get(kind, [])
        if params:
            entry["searchParam"] = [{"name": n, "definition": d, "type": t} for n, d, t in params]
    known = sorted(name for name in operations if name in OPERATIONS)
    if known:
        entry["operation"] = [{"name": name, "definition": OPERATIONS[name]} for name in known]
    return entry


def capability_statement(base: str, routes: Iterable[tuple[str, Iterable[str]]]) -> dict[str, Any]:
    by_type, system, operations = interactions(routes)
    resources = [
        resource_entry(kind, by_type.get(kind, set()), operations.get(kind, set()))
        for kind in sorted(set(by_type) | set(operations))
    ]
    instantiates = [COORDINATION_PLATFORM]
    if "Subscription" in by_type:
        instantiates.append(BACKPORT_SERVER)
    patches = any("patch" in found for found in by_type.values())
    rest: dict[str, Any] = {
        "mode": "server",
        "documentation": (
            "Passerelle as a coordination platform of the Gravity SDOH Clinical Care IG 3.0.0 referral "
            "workflow, for the canton of Bern (CH Core where it applies instead of US Core)."
        ),
        "security": {
            "cors": False,
            "description": (
                "Every interaction but this statement needs a personal API token of a Passerelle user "
                "(Authorization: Bearer …), made by an administrator; it acts for the user's organisation "
                "and role and sees what the user would see in Passerelle. Session cookies do not open "
                "/fhir. Unknown ids and other organisations' resources answer 404 OperationOutcome; "
                "reads of personal data are audited."
            ),
        },
        "resource": resources,
    }
    if system:
        rest["interaction"] = [{"code": code} for code in sorted(system)]
    statement: dict[str, Any] = {
        "resourceType": "CapabilityStatement",
        "id": "passerelle",
        "url": f"{codes.CANONICAL}/CapabilityStatement/passerelle",
        "name": "Passerelle",
        "title": "Passerelle FHIR R4 server",
        "status": "active",
        "experimental": False,
        "date": STARTED.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "publisher": SOFTWARE,
        "description": "What Passerelle's FHIR R4 interface supports, as built from its routes.",
        "kind": "instance",
        "instantiates": instantiates,
        "software": {"name": SOFTWARE},
        "implementation": {"description": "Passerelle", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
    }
    if patches:
        statement["patchFormat"] = ["application/json-patch+json"]
    statement["rest"] = [rest]
    return statement
