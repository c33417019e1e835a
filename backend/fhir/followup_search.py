"""Finding recorded follow-ups for /fhir (issue 19): the QuestionnaireResponse and Observation
reads (screening_api.py falls back here when an id is not a screening's) and matches for their
searches (screening_api.py adds them to the screenings'), and the Goal read and search
(followup_api.py). No HTTP. Same rules as screenings: only nurses of the organisation that owns the
follow-up see it, anyone else gets 404; every follow-up whose data leaves is audited as a
'view' of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlmodel import Session, col, select

from backend.accounts.service import CurrentUser
from backend.audit.models import record
from backend.errors import NotFound
from backend.fhir import followup as mapping
from backend.fhir import screening_search as finding
from backend.fhir import search
from backend.followup.models import FollowUp
from backend.followup.service import AUDIT_SUBJECT
from backend.screening.instruments import all_instruments, serves
from backend.screening.models import Screening

GOAL_PARAMS = frozenset({"_id", "patient"})


def instrument_of(follow_up: FollowUp) -> dict[str, Any] | None:
    instrument = all_instruments().get(mapping.INSTRUMENT)
    version = follow_up.instrument_version
    if instrument is None or (version is not None and not serves(instrument, version)):
        return None  # a version no longer shipped: its answers cannot be mapped
    return instrument


def _visible(follow_up: FollowUp | None, user: CurrentUser) -> bool:
    return (
        follow_up is not None
        and finding.sees_screenings(user)
        and follow_up.organisation_id == user.organisation_id
        and mapping.recorded(follow_up)
        and instrument_of(follow_up) is not None
    )


def one_follow_up(session: Session, user: CurrentUser, follow_up_id: str | None) -> FollowUp:
    """A recorded follow-up of the caller's organisation, audited; anything else 'not found'."""
    follow_up = session.get(FollowUp, follow_up_id) if follow_up_id else None
    if follow_up is None or not _visible(follow_up, user):
        raise NotFound(finding.NO_SUCH)
    record(session, user.id, user.organisation_id, "view", AUDIT_SUBJECT, follow_up.id)
    return follow_up


def baseline_needs(session: Session, follow_up: FollowUp) -> dict[str, str]:
    screening = session.get(Screening, follow_up.screening_id)
    return dict(screening.needs) if screening is not None and screening.status == "completed" else {}


def response(session: Session, user: CurrentUser, follow_up_id: str) -> tuple[dict[str, Any], FollowUp]:
    follow_up = one_follow_up(session, user, follow_up_id)
    return mapping.questionnaire_response(follow_up, instrument_of(follow_up) or {}), follow_up


def observation(session: Session, user: CurrentUser, resource_id: str) -> dict[str, Any]:
    follow_up = one_follow_up(session, user, mapping.owner_of(resource_id))
    for resource in mapping.observations(follow_up, instrument_of(follow_up) or {}):
        if resource["id"] == resource_id:
            return resource
    raise NotFound(finding.NO_SUCH)


def goals(session: Session, user: CurrentUser, pairs: list[tuple[str, str]]) -> finding.Found:
    """`patient`, `_id`: the recorded follow-ups' Goals, one page audited."""
    params = search.parse(pairs, GOAL_PARAMS)
    matches = _resource_matches(
        session, user, params, "Goal", lambda f: mapping.goals(f, baseline_needs(session, f))
    )
    return finding.page(session, user, params, matches)


# --- QuestionnaireResponse and Observation searches (with the screenings') ---------------------


def _recorded(session: Session, user: CurrentUser, clauses: list[ColumnElement[bool]]) -> list[FollowUp]:
    """The caller's organisation's recorded follow-ups under the clauses, oldest first."""
    if not finding.sees_screenings(user):
        return []
    query = select(FollowUp).where(
        col(FollowUp.organisation_id) == user.organisation_id, col(FollowUp.status) == "done", *clauses
    )
    query = query.order_by(col(FollowUp.recorded_at), col(FollowUp.id))
    return [f for f in session.exec(query).all() if _visible(f, user)]


def _patients(value: str) -> ColumnElement[bool]:
    patients = [search.reference("patient", v, "Patient") for v in search.alternatives("patient", value)]
    return col(FollowUp.client_id).in_(patients)


def _author(value: str, user: CurrentUser) -> ColumnElement[bool]:
    """Practitioner/<user id>: who recorded it; our own Organization: all of ours."""
    users, whole_organisation = finding.authors(value, user)
    if whole_organisation:
        return col(FollowUp.organisation_id) == user.organisation_id
    return col(FollowUp.recorded_by).in_(users) if users else false()


def _questionnaire(value: str) -> ColumnElement[bool]:
    """The follow-up Questionnaire, at any version or the one its answers were given to."""
    clauses: list[ColumnElement[bool]] = []
    for instrument_id, version in finding.questionnaires(value):
        if instrument_id == mapping.INSTRUMENT:
            clauses.append(col(FollowUp.instrument_version) == version if version else true())
    return search.any_of(clauses)


def _response_filters(params: dict[str, list[str]], user: CurrentUser) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for value in params.get("_id", []):
        ids = [search.reference("_id", v, "QuestionnaireResponse") for v in search.alternatives("_id", value)]
        clauses.append(col(FollowUp.id).in_(ids))
    clauses += [_patients(v) for v in params.get("patient", [])]
    clauses += [_author(v, user) for v in params.get("author", [])]
    clauses += [_questionnaire(v) for v in params.get("questionnaire", [])]
    for value in params.get("status", []):
        if "completed" not in finding.statuses(value):  # a recorded follow-up is completed
            clauses.append(false())
    return clauses


def _response(follow_up: FollowUp) -> finding.Match:
    return finding.Match(
        lambda: mapping.questionnaire_response(follow_up, instrument_of(follow_up) or {}),
        (AUDIT_SUBJECT, follow_up.id),
    )


def response_matches(
    session: Session, user: CurrentUser, params: dict[str, list[str]]
) -> list[finding.Match]:
    """The recorded follow-ups' QuestionnaireResponses a search (screening_search.RESPONSE_PARAMS)
    finds, oldest first."""
    return [_response(f) for f in _recorded(session, user, _response_filters(params, user))]


def _found(follow_up: FollowUp, resource: dict[str, Any]) -> finding.Match:
    return finding.Match(lambda: resource, (AUDIT_SUBJECT, follow_up.id))


def _resource_matches(
    session: Session,
    user: CurrentUser,
    params: dict[str, list[str]],
    kind: str,
    build: Callable[[FollowUp], list[dict[str, Any]]],
) -> list[finding.Match]:
    """The recorded follow-ups that may hold matches (by `patient`, by the owner of each `_id`),
    mapped by `build`, then filtered by what only the mapping knows (ids, categories)."""
    clauses = [_patients(v) for v in params.get("patient", [])]
    wanted_ids: list[set[str]] = []
    for value in params.get("_id", []):
        ids = {search.reference("_id", v, kind) for v in search.alternatives("_id", value)}
        wanted_ids.append(ids)
        clauses.append(col(FollowUp.id).in_({mapping.owner_of(i) for i in ids} - {None}))
    matches: list[finding.Match] = []
    for follow_up in _recorded(session, user, clauses):
        for resource in build(follow_up):
            if all(resource["id"] in ids for ids in wanted_ids) and all(
                finding.category_matches(resource, v) for v in params.get("category", [])
            ):
                matches.append(_found(follow_up, resource))
    return matches


def observation_matches(
    session: Session, user: CurrentUser, params: dict[str, list[str]]
) -> list[finding.Match]:
    """The recorded follow-ups' wellbeing Observations a search (screening_search.CLINICAL_PARAMS)
    finds."""
    return _resource_matches(
        session, user, params, "Observation", lambda f: mapping.observations(f, instrument_of(f) or {})
    )
