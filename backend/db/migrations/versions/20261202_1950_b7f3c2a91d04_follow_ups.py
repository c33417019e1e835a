"""follow-ups: one per nurse screening whose referrals have all closed, and the organisation's
follow_up_weeks (issue 19)

Revision ID: b7f3c2a91d04
Revises: 9a41c7e2b5d8
Create Date: 2026-12-02 19:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # AutoString, the string type autogenerate writes
from alembic import op

import backend.db.types

revision: str = "b7f3c2a91d04"
down_revision: str | None = "9a41c7e2b5d8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_weeks", sa.Integer(), server_default="8", nullable=False))
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_screening_id"), ["screening_id"], unique=False)
    op.create_table(
        "follow_up",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("screening_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("skip_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("instrument_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", backend.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", backend.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["screening_id"], ["screening.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("screening_id"),
    )
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "ix_follow_up_org_status_due", ["organisation_id", "status", "due_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_up_org_status_due")
        batch_op.drop_index(batch_op.f("ix_follow_up_client_id"))
    op.drop_table("follow_up")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_screening_id"))
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("follow_up_weeks")
