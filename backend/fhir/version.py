"""A resource's version: `meta.versionId`, the `ETag` (W/"<version>") and `If-Match`.

A referral has no version counter: its `updated_at` changes with every change (status,
assignment, contact), so its microseconds since the epoch are the version."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.fhir.outcome import PreconditionFailed
from backend.i18n import N_

STALE = N_("This referral was changed in the meantime. Read it again and repeat your change.")


def version_of(updated_at: datetime) -> str:
    moment = updated_at if updated_at.tzinfo else updated_at.replace(tzinfo=UTC)
    return str(int(moment.timestamp() * 1_000_000))


def etag(updated_at: datetime) -> str:
    return f'W/"{version_of(updated_at)}"'


def check_if_match(header: str | None, updated_at: datetime) -> None:
    """No header: the change applies (FHIR makes If-Match optional unless the server requires
    it). A header that names another version: 412, nothing changes."""
    if header is None:
        return
    wanted = header.strip().removeprefix("W/").strip('"')
    if wanted != version_of(updated_at):
        raise PreconditionFailed(STALE)
