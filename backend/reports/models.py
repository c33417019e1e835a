"""Count-only aggregate tables: what the reports read, and all they read about people.

Every row is a combination of coarse, non-identifying categories with a counter; no row points
to a client, a screening or a referral. `tally.py` adds to them in the same transaction as the
change it counts (atomic upserts, so concurrent web processes never lose a count; see SHARDS). "" (or 0 for
a municipality) means "not known". `demo` marks the synthetic year `demo seed` adds.
"""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

ALL = "*"  # need_domain of the row that counts the screening itself (for shares and totals)
# Each combination is counted in up to SHARDS rows (a transaction adds to one, chosen at
# random) and reports read their sum: otherwise every offline sync of a district in a month
# would queue for the same row's lock (on PostgreSQL; SQLite has one writer anyway).
SHARDS = 8
# The categories each tally counts by: with demo and shard its unique key, and all a report may
# group by (queries.py places no other column name into a statement).
SCREENING_DIMENSIONS = ("month", "source", "district", "life_phase", "language", "need_domain", "severity")
REFERRAL_DIMENSIONS = (
    "month",
    "district",
    "organization_id",
    "service_type",
    "need_domain",
    "stage",
    "detail",
)
WAIT_DIMENSIONS = ("month", "district", "organization_id", "service_type", "stage", "days")


class ScreeningTally(SQLModel, table=True):
    """Completed screenings (nurse and self-check) and their flagged needs, by district."""

    __tablename__ = "report_screening_tally"
    __table_args__ = (
        UniqueConstraint(*SCREENING_DIMENSIONS, "demo", "shard", name="uq_report_screening_tally"),
        Index("ix_report_screening_tally_month_need", "month", "need_domain"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)  # YYYY-MM in Bern's calendar
    source: str = Field(max_length=12)  # nurse | self-check
    district: str = Field(default="", max_length=10)
    life_phase: str = Field(default="", max_length=20)  # vocab.LIFE_PHASES
    language: str = Field(default="", max_length=5)
    need_domain: str = Field(max_length=30)  # vocab.NEED_DOMAINS, or ALL for the screening
    severity: str = Field(default="", max_length=10)  # vocab.SEVERITIES, "" for ALL
    demo: bool = Field(default=False)
    shard: int = Field(default=0)  # see SHARDS
    count: int = Field(default=0)
    # Of these, flagged where no active offer served the municipality in the person's language
    # and life phase at that moment.
    unmet_count: int = Field(default=0)


class ScreeningPlace(SQLModel, table=True):
    """Completed screenings by municipality (no needs): kept apart so that the tallies every
    other report reads stay small (a canton has ~340 municipalities, and 10 districts)."""

    __tablename__ = "report_screening_place"
    __table_args__ = (
        UniqueConstraint(
            "month",
            "source",
            "district",
            "municipality",
            "life_phase",
            "language",
            "demo",
            "shard",
            name="uq_report_screening_place",
        ),
        Index("ix_report_screening_place_month", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)
    source: str = Field(max_length=12)
    district: str = Field(default="", max_length=10)
    municipality: int = Field(default=0)  # BFS number, 0 unknown
    life_phase: str = Field(default="", max_length=20)
    language: str = Field(default="", max_length=5)
    demo: bool = Field(default=False)
    shard: int = Field(default=0)  # see SHARDS
    count: int = Field(default=0)


class ReferralTally(SQLModel, table=True):
    """How many referrals reached each stage in a month. A referral counts once per stage it
    reaches (requested, received, accepted, …), so stages are not a partition; `late` counts
    referrals received, or first contacted, after their deadline."""

    __tablename__ = "report_referral_tally"
    __table_args__ = (
        UniqueConstraint(*REFERRAL_DIMENSIONS, "demo", "shard", name="uq_report_referral_tally"),
        Index("ix_report_referral_tally_month_stage", "month", "stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)
    district: str = Field(default="", max_length=10)
    organization_id: str = Field(default="", max_length=36)  # the directory organisation (public)
    service_type: str = Field(default="", max_length=30)  # vocab.SERVICE_TYPES
    need_domain: str = Field(default="", max_length=30)
    stage: str = Field(max_length=20)  # a referral status, or "late"
    detail: str = Field(default="", max_length=30)  # the outcome or the reason for rejecting
    demo: bool = Field(default=False)
    shard: int = Field(default=0)  # see SHARDS
    count: int = Field(default=0)


class ReferralWait(SQLModel, table=True):
    """A histogram of whole days from `requested` to a stage (received, first_contact,
    completed), so that medians and 90th percentiles come from counts, not from referrals."""

    __tablename__ = "report_referral_wait"
    __table_args__ = (
        UniqueConstraint(*WAIT_DIMENSIONS, "demo", "shard", name="uq_report_referral_wait"),
        Index("ix_report_referral_wait_month_stage", "month", "stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)  # when the stage was reached
    district: str = Field(default="", max_length=10)
    organization_id: str = Field(default="", max_length=36)
    service_type: str = Field(default="", max_length=30)
    stage: str = Field(max_length=20)  # received | first_contact | completed
    days: int  # tally.day_bucket: exact to 14 days, then by week to 56, then by 30 days
    demo: bool = Field(default=False)
    shard: int = Field(default=0)  # see SHARDS
    count: int = Field(default=0)


# Follow-ups (issue 19): what became of each referred need, and how wellbeing changed.
OUTCOME_DIMENSIONS = ("month", "district", "life_phase", "need_domain", "change")
OUTCOME_TYPE_DIMENSIONS = ("month", "district", "life_phase", "need_domain", "service_type", "change")
WELLBEING_DIMENSIONS = ("month", "district", "life_phase", "score", "change")
SKIPPED = "skipped"  # the `change` of a need whose due follow-up was skipped (the follow-up rate)
WELLBEING_BINS = (-3, -2, -1, 0, 1, 2, 3)  # -3: 3 or more worse on the scale; 3: 3 or more up


class OutcomeTally(SQLModel, table=True):
    """Referred needs at their follow-up, by the answer to "better / the same / worse / cannot
    say" ("" when not answered), and needs whose due follow-up was skipped (`change` SKIPPED):
    recorded ÷ (recorded + skipped) is the follow-up rate. Without the offer type, which
    multiplies the rows by seven and only a filter needs (OutcomeTypeTally)."""

    __tablename__ = "report_outcome_tally"
    __table_args__ = (
        UniqueConstraint(*OUTCOME_DIMENSIONS, "demo", "shard", name="uq_report_outcome_tally"),
        Index("ix_report_outcome_tally_month", "month", "district"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)  # when the follow-up was recorded or skipped
    district: str = Field(default="", max_length=10)
    life_phase: str = Field(default="", max_length=20)
    need_domain: str = Field(max_length=30)
    change: str = Field(default="", max_length=12)  # better | same | worse | cannot-say | "" | SKIPPED
    demo: bool = Field(default=False)
    shard: int = Field(default=0)  # see SHARDS
    count: int = Field(default=0)


class OutcomeTypeTally(SQLModel, table=True):
    """The followed-up needs of OutcomeTally again, by the type of the offer they were referred
    to (no skipped ones: a skipped follow-up asks nothing). A need referred to offers of several
    types counts once, under the first of them, so that its totals stay counts of needs."""

    __tablename__ = "report_outcome_type_tally"
    __table_args__ = (
        UniqueConstraint(*OUTCOME_TYPE_DIMENSIONS, "demo", "shard", name="uq_report_outcome_type_tally"),
        Index("ix_report_outcome_type_tally_type_month", "service_type", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)
    district: str = Field(default="", max_length=10)
    life_phase: str = Field(default="", max_length=20)
    need_domain: str = Field(max_length=30)
    service_type: str = Field(default="", max_length=30)
    change: str = Field(default="", max_length=12)
    demo: bool = Field(default=False)
    shard: int = Field(default=0)  # see SHARDS
    count: int = Field(default=0)


class WellbeingTally(SQLModel, table=True):
    """Paired changes (follow-up minus baseline) of each ONS4 item and of the UCLA-3 sum, in
    WELLBEING_BINS: the pairing happened when the follow-up was stored; only the change counts."""

    __tablename__ = "report_wellbeing_tally"
    __table_args__ = (
        UniqueConstraint(*WELLBEING_DIMENSIONS, "demo", "shard", name="uq_report_wellbeing_tally"),
        Index("ix_report_wellbeing_tally_month", "month", "district"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)
    district: str = Field(default="", max_length=10)
    life_phase: str = Field(default="", max_length=20)
    score: str = Field(max_length=30)  # an ONS4 linkId, or "ucla3"
    change: int  # one of WELLBEING_BINS
    demo: bool = Field(default=False)
    shard: int = Field(default=0)  # see SHARDS
    count: int = Field(default=0)
