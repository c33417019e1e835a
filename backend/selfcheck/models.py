"""What an anonymous self-check leaves behind: counts, never answers.

One row per (month, district, age band, need domain) with a counter; a finished self-check adds
one to the row of each flagged need and one to the row with need_domain "*" (the number of
self-checks, so that reports can show shares). "" in district or age_band means "not given".
The reports issue reads this table; small counts must be suppressed there before display.
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

ALL_RUNS = "*"


class SelfCheckTally(SQLModel, table=True):
    __tablename__ = "selfcheck_tally"
    __table_args__ = (
        UniqueConstraint("month", "district", "age_band", "need_domain", name="uq_selfcheck_tally"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM, in Bern's calendar
    district: str = Field(default="", max_length=10)  # geo DISTRICTS code, "" unknown
    age_band: str = Field(default="", max_length=20)  # vocab.LIFE_PHASES code, "" unknown
    need_domain: str = Field(max_length=30)  # vocab.NEED_DOMAINS code, or "*" for all runs
    count: int = Field(default=0)
