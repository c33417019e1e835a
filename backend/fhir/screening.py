"""Screenings in FHIR, as the Gravity SDOH IG shows an assessment: the instrument is a
Questionnaire (German, with French translations), a screening a QuestionnaireResponse, each
answer and each flagged need an Observation (SDOHCC-ObservationScreeningResponse) derived from
it, and each need the nurse confirmed at completion a Condition (SDOHCC-Condition, a health
concern). Pure functions from instruments and rows to resources (dicts), no I/O.

Ids: an Observation is "<screening id>-<item linkId>" or "<screening id>-need-<domain>", a
Condition "<screening id>-<domain>" (need domains with "-" for "_", FHIR ids allow no "_")."""

from __future__ import annotations

from typing import Any

from backend.fhir import codes
from backend.fhir.task import instant
from backend.fhir.version import version_of
from backend.i18n import N_, translate
from backend.screening.models import Screening
from backend.vocab import NEED_DOMAINS

QUESTIONNAIRE_PROFILE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
RESPONSE_PROFILE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaireresponse"
OBSERVATION_PROFILE = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-ObservationScreeningResponse"
)
CONDITION_PROFILE = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-Condition"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
CONDITION_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
HELP_CONTROL = {
    "system": "http://hl7.org/fhir/questionnaire-item-control",
    "code": "help",
    "display": "Help-Button",
}
UNSPECIFIED = "sdoh-category-unspecified"  # Gravity's code for an answer of no one category
NEED_PREFIX = "need-"
SCREENING_ID_LENGTH = 36  # a uuid

# Our item types → Questionnaire.item.type (multiple choice is a repeating choice).
ITEM_TYPES = {
    "display": "display",
    "choice": "choice",
    "multiple-choice": "choice",
    "yes-no": "boolean",
    "integer": "integer",
    "text": "text",
}
RESPONSE_STATUS = {"draft": "in-progress", "completed": "completed"}
# Items asked once per referred need (`"repeat": "need"`, the follow-up) sit in one repeated
# group whose first item says which need.
NEED_GROUP = "need"
NEED_DOMAIN_ITEM = "need-domain"


# --- ids and references ----------------------------------------------------------------------


def questionnaire_url(instrument_id: str) -> str:
    return f"{codes.CANONICAL}/Questionnaire/{instrument_id}"


def questionnaire_canonical(instrument_id: str, version: str) -> str:
    return f"{questionnaire_url(instrument_id)}|{version}"


def fhir_code(domain: str) -> str:
    return domain.replace("_", "-")


def item_observation_id(screening_id: str, link_id: str) -> str:
    return f"{screening_id}-{link_id}"


def need_observation_id(screening_id: str, domain: str) -> str:
    return f"{screening_id}-{NEED_PREFIX}{fhir_code(domain)}"


def condition_id(screening_id: str, domain: str) -> str:
    return f"{screening_id}-{fhir_code(domain)}"


def screening_of(resource_id: str) -> str | None:
    """The screening an Observation or Condition id belongs to (None: not one of ours)."""
    if len(resource_id) <= SCREENING_ID_LENGTH + 1 or resource_id[SCREENING_ID_LENGTH] != "-":
        return None
    return resource_id[:SCREENING_ID_LENGTH]


def patient_of(screening: Screening) -> dict[str, str]:
    return {"reference": f"Patient/{screening.client_id}"}


def author_of(screening: Screening) -> dict[str, str]:
    """The organisation that made it (readable as an Organization); no Practitioner resources
    exist for our users, so the nurse is not named (search `author=Practitioner/<user id>`
    still finds a nurse's screenings)."""
    return {"reference": f"Organization/{codes.passerelle_org_id(screening.organisation_id)}"}


def meta(screening: Screening, profile: str) -> dict[str, Any]:
    return {
        "versionId": version_of(screening.updated_at),
        "lastUpdated": instant(screening.updated_at),
        "profile": [profile],
    }


# --- texts: German, with the French translation -----------------------------------------------


def translation(language: str, text: str) -> dict[str, Any]:
    return {
        "url": TRANSLATION,
        "extension": [{"url": "lang", "valueCode": language}, {"url": "content", "valueString": text}],
    }


def texts(element: str, msgid: str) -> dict[str, Any]:
    """{"text": German, "_text": French as a translation extension} for an element name."""
    return {
        element: translate("de", msgid),
        f"_{element}": {"extension": [translation("fr", translate("fr", msgid))]},
    }


# --- Questionnaire ----------------------------------------------------------------------------


def _enable_when(condition: dict[str, Any], items: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """Our simple conditions ("question equals/in") as enableWhen; richer ones (sums, all, not)
    have no FHIR R4 form without FHIRPath and are left out (the server checks them anyway)."""
    question = condition.get("question")
    if question is None or question not in items:
        return None
    values = [condition["equals"]] if "equals" in condition else condition.get("in")
    if not values:
        return None
    kind = items[question]["type"]
    checks = []
    for value in values:
        if isinstance(value, bool) and kind == "yes-no":
            checks.append({"question": question, "operator": "=", "answerBoolean": value})
        elif isinstance(value, str) and kind in ("choice", "multiple-choice"):
            checks.append({"question": question, "operator": "=", "answerCoding": {"code": value}})
        elif isinstance(value, int) and not isinstance(value, bool) and kind == "integer":
            checks.append({"question": question, "operator": "=", "answerInteger": value})
        else:
            return None
    out: dict[str, Any] = {"enableWhen": checks}
    if len(checks) > 1:
        out["enableBehavior"] = "any"
    return out


def questionnaire_item(item: dict[str, Any], items: dict[str, dict[str, Any]]) -> dict[str, Any]:
    resource: dict[str, Any] = {"linkId": item["linkId"], **texts("text", item["text"])}
    resource["type"] = ITEM_TYPES[item["type"]]
    if item["type"] == "multiple-choice":
        resource["repeats"] = True
    if "enableWhen" in item and (when := _enable_when(item["enableWhen"], items)):
        resource.update(when)
    if "help" in item and item["type"] != "display":  # display items may have no children
        resource["item"] = [
            {
                "extension": [{"url": ITEM_CONTROL, "valueCodeableConcept": {"coding": [HELP_CONTROL]}}],
                "linkId": f"{item['linkId']}-help",
                **texts("text", item["help"]),
                "type": "display",
            }
        ]
    if "options" in item:
        resource["answerOption"] = [
            {"valueCoding": {"code": option["code"], **texts("display", option["text"])}}
            for option in item["options"]
        ]
    return resource


def questionnaire(instrument: dict[str, Any]) -> dict[str, Any]:
    items = {item["linkId"]: item for item in instrument["items"]}
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": instrument["id"],
        "meta": {"profile": [QUESTIONNAIRE_PROFILE]},
        "language": "de",
        "url": questionnaire_url(instrument["id"]),
        "version": instrument["version"],
        "name": "".join(part.capitalize() for part in instrument["id"].split("-")),
        **texts("title", instrument["title"]),
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "Passerelle",
    }
    if "description" in instrument:
        resource.update(texts("description", instrument["description"]))
    resource["item"] = []
    for item in instrument["items"]:
        if item.get("repeat") != "need":
            resource["item"].append(questionnaire_item(item, items))
        elif not any(i["linkId"] == NEED_GROUP for i in resource["item"]):
            resource["item"].append(need_group(instrument, items))
    return resource


def need_group(instrument: dict[str, Any], items: dict[str, dict[str, Any]]) -> dict[str, Any]:
    repeated = [item for item in instrument["items"] if item.get("repeat") == "need"]
    which = {
        "linkId": NEED_DOMAIN_ITEM,
        **texts("text", N_("Need")),
        "type": "choice",
        "required": True,
        "answerOption": [{"valueCoding": codes.coding("need-domain", domain)} for domain in NEED_DOMAINS],
    }
    return {
        "linkId": NEED_GROUP,
        **texts("text", N_("Need")),
        "type": "group",
        "repeats": True,
        "item": [which, *(questionnaire_item(item, items) for item in repeated)],
    }


# --- QuestionnaireResponse --------------------------------------------------------------------


def _option_coding(item: dict[str, Any], code: str) -> dict[str, str]:
    label = next((o["text"] for o in item.get("options", []) if o["code"] == code), None)
    return {"code": code, "display": translate("de", label)} if label else {"code": code}


def _answers(item: dict[str, Any], value: Any) -> list[dict[str, Any]]:
    kind = item["type"]
    if kind == "choice":
        return [{"valueCoding": _option_coding(item, value)}]
    if kind == "multiple-choice":
        return [{"valueCoding": _option_coding(item, code)} for code in value]
    if kind == "yes-no":
        return [{"valueBoolean": bool(value)}]
    if kind == "integer":
        return [{"valueInteger": int(value)}]
    return [{"valueString": str(value)}]


def answered_items(screening: Screening, instrument: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    """(item, answer) in the instrument's order, for the answers the screening holds."""
    return [
        (item, screening.answers[item["linkId"]])
        for item in instrument["items"]
        if item["type"] != "display" and screening.answers.get(item["linkId"]) not in (None, "", [])
    ]


def questionnaire_response(screening: Screening, instrument: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": screening.id,
        "meta": meta(screening, RESPONSE_PROFILE),
        "questionnaire": questionnaire_canonical(screening.instrument_id, screening.instrument_version),
        "status": RESPONSE_STATUS.get(screening.status, "in-progress"),
        "subject": patient_of(screening),
        "authored": instant(screening.completed_at or screening.updated_at),
        "author": author_of(screening),
    }
    items = [
        {"linkId": item["linkId"], "text": translate("de", item["text"]), "answer": _answers(item, value)}
        for item, value in answered_items(screening, instrument)
    ]
    if items:
        resource["item"] = items
    return resource


# --- Observations -----------------------------------------------------------------------------


def item_domains(instrument: dict[str, Any]) -> dict[str, list[str]]:
    """linkId → the need domains whose rules look at that item (its SDOH categories)."""

    def refs(condition: dict[str, Any]) -> list[str]:
        found: list[str] = []
        for key in ("all", "any"):
            for inner in condition.get(key, []):
                found += refs(inner)
        if "not" in condition:
            found += refs(condition["not"])
        found += [condition[k] for k in ("question", "answered") if k in condition]
        return found + list(condition.get("sum", []))

    domains: dict[str, list[str]] = {}
    for rule in instrument["rules"]:
        for link_id in refs(rule["when"]):
            if rule["domain"] not in domains.setdefault(link_id, []):
                domains[link_id].append(rule["domain"])
    return domains


def sdoh_categories(domains: list[str], survey: bool) -> list[dict[str, Any]]:
    """social-history (+ survey for answers), US Core's `sdoh` (SDOH-Obs-4) and the Gravity
    categories of the domains (or `sdoh-category-unspecified`)."""
    categories: list[dict[str, Any]] = [
        {"coding": [{"system": OBSERVATION_CATEGORY, "code": "social-history", "display": "Social History"}]}
    ]
    if survey:
        survey_code = {"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}
        categories.append({"coding": [survey_code]})
    categories.append({"coding": [{"system": US_CORE_CATEGORY, "code": "sdoh", "display": "SDOH"}]})
    gravity = sorted({codes.GRAVITY_CATEGORY[d] for d in domains if d in codes.GRAVITY_CATEGORY})
    for code in gravity or [UNSPECIFIED]:
        categories.append({"coding": [{"system": codes.SDOHCC_CODES, "code": code}]})
    return categories


def _observation(screening: Screening, resource_id: str, categories: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "meta": meta(screening, OBSERVATION_PROFILE),
        "status": "final" if screening.status == "completed" else "preliminary",
        "category": categories,
    }


def item_observation(
    screening: Screening, instrument: dict[str, Any], item: dict[str, Any], value: Any, domains: list[str]
) -> dict[str, Any]:
    url = questionnaire_url(instrument["id"])
    code = {"coding": [{"system": url, "code": item["linkId"]}], "text": translate("de", item["text"])}
    resource_id = item_observation_id(screening.id, item["linkId"])
    resource = _observation(screening, resource_id, sdoh_categories(domains, True))
    resource.update(
        {
            "code": code,
            "subject": patient_of(screening),
            "effectiveDateTime": instant(screening.completed_at or screening.updated_at),
            "performer": [patient_of(screening)],  # the client answered
        }
    )
    kind = item["type"]
    if kind == "multiple-choice":  # one component per chosen option, as Gravity's multiselect
        resource["component"] = [
            {"code": code, "valueCodeableConcept": {"coding": [_option_coding(item, c)]}} for c in value
        ]
    elif kind == "choice":
        resource["valueCodeableConcept"] = {"coding": [_option_coding(item, value)]}
    elif kind == "yes-no":
        resource["valueBoolean"] = bool(value)
    elif kind == "integer":
        resource["valueInteger"] = int(value)
    else:
        resource["valueString"] = str(value)
    resource["derivedFrom"] = [{"reference": f"QuestionnaireResponse/{screening.id}"}]
    return resource


def need_observation(screening: Screening, domain: str, severity: str) -> dict[str, Any]:
    """A need the rules flagged: derived from the answers, so no performer (as Gravity says)."""
    resource_id = need_observation_id(screening.id, domain)
    resource = _observation(screening, resource_id, sdoh_categories([domain], False))
    resource.update(
        {
            "code": codes.need_code(domain),
            "subject": patient_of(screening),
            "effectiveDateTime": instant(screening.completed_at or screening.updated_at),
            "valueCodeableConcept": {"coding": [codes.coding("need-severity", severity)]},
            "derivedFrom": [{"reference": f"QuestionnaireResponse/{screening.id}"}],
        }
    )
    return resource


def observations(screening: Screening, instrument: dict[str, Any]) -> list[dict[str, Any]]:
    """Every answer's Observation, then one per flagged need (completed screenings only)."""
    domains = item_domains(instrument)
    found = [
        item_observation(screening, instrument, item, value, domains.get(item["linkId"], []))
        for item, value in answered_items(screening, instrument)
    ]
    if screening.status == "completed":
        found += [need_observation(screening, d, s) for d, s in screening.needs.items()]
    return found


# --- Conditions -------------------------------------------------------------------------------


def condition(screening: Screening, domain: str) -> dict[str, Any]:
    categories: list[dict[str, Any]] = [
        {"coding": [{"system": CONDITION_CATEGORY, "code": "health-concern", "display": "Health Concern"}]},
        {"coding": [{"system": US_CORE_CATEGORY, "code": "sdoh", "display": "SDOH"}]},
    ]
    if domain in codes.GRAVITY_CATEGORY:
        gravity = {"system": codes.SDOHCC_CODES, "code": codes.GRAVITY_CATEGORY[domain]}
        categories.append({"coding": [gravity]})
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": condition_id(screening.id, domain),
        "meta": meta(screening, CONDITION_PROFILE),
        "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": VERIFICATION_STATUS, "code": "confirmed"}]},
        "category": categories,
        "code": codes.need_category(domain),  # our need domain, with Gravity's category first
        "subject": patient_of(screening),
        "recordedDate": instant(screening.completed_at or screening.updated_at),
        "evidence": [{"detail": [{"reference": f"Observation/{need_observation_id(screening.id, domain)}"}]}],
    }
    return resource


def conditions(screening: Screening) -> list[dict[str, Any]]:
    """The needs of a completed screening: the nurse reviewed them when completing it."""
    if screening.status != "completed":
        return []
    return [condition(screening, domain) for domain in screening.needs]
