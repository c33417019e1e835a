"""How each report's table is built from the aggregates. Counts pass through suppression
before they leave this module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from backend.geo.reference import DISTRICTS
from backend.i18n import N_
from backend.referrals.states import OUTCOME_LABELS, REJECT_REASONS
from backend.reports import queries
from backend.reports.periods import quantile
from backend.reports.queries import Filters
from backend.reports.suppression import HIDDEN, SMALL
from backend.reports.tables import NOT_AVAILABLE, TOTAL, Column, Table, counts_grid, nested_counts, ratio
from backend.vocab import LIFE_PHASES, NEED_DOMAINS, SERVICE_TYPES, SEVERITIES

SOURCES = {"nurse": N_("Screening by a nurse"), "self-check": N_("Self-check")}
# Whole headings, so that each language can order its own words.
WAIT_STAGES = {
    "received": (N_("Median days until received"), N_("90th percentile of days until received")),
    "first_contact": (
        N_("Median days until first contact"),
        N_("90th percentile of days until first contact"),
    ),
    "completed": (N_("Median days until completed"), N_("90th percentile of days until completed")),
}
STAGE_COLUMNS = {
    "requested": N_("Sent"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "completed": N_("Completed"),
    "late": N_("Late"),
}
OUTCOME_STAGES = {
    "ready": N_("To be arranged by the referrer"),
    "requested": N_("Sent"),
    "received": N_("Received"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "completed": N_("Completed"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
}
DETAILS = {**OUTCOME_LABELS, **REJECT_REASONS}
MIN_FOR_WAITS = 5
DISTRICT_ORDER = list(DISTRICTS)
PHASE_ORDER = list(LIFE_PHASES)
NEED_ORDER = list(NEED_DOMAINS)

SCREENING_FILTERS = ("district", "life_phase", "source")
REFERRAL_FILTERS = ("district",)
COVERAGE_FILTERS = ("need", "language", "offer_type")

# Column headings of key columns, by kind.
KEY_LABELS = {
    "month": N_("Month"),
    "district": N_("District"),
    "municipality": N_("Municipality"),
    "life_phase": N_("Life phase"),
    "language": N_("Language"),
    "need_domain": N_("Need"),
    "organisation": N_("Organisation"),
    "service_type": N_("Offer type"),
    "stage": N_("Status"),
    "detail": N_("Outcome or reason"),
    "score": N_("Wellbeing measure"),
}


def _order(present: set[Any], order: list[Any] | None) -> list[Any]:
    if order is None:
        return sorted(present)
    return [k for k in order if k in present] + sorted(present - set(order))


def _ordered_groups(session: Session, groups: set[Any], kind: str) -> tuple[list[Any], dict[str, str]]:
    """The groups of a referral report in their order (organisations by name), and the
    organisations' names."""
    names = queries.organisation_names(session, groups) if kind == "organisation" else {}
    order = DISTRICT_ORDER if kind == "district" else list(SERVICE_TYPES) if kind == "service_type" else None
    keys = _order(groups, order)
    if kind == "organisation":
        keys.sort(key=lambda k: str(names.get(k, k)).casefold())
    return keys, names


def _key(name: str) -> Column:
    return Column(name, KEY_LABELS[name], name)


def _with_previous(
    table: Table, keys: list[Any], previous: dict[Any, int], label: str = N_("Previous period")
) -> None:
    """Appends the same count for the period before, suppressed on its own."""
    cells = counts_grid([[previous.get(k, 0)] for k in keys], row_totals=False)
    table.columns.append(Column("previous_count", label))
    for row, cell in zip(table.rows, cells, strict=True):
        row.append(cell[0])


# --- screenings and needs -----------------------------------------------------------------


def screenings_by(dimension: str, order: list[str] | None) -> Callable[[Session, Filters], Table]:
    def build(session: Session, f: Filters) -> Table:
        now = {k[0]: n for k, n in queries.screenings(session, f, (dimension,)).items() if n}
        before = {k[0]: n for k, n in queries.screenings(session, f.shifted(), (dimension,)).items() if n}
        keys = _order(set(now) | set(before), order)
        table = Table([_key(dimension), Column("count", N_("Screenings"))], chart="count")
        cells = counts_grid([[now.get(k, 0)] for k in keys], row_totals=False)
        table.rows = [[k, c[0]] for k, c in zip([*keys, TOTAL], cells, strict=True)]
        _with_previous(table, keys, before)
        return table

    return build


def screenings_by_month(session: Session, f: Filters) -> Table:
    counts = queries.screenings(session, f, ("month", "source"))
    months = f.period.months
    matrix = [[counts.get((m, s), 0) for s in SOURCES] for m in months]
    cells = counts_grid(matrix, row_totals=True)
    columns = [
        _key("month"),
        Column("nurse_count", SOURCES["nurse"]),
        Column("self_check_count", SOURCES["self-check"]),
    ]
    table = Table([*columns, Column("count", N_("Screenings"))], chart="count")
    table.rows = [[k, *c] for k, c in zip([*months, TOTAL], cells, strict=True)]
    return table


def screenings_by_municipality(session: Session, f: Filters) -> Table:
    counts = queries.screenings_by_place(session, f)
    by_district: dict[str, dict[int, int]] = {}
    for (district, municipality), n in counts.items():
        if n:
            by_district.setdefault(district, {})[municipality] = n
    districts = _order(set(by_district), DISTRICT_ORDER)
    places = [sorted(by_district[d]) for d in districts]
    cells, subtotals, total = nested_counts(
        [[by_district[d][m] for m in ms] for d, ms in zip(districts, places, strict=True)]
    )
    table = Table([_key("district"), _key("municipality"), Column("count", N_("Screenings"))], chart="count")
    for district, municipalities, group, subtotal in zip(districts, places, cells, subtotals, strict=True):
        table.rows += [[district, m, c] for m, c in zip(municipalities, group, strict=True)]
        table.rows.append([district, TOTAL, subtotal])
    table.rows.append([TOTAL, TOTAL, total])
    return table


def needs_by_severity(session: Session, f: Filters) -> Table:
    counts = queries.screenings(session, f, ("need_domain", "severity"), needs=True)
    before = queries.screenings(session, f.shifted(), ("need_domain",), needs=True)
    needs = _order(
        {k[0] for k, n in counts.items() if n} | {k[0] for k, n in before.items() if n}, NEED_ORDER
    )
    matrix = [[counts.get((d, s), 0) for s in SEVERITIES] for d in needs]
    cells = counts_grid(matrix, row_totals=True, columns=len(SEVERITIES))
    severity_columns = [Column(f"{s}_count", label) for s, label in SEVERITIES.items()]
    table = Table(
        [_key("need_domain"), *severity_columns, Column("count", N_("Flagged needs"))], chart="count"
    )
    table.rows = [[k, *c] for k, c in zip([*needs, TOTAL], cells, strict=True)]
    _with_previous(table, needs, {k[0]: n for k, n in before.items()})
    return table


def needs_grid(
    dimension: str, order: list[str], labels: dict[str, str]
) -> Callable[[Session, Filters], Table]:
    def build(session: Session, f: Filters) -> Table:
        counts = queries.screenings(session, f, ("need_domain", dimension), needs=True)
        needs = _order({k[0] for k, n in counts.items() if n}, NEED_ORDER)
        matrix = [[counts.get((d, c), 0) for c in order] for d in needs]
        cells = counts_grid(matrix, row_totals=True, columns=len(order))
        columns = [Column(f"{c}_count", labels[c]) for c in order]
        table = Table([_key("need_domain"), *columns, Column("count", N_("Flagged needs"))], chart="count")
        table.rows = [[k, *c] for k, c in zip([*needs, TOTAL], cells, strict=True)]
        return table

    return build


# --- referrals ---------------------------------------------------------------------------------


def referral_outcomes(session: Session, f: Filters) -> Table:
    counts = queries.referrals(session, f, ("stage", "detail"))
    table = Table([_key("stage"), _key("detail"), Column("count", N_("Referrals"))], chart="count")
    stages = [s for s in OUTCOME_STAGES if any(k[0] == s and n for k, n in counts.items())]
    groups, details_of = [], []
    for stage in stages:
        details = sorted(d for (s, d), n in counts.items() if s == stage and n)
        details_of.append(details)
        groups.append([counts[(stage, d)] for d in details])
    for stage, details, group in zip(stages, details_of, groups, strict=True):
        if details == [""]:  # no breakdown: the stage alone, suppressed as a single count
            cell = counts_grid([group], row_totals=False)[0][0]
            table.rows.append([stage, TOTAL, cell])
            continue
        cells, subtotal, _ = nested_counts([group])
        table.rows += [[stage, d or "", c] for d, c in zip(details, cells[0], strict=True)]
        table.rows.append([stage, TOTAL, subtotal[0]])
    return table


def referrals_by(dimension: str, kind: str) -> Callable[[Session, Filters], Table]:
    def build(session: Session, f: Filters) -> Table:
        counts = queries.referrals(session, f, (dimension, "stage"))
        before = {
            k[0]: n
            for k, n in queries.referrals(session, f.shifted(), (dimension, "stage")).items()
            if k[1] == "requested" and n
        }
        keys, names = _ordered_groups(session, {k[0] for k, n in counts.items() if n} | set(before), kind)
        matrix = [[counts.get((k, s), 0) for s in STAGE_COLUMNS] for k in keys]
        cells = counts_grid(matrix, row_totals=False, columns=len(STAGE_COLUMNS))
        columns = [Column(f"{s}_count", label) for s, label in STAGE_COLUMNS.items()]
        rates = [
            Column("acceptance_rate", N_("Acceptance rate (%)"), "percent"),
            Column("late_share", N_("Late share (%)"), "percent"),
        ]
        table = Table([_key(kind), *columns, *rates], chart="requested_count")
        table.note = N_(
            "Acceptance rate: accepted of accepted and rejected. "
            "Late: received, or first contacted, after the deadline."
        )
        for key, row in zip([*keys, TOTAL], cells, strict=True):
            sent, accepted, rejected, _, late = row
            both = accepted + rejected if isinstance(accepted, int) and isinstance(rejected, int) else HIDDEN
            label = names.get(key, key)  # the total's key is not a name
            table.rows.append([label, *row, ratio(accepted, both), ratio(late, sent)])
        _with_previous(table, keys, before, N_("Sent in the previous period"))
        return table

    return build


def waits_by(dimension: str, kind: str) -> Callable[[Session, Filters], Table]:
    def build(session: Session, f: Filters) -> Table:
        histograms = queries.waits(session, f, dimension)
        keys, names = _ordered_groups(session, {g for g, _ in histograms}, kind)
        totals: dict[str, Counter[int]] = {stage: Counter() for stage in WAIT_STAGES}
        for (_, stage), h in histograms.items():
            if stage in totals:
                totals[stage].update(h)
        columns = [_key(kind)]
        for stage, (median, p90) in WAIT_STAGES.items():
            columns.append(Column(f"{stage}_median_days", median, "days_median"))
            columns.append(Column(f"{stage}_p90_days", p90, "days_p90"))
        table = Table(columns, chart="first_contact_median_days")
        table.note = N_(
            "Whole days from sending; beyond two weeks rounded up to whole weeks, beyond eight weeks "
            "to 30 days. Fewer than 5 referrals: not shown."
        )
        for key in [*keys, TOTAL]:
            row: list[Any] = [names.get(key, key)]
            for stage in WAIT_STAGES:
                histogram = dict(totals[stage]) if key == TOTAL else histograms.get((key, stage), {})
                if sum(histogram.values()) < MIN_FOR_WAITS:
                    row += [SMALL, SMALL] if histogram else [NOT_AVAILABLE, NOT_AVAILABLE]
                else:
                    row += [quantile(histogram, 0.5), quantile(histogram, 0.9)]
            table.rows.append(row)
        return table

    return build


# --- gaps ------------------------------------------------------------------------------------


def unmet_needs(session: Session, f: Filters) -> Table:
    """Largest first; a (district, need) that had unmet needs only in the previous period
    follows with 0, so that the comparison shows what went away too."""
    counts = queries.screenings(session, f, ("district", "need_domain"), needs=True, unmet=True)
    before = {
        k: n
        for k, n in queries.screenings(
            session, f.shifted(), ("district", "need_domain"), needs=True, unmet=True
        ).items()
        if n
    }
    now = {k: n for k, n in counts.items() if n}
    keys = sorted(set(now) | set(before), key=lambda k: (-now.get(k, 0), -before.get(k, 0), k))
    cells = counts_grid([[now.get(k, 0)] for k in keys], row_totals=False)
    table = Table(
        [_key("district"), _key("need_domain"), Column("unmet_count", N_("Needs without an offer"))]
    )
    table.chart = "unmet_count"
    table.note = N_(
        "Needs flagged where no active offer served the municipality in the person's language and life phase."
    )
    table.rows = [[*k, c[0]] for k, c in zip([*keys, (TOTAL, TOTAL)], cells, strict=True)]
    _with_previous(table, keys, before)
    return table


def rejections(session: Session, f: Filters) -> Table:
    counts = queries.referrals(session, f, ("organization_id", "stage", "detail"))
    reasons = ("no_capacity", "outside_area")
    wanted = {(o, d): n for (o, s, d), n in counts.items() if s == "rejected" and d in reasons and n}
    keys, names = _ordered_groups(session, {o for o, _ in wanted}, "organisation")
    cells = counts_grid(
        [[wanted.get((o, r), 0) for r in reasons] for o in keys], row_totals=True, columns=len(reasons)
    )
    columns = [
        Column("no_capacity_count", REJECT_REASONS["no_capacity"]),
        Column("outside_area_count", REJECT_REASONS["outside_area"]),
    ]
    table = Table([_key("organisation"), *columns, Column("count", N_("Rejected"))], chart="count")
    table.rows = [[names.get(k, k), *c] for k, c in zip([*keys, TOTAL], cells, strict=True)]
    return table


def coverage(session: Session, f: Filters) -> Table:
    """Offers are not personal data: their counts are shown as they are."""
    served = queries.coverage(session, f.need, f.language, f.offer_type)
    columns = [Column(f"{p}_count", label, "offers") for p, (label, _, _) in LIFE_PHASES.items()]
    table = Table([_key("district"), *columns, Column("count", N_("Offers"), "offers")], chart="count")
    table.note = N_(
        "Active offers that serve the district (or the whole canton); 0 is a gap in the prevention chain."
    )
    for district in DISTRICT_ORDER:
        phases = served.get(district, {})
        table.rows.append(
            [district, *[len(phases.get(p, ())) for p in LIFE_PHASES], len(phases.get("*", ()))]
        )
    return table
