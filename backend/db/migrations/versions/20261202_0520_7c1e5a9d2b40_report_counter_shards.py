"""report counter shards: each combination may be counted in up to 8 rows (reports sum them),
so concurrent transactions do not all queue for one row's lock

Revision ID: 7c1e5a9d2b40
Revises: 3d4be9d3765e
Create Date: 2026-12-02 05:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5a9d2b40"
down_revision: str | None = "3d4be9d3765e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = {
    "report_screening_tally": (
        "uq_report_screening_tally",
        ["month", "source", "district", "life_phase", "language", "need_domain", "severity", "demo"],
    ),
    "report_screening_place": (
        "uq_report_screening_place",
        ["month", "source", "district", "municipality", "life_phase", "language", "demo"],
    ),
    "report_referral_tally": (
        "uq_report_referral_tally",
        ["month", "district", "organization_id", "service_type", "need_domain", "stage", "detail", "demo"],
    ),
    "report_referral_wait": (
        "uq_report_referral_wait",
        ["month", "district", "organization_id", "service_type", "stage", "days", "demo"],
    ),
}


def upgrade() -> None:
    for table, (name, columns) in KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("shard", sa.Integer(), nullable=False, server_default="0"))
            batch_op.drop_constraint(name, type_="unique")
            batch_op.create_unique_constraint(name, [*columns, "shard"])


def downgrade() -> None:
    for table, (name, columns) in KEYS.items():
        # Shards of one combination become one row again before the narrower key returns.
        keys = ", ".join(columns)
        counters = "count, unmet_count" if table == "report_screening_tally" else "count"
        sums = ", ".join(f"sum({c}) AS {c}" for c in counters.split(", "))  # PostgreSQL refuses two "sum"s
        op.execute(f"CREATE TEMPORARY TABLE merged AS SELECT {keys}, {sums} FROM {table} GROUP BY {keys}")  # noqa: S608
        op.execute(f"DELETE FROM {table}")  # noqa: S608
        op.execute(f"INSERT INTO {table} ({keys}, {counters}, shard) SELECT *, 0 FROM merged")  # noqa: S608
        op.execute("DROP TABLE merged")
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(name, type_="unique")
            batch_op.create_unique_constraint(name, columns)
            batch_op.drop_column("shard")
