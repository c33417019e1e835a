"""/fhir reads and searches of screenings: Questionnaire (each instrument, open to every role
with a token), QuestionnaireResponse, Observation and Condition (only for the organisation that
made the screening; audited). Thin: screening_search.py finds, screening.py maps."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import Caller, Unit
from backend.errors import NotFound
from backend.fhir import bundle, followup_search, search
from backend.fhir import screening as mapping
from backend.fhir import screening_search as finding
from backend.fhir.api import base_url, resource_response
from backend.fhir.version import etag
from backend.screening.instruments import all_instruments
from backend.screening.models import Screening

EVERYONE = allow()  # instruments are public knowledge, like the directory
PEOPLE = allow(Role.NURSE, Role.COORDINATOR, Role.ORG_STAFF)  # a non-nurse finds nothing (404)
QUESTIONNAIRE_PARAMS = frozenset({"_id", "url", "version"})


def pairs_of(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def searchset(
    request: Request[Any, Any, Any], resource_type: str, found: finding.Found, pairs: list[tuple[str, str]]
) -> Response[Any]:
    following = search.next_params(pairs, found.next_cursor) if found.next_cursor else None
    body = bundle.searchset(base_url(request), resource_type, found.resources, pairs, found.total, following)
    return resource_response(body)


# --- Questionnaire -----------------------------------------------------------------------------


@get("/fhir/Questionnaire/{id:str}", name="fhir.questionnaire.read", opt=EVERYONE)
async def read_questionnaire(id: FromPath[str]) -> Response[Any]:
    instrument = all_instruments().get(id)
    if instrument is None:
        raise NotFound(finding.NO_SUCH)
    return resource_response(mapping.questionnaire(instrument))


def url_matches(instrument: dict[str, Any], value: str) -> bool:
    """`url` is a canonical: the URL alone, or `url|version`."""
    for item in search.alternatives("url", value):
        url, _, version = item.partition("|")
        if url == mapping.questionnaire_url(instrument["id"]) and version in ("", instrument["version"]):
            return True
    return False


@get("/fhir/Questionnaire", name="fhir.questionnaire.search", opt=EVERYONE)
async def search_questionnaires(request: Request[Any, Any, Any]) -> Response[Any]:
    """`url` (with an optional |version, as a canonical), `version`, `_id`."""
    pairs = pairs_of(request)
    params = search.parse(pairs, QUESTIONNAIRE_PARAMS)
    matches = [
        mapping.questionnaire(instrument)
        for instrument in all_instruments().values()
        if all(url_matches(instrument, v) for v in params.get("url", []))
        and all(instrument["version"] in search.alternatives("version", v) for v in params.get("version", []))
        and all(instrument["id"] in search.alternatives("_id", v) for v in params.get("_id", []))
    ]
    size = search.count_of(params)
    found = finding.Found(matches[:size], len(matches), None)
    return searchset(request, "Questionnaire", found, pairs)


# --- QuestionnaireResponse ---------------------------------------------------------------------


@get(
    "/fhir/QuestionnaireResponse/{id:str}",
    name="fhir.questionnaireresponse.read",
    opt=PEOPLE,
    sync_to_thread=True,
)
def read_response(id: FromPath[str], session: Unit, user: Caller) -> Response[Any]:
    if session.get(Screening, id) is None:  # not a screening: perhaps a follow-up (issue 19)
        resource, follow_up = followup_search.response(session, user, id)
        return resource_response(resource, tag=etag(follow_up.updated_at))
    screening = finding.one_screening(session, user, id)
    resource = mapping.questionnaire_response(screening, finding.instrument_of(screening) or {})
    return resource_response(resource, tag=etag(screening.updated_at))


@get(
    "/fhir/QuestionnaireResponse",
    name="fhir.questionnaireresponse.search",
    opt=PEOPLE,
    sync_to_thread=True,
)
def search_responses(request: Request[Any, Any, Any], session: Unit, user: Caller) -> Response[Any]:
    """Screenings' responses, then recorded follow-ups' (issue 19)."""
    pairs = pairs_of(request)
    params = search.parse(pairs, finding.RESPONSE_PARAMS)
    matches = finding.response_matches(session, user, params)
    matches += followup_search.response_matches(session, user, params)
    return searchset(request, "QuestionnaireResponse", finding.page(session, user, params, matches), pairs)


# --- Observation and Condition -----------------------------------------------------------------


@get("/fhir/Observation/{id:str}", name="fhir.observation.read", opt=PEOPLE, sync_to_thread=True)
def read_observation(id: FromPath[str], session: Unit, user: Caller) -> Response[Any]:
    owner = mapping.screening_of(id)
    if owner is not None and session.get(Screening, owner) is None:  # perhaps a follow-up's
        resource = followup_search.observation(session, user, id)
        return resource_response(resource, tag=f'W/"{resource["meta"]["versionId"]}"')
    resource = finding.one_of(session, user, id, mapping.observations)
    return resource_response(resource, tag=f'W/"{resource["meta"]["versionId"]}"')


@get("/fhir/Observation", name="fhir.observation.search", opt=PEOPLE, sync_to_thread=True)
def search_observations(request: Request[Any, Any, Any], session: Unit, user: Caller) -> Response[Any]:
    """Screenings' Observations, then recorded follow-ups' wellbeing ones (issue 19)."""
    pairs = pairs_of(request)
    params = search.parse(pairs, finding.CLINICAL_PARAMS)
    matches = finding.observation_matches(session, user, params)
    matches += followup_search.observation_matches(session, user, params)
    return searchset(request, "Observation", finding.page(session, user, params, matches), pairs)


@get("/fhir/Condition/{id:str}", name="fhir.condition.read", opt=PEOPLE, sync_to_thread=True)
def read_condition(id: FromPath[str], session: Unit, user: Caller) -> Response[Any]:
    resource = finding.one_of(session, user, id, lambda s, _: mapping.conditions(s))
    return resource_response(resource, tag=f'W/"{resource["meta"]["versionId"]}"')


@get("/fhir/Condition", name="fhir.condition.search", opt=PEOPLE, sync_to_thread=True)
def search_conditions(request: Request[Any, Any, Any], session: Unit, user: Caller) -> Response[Any]:
    pairs = pairs_of(request)
    return searchset(request, "Condition", finding.conditions(session, user, pairs), pairs)


ROUTES = [
    read_questionnaire,
    search_questionnaires,
    read_response,
    search_responses,
    read_observation,
    search_observations,
    read_condition,
    search_conditions,
]
