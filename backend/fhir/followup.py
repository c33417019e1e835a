"""Follow-ups in FHIR (issue 19): a recorded follow-up is a QuestionnaireResponse to the
`follow-up` Questionnaire, its wellbeing answers Observations (each ONS4 item, and the UCLA-3
sum), and the outcome of each followed-up need a Goal (SDOHCC-Goal) whose achievementStatus says
how the need went, addressing the need's Condition from the baseline screening. Pure functions
from rows to resources (dicts), no I/O.

No LOINC code exists for the ONS personal well-being questions nor for the UCLA-3 sum, so their
Observations are coded in our own CodeSystem `wellbeing` (codes.py), as our need codes are.

Ids: the QuestionnaireResponse is the follow-up's id (a uuid, like a screening's), an
Observation "<follow-up id>-<score key>", a Goal "<follow-up id>-<need domain>"."""

from __future__ import annotations

from typing import Any

from backend.fhir import codes
from backend.fhir import screening as base
from backend.fhir.task import instant
from backend.fhir.version import version_of
from backend.followup.models import FollowUp
from backend.followup.service import bern_date
from backend.i18n import translate
from backend.screening import wellbeing
from backend.screening.instruments import repeat_key

INSTRUMENT = "follow-up"
GOAL_PROFILE = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-Goal"
ACHIEVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/goal-achievement"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
DECLINED = "declined"
# The follow-up's "how is this need now?" → goal-achievement (R4 code list: in-progress,
# improving, worsening, no-change, achieved, sustaining, not-achieved, no-progress,
# not-attainable). "Cannot say" is not "no progress": it is unknown, so no code, only the text.
ACHIEVEMENT = {
    "better": ("improving", "Improving"),
    "same": ("no-change", "No Change"),
    "worse": ("worsening", "Worsening"),
}
CANNOT_SAY = "cannot-say"


def recorded(follow_up: FollowUp) -> bool:
    """Only a follow-up that was asked has resources; a due or skipped one has none."""
    return follow_up.status == "done" and follow_up.recorded_at is not None


def owner_of(resource_id: str) -> str | None:
    """The follow-up an Observation or Goal id belongs to (None: not one of ours)."""
    return base.screening_of(resource_id)  # the same shape: a uuid, "-", a suffix


def goal_id(follow_up: FollowUp, domain: str) -> str:
    return f"{follow_up.id}-{base.fhir_code(domain)}"


def observation_id(follow_up: FollowUp, key: str) -> str:
    return f"{follow_up.id}-{key}"


def _meta(follow_up: FollowUp, profile: str) -> dict[str, Any]:
    return {
        "versionId": version_of(follow_up.updated_at),
        "lastUpdated": instant(follow_up.updated_at),
        "profile": [profile],
    }


def _patient(follow_up: FollowUp) -> dict[str, str]:
    return {"reference": f"Patient/{follow_up.client_id}"}


def _when(follow_up: FollowUp) -> str:
    return instant(follow_up.recorded_at or follow_up.updated_at)


# --- QuestionnaireResponse --------------------------------------------------------------------


def _answered(follow_up: FollowUp, item: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = follow_up.answers.get(key)
    if item["type"] == "display" or value in (None, "", []):
        return None
    return {
        "linkId": item["linkId"],
        "text": translate("de", item["text"]),
        "answer": base._answers(item, value),
    }


def questionnaire_response(follow_up: FollowUp, instrument: dict[str, Any]) -> dict[str, Any]:
    """The answers in the Questionnaire's shape: the items asked per need inside a repeated
    `need` group whose `need-domain` says which need (screening.py's Questionnaire)."""
    repeated = [item for item in instrument["items"] if item.get("repeat") == "need"]
    items: list[dict[str, Any]] = []
    grouped = False
    for item in instrument["items"]:
        if item.get("repeat") == "need":
            if not grouped:
                grouped = True
                for domain in follow_up.needs:
                    inner = [
                        {
                            "linkId": base.NEED_DOMAIN_ITEM,
                            "answer": [{"valueCoding": codes.coding("need-domain", domain)}],
                        }
                    ]
                    inner += [
                        found
                        for r in repeated
                        if (found := _answered(follow_up, r, repeat_key(r["linkId"], domain)))
                    ]
                    items.append({"linkId": base.NEED_GROUP, "item": inner})
        elif found := _answered(follow_up, item, item["linkId"]):
            items.append(found)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": follow_up.id,
        "meta": _meta(follow_up, base.RESPONSE_PROFILE),
        "questionnaire": base.questionnaire_canonical(
            INSTRUMENT, follow_up.instrument_version or instrument["version"]
        ),
        "status": "completed",
        "subject": _patient(follow_up),
        "authored": _when(follow_up),
        "author": {"reference": f"Organization/{codes.passerelle_org_id(follow_up.organisation_id)}"},
    }
    if items:
        resource["item"] = items
    return resource


# --- Observations -----------------------------------------------------------------------------


def _observation(follow_up: FollowUp, key: str, domains: list[str]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": observation_id(follow_up, key),
        "meta": _meta(follow_up, base.OBSERVATION_PROFILE),
        "status": "final",
        "category": base.sdoh_categories(domains, True),
        "code": {"coding": [codes.coding("wellbeing", key)], "text": translate("de", codes.WELLBEING[key])},
        "subject": _patient(follow_up),
        "effectiveDateTime": _when(follow_up),
        "performer": [_patient(follow_up)],  # the client answered
    }


def observations(follow_up: FollowUp, instrument: dict[str, Any]) -> list[dict[str, Any]]:
    """One per ONS4 item answered (a declined one with dataAbsentReason `asked-declined`, never
    a 0), and the UCLA-3 sum when all three of its items were answered."""
    scores = wellbeing.scores(instrument, follow_up.answers)
    derived = [{"reference": f"QuestionnaireResponse/{follow_up.id}"}]
    found: list[dict[str, Any]] = []
    for key in wellbeing.ONS4:
        score, answer = scores.get(key), follow_up.answers.get(key)
        if score is None and answer != DECLINED:
            continue  # not asked (no agreement) or not answered
        resource = _observation(follow_up, key, [])
        if score is None:
            resource["dataAbsentReason"] = {
                "coding": [{"system": DATA_ABSENT, "code": "asked-declined", "display": "Asked But Declined"}]
            }
        else:
            resource["valueInteger"] = score
        resource["derivedFrom"] = derived
        found.append(resource)
    if (ucla := scores.get(wellbeing.UCLA3_KEY)) is not None:
        resource = _observation(follow_up, wellbeing.UCLA3_KEY, ["loneliness"])
        resource["valueInteger"] = ucla
        resource["derivedFrom"] = derived
        found.append(resource)
    return found


# --- Goals ------------------------------------------------------------------------------------


def achievement(change: Any) -> dict[str, Any] | None:
    if change in ACHIEVEMENT:
        code, display = ACHIEVEMENT[change]
        return {"coding": [{"system": ACHIEVEMENT_SYSTEM, "code": code, "display": display}]}
    if change == CANNOT_SAY:
        return {"text": translate("de", "Cannot say")}
    return None


def goal(follow_up: FollowUp, domain: str, baseline_needs: dict[str, str]) -> dict[str, Any]:
    """The need met, as a goal of the client's: how it went by the follow-up; it addresses the
    need's Condition when the baseline screening confirmed that need (it may have been referred
    without: then none)."""
    description = codes.need_category(domain)
    description["text"] = (
        translate("de", codes.NEED_DOMAINS_LABELS[domain]) if domain in codes.NEED_DOMAINS_LABELS else domain
    )
    categories = [{"coding": [{"system": base.US_CORE_CATEGORY, "code": "sdoh", "display": "SDOH"}]}]
    if domain in codes.GRAVITY_CATEGORY:
        categories.append(
            {"coding": [{"system": codes.SDOHCC_CODES, "code": codes.GRAVITY_CATEGORY[domain]}]}
        )
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "id": goal_id(follow_up, domain),
        "meta": _meta(follow_up, GOAL_PROFILE),
        "lifecycleStatus": "active",
    }
    if status := achievement(follow_up.answers.get(repeat_key("need-change", domain))):
        resource["achievementStatus"] = status
    resource.update(
        {
            "category": categories,
            "description": description,
            "subject": _patient(follow_up),
            "statusDate": bern_date(follow_up.recorded_at or follow_up.updated_at).isoformat(),  # Bern's day
            "expressedBy": _patient(follow_up),
        }
    )
    if domain in baseline_needs:
        resource["addresses"] = [
            {"reference": f"Condition/{base.condition_id(follow_up.screening_id, domain)}"}
        ]
    return resource


def goals(follow_up: FollowUp, baseline_needs: dict[str, str]) -> list[dict[str, Any]]:
    return [goal(follow_up, domain, baseline_needs) for domain in follow_up.needs]
