"""Every capability's tables in one metadata, for Alembic (backend/db/migrations/env.py), the
CLI and the drift test. It imports every feature, so it sits above them all (beside app.py):
the core (backend.db) knows no feature."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel

from backend.accounts import models as _accounts  # noqa: F401
from backend.audit import models as _audit  # noqa: F401
from backend.clients import models as _clients  # noqa: F401
from backend.directory import models as _directory  # noqa: F401
from backend.directory.fts import MANAGED_NAMES
from backend.fhir import models as _fhir  # noqa: F401
from backend.followup import models as _followup  # noqa: F401
from backend.push import models as _push  # noqa: F401
from backend.referrals import models as _referrals  # noqa: F401
from backend.reports import models as _reports  # noqa: F401
from backend.screening import models as _screening  # noqa: F401
from backend.security import ratelimit as _ratelimit  # noqa: F401
from backend.selfcheck import models as _selfcheck  # noqa: F401
from backend.sync import models as _sync  # noqa: F401
from backend.system import heartbeat as _heartbeat  # noqa: F401

metadata = SQLModel.metadata


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Full-text tables and indexes are made by hand in migrations, not from the models."""
    return not (name and MANAGED_NAMES.match(name))
