"""Finding recorded follow-ups for /fhir (issue 19): the QuestionnaireResponse and Observation
reads (screening_api.py falls back here when an id is not a screening's) and the Goal read and
search (followup_api.py). No HTTP. Same rules as screenings: only nurses of the organisation that owns the
follow-up see it, anyone else gets 404; every follow-up whose data leaves is audited as a
'view' of it."""

from __future__ import annotations

from typing import Any

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
    """`patient`, `_id`: the recorded follow-ups that may hold matches, mapped, one page audited."""
    params = search.parse(pairs, GOAL_PARAMS)
    size, start = search.count_of(params), finding.position(params)
    if not finding.sees_screenings(user):
        return finding.Found([], 0, None)
    query = select(FollowUp).where(
        col(FollowUp.organisation_id) == user.organisation_id, col(FollowUp.status) == "done"
    )
    wanted_ids: list[set[str]] = []
    for value in params.get("_id", []):
        ids = {search.reference("_id", v, "Goal") for v in search.alternatives("_id", value)}
        wanted_ids.append(ids)
        query = query.where(col(FollowUp.id).in_({mapping.owner_of(i) for i in ids} - {None}))
    for value in params.get("patient", []):
        patients = [search.reference("patient", v, "Patient") for v in search.alternatives("patient", value)]
        query = query.where(col(FollowUp.client_id).in_(patients))
    query = query.order_by(col(FollowUp.recorded_at), col(FollowUp.id))
    matches: list[tuple[FollowUp, dict[str, Any]]] = []
    for follow_up in session.exec(query).all():
        if not _visible(follow_up, user):
            continue
        for resource in mapping.goals(follow_up, baseline_needs(session, follow_up)):
            if all(resource["id"] in ids for ids in wanted_ids):
                matches.append((follow_up, resource))
    shown = matches[start : start + size]
    for follow_up_id in dict.fromkeys(f.id for f, _ in shown):
        record(session, user.id, user.organisation_id, "view", AUDIT_SUBJECT, follow_up_id)
    more = start + size < len(matches)
    return finding.Found([r for _, r in shown], len(matches), str(start + size) if more else None)
