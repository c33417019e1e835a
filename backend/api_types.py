"""Small helpers the JSON APIs share."""

from __future__ import annotations

import uuid

from backend.errors import InvalidInput
from backend.i18n import N_


def checked_uuid(value: str | None, field: str = "id") -> str | None:
    """A client-made id (offline records bring their own), normalised; None stays None."""
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput(N_("An id must be a UUID."), field=field) from None
