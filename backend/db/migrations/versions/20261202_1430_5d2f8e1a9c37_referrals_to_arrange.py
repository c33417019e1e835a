"""referrals to arrange: referrals sent before issue 17 (item 3) to offers of organisations that
are not on Passerelle (no receiving organisation) stood at `requested` forever; they become
`ready` (the nurse arranges them and records the outcome), without a deadline, with an event
that says so. Data only; downgrade leaves them (the old code reads `ready` as unknown anyway).

Revision ID: 5d2f8e1a9c37
Revises: cb7e559492ee
Create Date: 2026-12-02 14:30:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from backend.db.types import UTCDateTime

revision: str = "5d2f8e1a9c37"
down_revision: str | None = "cb7e559492ee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Typed, so that each dialect stores the time as the UTCDateTime columns do.
    now = sa.bindparam("now", value=datetime.now(UTC), type_=UTCDateTime())
    op.execute(
        sa.text(
            "INSERT INTO referral_event (referral_id, from_status, to_status, reason, at) "
            "SELECT id, 'requested', 'ready', 'not on Passerelle: to arrange by the referrer', :now "
            "FROM referral WHERE status = 'requested' AND receiving_organisation_id IS NULL"
        ).bindparams(now)
    )
    op.execute(
        sa.text(
            "UPDATE referral SET status = 'ready', due_at = NULL, updated_at = :now "
            "WHERE status = 'requested' AND receiving_organisation_id IS NULL"
        ).bindparams(now)
    )


def downgrade() -> None:
    pass
