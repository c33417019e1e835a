"""report aggregates

Revision ID: 3d4be9d3765e
Revises: 0f055800d738
Create Date: 2026-11-29 11:32:37.030707+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # AutoString, the string type autogenerate writes
from alembic import op

revision: str = "3d4be9d3765e"
down_revision: str | None = "0f055800d738"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_referral_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("organization_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("service_type", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("need_domain", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "month",
            "district",
            "organization_id",
            "service_type",
            "need_domain",
            "stage",
            "detail",
            "demo",
            name="uq_report_referral_tally",
        ),
    )
    with op.batch_alter_table("report_referral_tally", schema=None) as batch_op:
        batch_op.create_index("ix_report_referral_tally_month_stage", ["month", "stage"], unique=False)

    op.create_table(
        "report_referral_wait",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("organization_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("service_type", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "month",
            "district",
            "organization_id",
            "service_type",
            "stage",
            "days",
            "demo",
            name="uq_report_referral_wait",
        ),
    )
    with op.batch_alter_table("report_referral_wait", schema=None) as batch_op:
        batch_op.create_index("ix_report_referral_wait_month_stage", ["month", "stage"], unique=False)

    op.create_table(
        "report_screening_place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("municipality", sa.Integer(), nullable=False),
        sa.Column("life_phase", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "month",
            "source",
            "district",
            "municipality",
            "life_phase",
            "language",
            "demo",
            name="uq_report_screening_place",
        ),
    )
    with op.batch_alter_table("report_screening_place", schema=None) as batch_op:
        batch_op.create_index("ix_report_screening_place_month", ["month"], unique=False)

    op.create_table(
        "report_screening_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("life_phase", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("need_domain", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("unmet_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "month",
            "source",
            "district",
            "life_phase",
            "language",
            "need_domain",
            "severity",
            "demo",
            name="uq_report_screening_tally",
        ),
    )
    with op.batch_alter_table("report_screening_tally", schema=None) as batch_op:
        batch_op.create_index("ix_report_screening_tally_month_need", ["month", "need_domain"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_screening_tally", schema=None) as batch_op:
        batch_op.drop_index("ix_report_screening_tally_month_need")

    op.drop_table("report_screening_tally")
    with op.batch_alter_table("report_screening_place", schema=None) as batch_op:
        batch_op.drop_index("ix_report_screening_place_month")

    op.drop_table("report_screening_place")
    with op.batch_alter_table("report_referral_wait", schema=None) as batch_op:
        batch_op.drop_index("ix_report_referral_wait_month_stage")

    op.drop_table("report_referral_wait")
    with op.batch_alter_table("report_referral_tally", schema=None) as batch_op:
        batch_op.drop_index("ix_report_referral_tally_month_stage")

    op.drop_table("report_referral_tally")
