"""Roles and organisation types: the vocabulary every route's access rule is written in."""

from __future__ import annotations

from enum import StrEnum

from backend.i18n import N_


class Role(StrEnum):
    NURSE = "nurse"
    COORDINATOR = "coordinator"
    ORG_STAFF = "org_staff"
    ANALYST = "analyst"
    ADMIN = "admin"


class OrgType(StrEnum):
    HOME_CARE = "home_care"
    SUPPORT = "support"
    COORDINATION = "coordination"
    ADMINISTRATION = "administration"


ROLE_LABELS = {
    Role.NURSE: N_("Nurse"),
    Role.COORDINATOR: N_("Coordinator"),
    Role.ORG_STAFF: N_("Organisation staff"),
    Role.ANALYST: N_("Analyst"),
    Role.ADMIN: N_("Administrator"),
}

ORG_TYPE_LABELS = {
    OrgType.HOME_CARE: N_("Home care (Spitex)"),
    OrgType.SUPPORT: N_("Support organisation"),
    OrgType.COORDINATION: N_("Coordination office"),
    OrgType.ADMINISTRATION: N_("Public administration"),
}

# Roles that act for an organisation must belong to one; admins and analysts may not.
ROLES_NEEDING_ORGANISATION = frozenset({Role.NURSE, Role.COORDINATOR, Role.ORG_STAFF})
