"""Who may call a route. Every route declares it with `opt=allow(...)`; the one guard in
`auth.py` enforces it, and a route that declares nothing is closed to everyone."""

from __future__ import annotations

from typing import Any

from backend.accounts.roles import Role

PUBLIC = "public"
ROLES_KEY = "roles"
ANY_ROLE = frozenset(Role)


def allow(*roles: Role) -> dict[str, Any]:
    return {ROLES_KEY: frozenset(roles) if roles else ANY_ROLE}


def public() -> dict[str, Any]:
    return {ROLES_KEY: PUBLIC}
