"""worker heartbeat: each worker round stamps its row; /readyz wants a recent one (issue 18, health)

Revision ID: 9a41c7e2b5d8
Revises: 5d2f8e1a9c37
Create Date: 2026-12-02 14:40:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # AutoString, the string type autogenerate writes
from alembic import op

import backend.db.types

revision: str = "9a41c7e2b5d8"
down_revision: str | None = "5d2f8e1a9c37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("last_seen", backend.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_worker_heartbeat_last_seen"), ["last_seen"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_heartbeat_last_seen"))
    op.drop_table("worker_heartbeat")
