"""Finding screenings for FHIR reads and searches (QuestionnaireResponse, Observation, Condition),
and writing each one read to the audit log. No HTTP.

Only the organisation that made a screening sees it, and there only nurses (as in the UI: the
client pages are theirs). A receiving organisation never sees screenings: for everyone else a
screening does not exist (404, or absent from a search). Parameters are read as search.py reads
Tasks' (strict: an unknown parameter is a 400); paging is by position (`_cursor`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false
from sqlmodel import Session, col, select

from backend.accounts.roles import Role
from backend.accounts.service import CurrentUser
from backend.audit.models import record
from backend.errors import NotFound
from backend.fhir import codes, search
from backend.fhir import screening as mapping
from backend.i18n import N_
from backend.screening.instruments import all_instruments, serves
from backend.screening.models import Screening

NO_SUCH = N_("No such resource, or not one your organisation may see.")

RESPONSE_PARAMS = frozenset({"_id", "author", "patient", "questionnaire", "status"})
CLINICAL_PARAMS = frozenset({"_id", "category", "patient"})
RESPONSE_STATUSES = {"in-progress": "draft", "completed": "completed"}
KNOWN_RESPONSE_STATUSES = frozenset("in-progress completed amended entered-in-error stopped".split())


def sees_screenings(user: CurrentUser) -> bool:
    return user.role == Role.NURSE and user.organisation_id is not None


def own_filter(user: CurrentUser) -> ColumnElement[bool]:
    if not sees_screenings(user):
        return false()
    return col(Screening.organisation_id) == user.organisation_id


def instrument_of(screening: Screening) -> dict[str, Any] | None:
    instrument = all_instruments().get(screening.instrument_id)
    if instrument is None or not serves(instrument, screening.instrument_version):
        return None  # an instrument version no longer shipped: its answers cannot be mapped
    return instrument


def one_screening(session: Session, user: CurrentUser, screening_id: str | None) -> Screening:
    """A screening of the caller's organisation, audited; anything else is 'not found'."""
    screening = session.get(Screening, screening_id) if screening_id else None
    if screening is None or not sees_screenings(user) or screening.organisation_id != user.organisation_id:
        raise NotFound(NO_SUCH)
    if instrument_of(screening) is None:
        raise NotFound(NO_SUCH)
    record(session, user.id, user.organisation_id, "view", "screening", screening.id)
    return screening


# --- filters -----------------------------------------------------------------------------------


def patient_filter(value: str) -> ColumnElement[bool]:
    wanted = [search.reference("patient", v, "Patient") for v in search.alternatives("patient", value)]
    return col(Screening.client_id).in_(wanted)


def authors(value: str, user: CurrentUser) -> tuple[list[int], bool]:
    """An `author` value: (the Practitioner user ids, whether our own Organization is one)."""
    users: list[int] = []
    whole_organisation = False
    for item in search.alternatives("author", value):
        kind, _, ident = item.rstrip("/").rpartition("/")
        kind = kind.rpartition("/")[2]
        if kind == "Practitioner" and ident.isdigit():
            users.append(int(ident))
        elif kind == "Organization" and user.organisation_id is not None:
            whole_organisation |= ident == codes.passerelle_org_id(user.organisation_id)
        elif kind not in ("Practitioner", "Organization"):
            raise search.bad("author")
    return users, whole_organisation


def author_filter(value: str, user: CurrentUser) -> ColumnElement[bool]:
    """Practitioner/<user id>, or our own Organization (every screening of it)."""
    users, whole_organisation = authors(value, user)
    if whole_organisation:
        return col(Screening.organisation_id) == user.organisation_id
    return col(Screening.created_by).in_(users) if users else false()


def questionnaires(value: str) -> list[tuple[str, str]]:
    """A `questionnaire` canonical (commas for OR): (instrument id, version or "") of each."""
    wanted = []
    for item in search.alternatives("questionnaire", value):
        url, _, version = item.partition("|")
        prefix = mapping.questionnaire_url("")
        wanted.append(
            (url.removeprefix(prefix) if url.startswith(prefix) else url.rpartition("/")[2], version)
        )
    return wanted


def questionnaire_filter(value: str) -> ColumnElement[bool]:
    clauses = []
    for instrument_id, version in questionnaires(value):
        clause = col(Screening.instrument_id) == instrument_id
        if version:
            clause = clause & (col(Screening.instrument_version) == version)
        clauses.append(clause)
    return search.any_of(clauses)


def statuses(value: str) -> list[str]:
    """A `status` token (commas for OR): the R4 codes asked for; an unknown one is a 400."""
    wanted = [search.token("status", v)[1] for v in search.alternatives("status", value)]
    if any(s not in KNOWN_RESPONSE_STATUSES for s in wanted):
        raise search.bad("status")
    return wanted


def status_filter(value: str) -> ColumnElement[bool]:
    return col(Screening.status).in_(
        [RESPONSE_STATUSES[s] for s in statuses(value) if s in RESPONSE_STATUSES]
    )


def response_filters(params: dict[str, list[str]], user: CurrentUser) -> list[ColumnElement[bool]]:
    clauses = [own_filter(user)]
    for name, values in params.items():
        for value in values:
            if name == "_id":
                ids = [
                    search.reference(name, v, "QuestionnaireResponse")
                    for v in search.alternatives(name, value)
                ]
                clauses.append(col(Screening.id).in_(ids))
            elif name == "patient":
                clauses.append(patient_filter(value))
            elif name == "author":
                clauses.append(author_filter(value, user))
            elif name == "questionnaire":
                clauses.append(questionnaire_filter(value))
            elif name == "status":
                clauses.append(status_filter(value))
    return clauses


def category_matches(resource: dict[str, Any], value: str) -> bool:
    """A category token (`code` or `system|code`, commas for OR) against a resource's categories."""
    for item in search.alternatives("category", value):
        system, code = search.token("category", item)
        for concept in resource.get("category", []):
            for coding in concept.get("coding", []):
                if coding.get("code") == code and system in (None, coding.get("system")):
                    return True
    return False


# --- searches ----------------------------------------------------------------------------------


@dataclass
class Found:
    resources: list[dict[str, Any]]
    total: int
    next_cursor: str | None


@dataclass(frozen=True)
class Match:
    """A resource a search found: how to build it, and what reading it audits (subject, id)."""

    build: Callable[[], dict[str, Any]]
    audited: tuple[str, str]


def position(params: dict[str, list[str]]) -> int:
    cursor = search.one(params, search.CURSOR)
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise search.BadSearch(search.BAD_CURSOR, field=search.CURSOR)
    return int(cursor)


def page(session: Session, user: CurrentUser, params: dict[str, list[str]], matches: list[Match]) -> Found:
    """One page (`_count`, `_cursor`) of the matches, built; each record whose data leaves in it
    is one 'view' in the audit log."""
    size, start = search.count_of(params), position(params)
    shown = matches[start : start + size]
    for subject, subject_id in dict.fromkeys(m.audited for m in shown):
        record(session, user.id, user.organisation_id, "view", subject, subject_id)
    more = start + size < len(matches)
    return Found([m.build() for m in shown], len(matches), str(start + size) if more else None)


def _screenings(session: Session, clauses: list[ColumnElement[bool]]) -> list[Screening]:
    query = select(Screening).where(*clauses).order_by(col(Screening.created_at), col(Screening.id))
    return [s for s in session.exec(query).all() if instrument_of(s) is not None]


def _response(screening: Screening) -> Match:
    return Match(
        lambda: mapping.questionnaire_response(screening, instrument_of(screening) or {}),
        ("screening", screening.id),
    )


def response_matches(session: Session, user: CurrentUser, params: dict[str, list[str]]) -> list[Match]:
    """The screenings' QuestionnaireResponses a search (RESPONSE_PARAMS) finds, oldest first."""
    return [_response(s) for s in _screenings(session, response_filters(params, user))]


Builder = Callable[[Screening, dict[str, Any]], list[dict[str, Any]]]


def _found(screening: Screening, resource: dict[str, Any]) -> Match:
    return Match(lambda: resource, ("screening", screening.id))


def clinical_matches(
    session: Session, user: CurrentUser, params: dict[str, list[str]], build: Builder, kind: str
) -> list[Match]:
    """An Observation or Condition search (CLINICAL_PARAMS): the screenings that may hold
    matches, mapped, then filtered by what only the mapping knows (ids, categories)."""
    clauses = [own_filter(user)]
    wanted_ids: list[set[str]] = []
    for value in params.get("_id", []):
        ids = {search.reference("_id", v, kind) for v in search.alternatives("_id", value)}
        wanted_ids.append(ids)
        clauses.append(col(Screening.id).in_({mapping.screening_of(i) for i in ids} - {None}))
    for value in params.get("patient", []):
        clauses.append(patient_filter(value))
    matches: list[Match] = []
    for screening in _screenings(session, clauses):
        for resource in build(screening, instrument_of(screening) or {}):
            if all(resource["id"] in ids for ids in wanted_ids) and all(
                category_matches(resource, v) for v in params.get("category", [])
            ):
                matches.append(_found(screening, resource))
    return matches


def observation_matches(session: Session, user: CurrentUser, params: dict[str, list[str]]) -> list[Match]:
    return clinical_matches(session, user, params, mapping.observations, "Observation")


def conditions_of(screening: Screening, _instrument: dict[str, Any]) -> list[dict[str, Any]]:
    return mapping.conditions(screening)


def conditions(session: Session, user: CurrentUser, pairs: list[tuple[str, str]]) -> Found:
    params = search.parse(pairs, CLINICAL_PARAMS)
    return page(session, user, params, clinical_matches(session, user, params, conditions_of, "Condition"))


def one_of(session: Session, user: CurrentUser, resource_id: str, build: Builder) -> dict[str, Any]:
    """An Observation or Condition by id (<screening id>-…), audited as a view of its screening."""
    screening = one_screening(session, user, mapping.screening_of(resource_id))
    for resource in build(screening, instrument_of(screening) or {}):
        if resource["id"] == resource_id:
            return resource
    raise NotFound(NO_SUCH)
