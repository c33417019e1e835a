"""Report periods in whole months (the aggregates count by month). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_MONTHS = 12
MAX_MONTHS = 120


def month_index(value: str) -> int:
    year, month = value.split("-")[:2]
    return int(year) * 12 + int(month) - 1


def month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    first: str  # YYYY-MM
    last: str  # YYYY-MM, inclusive

    @property
    def months(self) -> list[str]:
        return [month_name(i) for i in range(month_index(self.first), month_index(self.last) + 1)]

    def previous(self) -> Period:
        """The same number of months just before."""
        length = month_index(self.last) - month_index(self.first) + 1
        return Period(month_name(month_index(self.first) - length), month_name(month_index(self.first) - 1))

    @property
    def start(self) -> date:
        return date.fromisoformat(self.first + "-01")

    @property
    def end(self) -> date:
        following = month_index(self.last) + 1
        return date.fromordinal(date.fromisoformat(month_name(following) + "-01").toordinal() - 1)


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def period_from(start: str | None, end: str | None, today: date) -> Period | None:
    """The months from `start` to `end` (YYYY-MM-DD; the months they fall in); by default the
    last 12 months up to today's. None when a date is malformed or the range is backwards or
    longer than 10 years."""
    first, last = parse_day(start), parse_day(end)
    if (start and first is None) or (end and last is None):
        return None
    last_month = (last or today).strftime("%Y-%m")
    first_month = (
        first.strftime("%Y-%m") if first else month_name(month_index(last_month) - DEFAULT_MONTHS + 1)
    )
    length = month_index(last_month) - month_index(first_month) + 1
    if not 1 <= length <= MAX_MONTHS:
        return None
    return Period(first_month, last_month)


def quantile(histogram: dict[int, int], q: float) -> int | None:
    """The q-quantile (nearest rank) of the values a {value: count} histogram describes."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, -(-int(q * total * 1000) // 1000))  # ceil(q * total) without float surprises
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)
