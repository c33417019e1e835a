"""The people who work with Passerelle, minimally: a user as a `Practitioner` (the name as the
account shows it, nothing else) and their place in an organisation as a `PractitionerRole`
(organisation and Passerelle role). Both carry the user's id. Pure; no I/O."""

from __future__ import annotations

from typing import Any

from backend.accounts.models import User
from backend.accounts.roles import ROLE_LABELS, Role
from backend.fhir import codes

ROLE_SYSTEM = f"{codes.CANONICAL}/CodeSystem/passerelle-role"


def practitioner(user: User) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": str(user.id),
        "active": user.is_active,
        "name": [{"text": user.display_name}],
    }


def practitioner_role(user: User) -> dict[str, Any]:
    role = Role(user.role)
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": str(user.id),
        "active": user.is_active,
        "practitioner": {"reference": f"Practitioner/{user.id}", "display": user.display_name},
        "code": [{"coding": [{"system": ROLE_SYSTEM, "code": role.value, "display": ROLE_LABELS[role]}]}],
    }
    if user.organisation_id is not None:
        resource["organization"] = {
            "reference": f"Organization/{codes.passerelle_org_id(user.organisation_id)}"
        }
    return resource
