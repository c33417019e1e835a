"""referral: index for the FHIR Task search of a receiving organisation (owner, status, in
order of change), so that Task?owner=…&status=requested pages without sorting

Revision ID: c8c3d4606ccb
Revises: 7e0507943ded
Create Date: 2026-12-02 10:10:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c8c3d4606ccb"
down_revision: str | None = "7e0507943ded"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_owner_status_updated",
            ["directory_organization_id", "status", "updated_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_owner_status_updated")
