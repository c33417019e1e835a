"""/fhir/Goal (issue 19): the outcome of each need a recorded follow-up asked about, for the
organisation that owns it (nurses), audited. Thin: followup_search.py finds, followup.py maps."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from backend.deps import Caller, Unit
from backend.errors import NotFound
from backend.fhir import followup as mapping
from backend.fhir import followup_search as finding
from backend.fhir import screening_search
from backend.fhir.api import resource_response
from backend.fhir.screening_api import PEOPLE, pairs_of, searchset


@get("/fhir/Goal/{id:str}", name="fhir.goal.read", opt=PEOPLE, sync_to_thread=True)
def read_goal(id: FromPath[str], session: Unit, user: Caller) -> Response[Any]:
    follow_up = finding.one_follow_up(session, user, mapping.owner_of(id))
    for resource in mapping.goals(follow_up, finding.baseline_needs(session, follow_up)):
        if resource["id"] == id:
            return resource_response(resource, tag=f'W/"{resource["meta"]["versionId"]}"')
    raise NotFound(screening_search.NO_SUCH)


@get("/fhir/Goal", name="fhir.goal.search", opt=PEOPLE, sync_to_thread=True)
def search_goals(request: Request[Any, Any, Any], session: Unit, user: Caller) -> Response[Any]:
    pairs = pairs_of(request)
    return searchset(request, "Goal", finding.goals(session, user, pairs), pairs)


ROUTES = [read_goal, search_goals]
