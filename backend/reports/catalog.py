"""The reports: id, title, section, which filters apply, and the builder of the table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from backend.i18n import N_
from backend.reports.builders import (
    COVERAGE_FILTERS,
    DISTRICT_ORDER,
    PHASE_ORDER,
    REFERRAL_FILTERS,
    SCREENING_FILTERS,
    coverage,
    needs_by_severity,
    needs_grid,
    referral_outcomes,
    referrals_by,
    rejections,
    screenings_by,
    screenings_by_month,
    screenings_by_municipality,
    unmet_needs,
    waits_by,
)
from backend.reports.outcomes import OUTCOME_FILTERS, WELLBEING_FILTERS, need_resolution, wellbeing_change
from backend.reports.queries import Filters
from backend.reports.tables import Table
from backend.vocab import LIFE_PHASES, SPOKEN_LANGUAGES


@dataclass(frozen=True)
class Report:
    id: str
    title: str  # msgid
    description: str  # msgid
    section: str  # msgid of its section on the overview
    filters: tuple[str, ...]
    build: Callable[[Session, Filters], Table]


SCREENINGS, REFERRALS, GAPS = N_("Screenings and needs"), N_("Referrals"), N_("Gaps")
EFFECTS = N_("Effects")

REPORTS: dict[str, Report] = {
    r.id: r
    for r in [
        Report(
            "screenings-by-month",
            N_("Screenings by month"),
            N_("Completed screenings by nurses and self-checks, month by month."),
            SCREENINGS,
            SCREENING_FILTERS,
            screenings_by_month,
        ),
        Report(
            "screenings-by-district",
            N_("Screenings by district"),
            N_("Completed screenings by administrative district."),
            SCREENINGS,
            SCREENING_FILTERS,
            screenings_by("district", DISTRICT_ORDER),
        ),
        Report(
            "screenings-by-municipality",
            N_("Screenings by municipality"),
            N_("Completed screenings by municipality, within each district."),
            SCREENINGS,
            SCREENING_FILTERS,
            screenings_by_municipality,
        ),
        Report(
            "screenings-by-life-phase",
            N_("Screenings by life phase"),
            N_("Completed screenings by life phase."),
            SCREENINGS,
            SCREENING_FILTERS,
            screenings_by("life_phase", PHASE_ORDER),
        ),
        Report(
            "screenings-by-language",
            N_("Screenings by language"),
            N_("Completed screenings by the person's language."),
            SCREENINGS,
            SCREENING_FILTERS,
            screenings_by("language", list(SPOKEN_LANGUAGES)),
        ),
        Report(
            "needs",
            N_("Flagged needs by severity"),
            N_("Needs flagged in screenings, by need and severity."),
            SCREENINGS,
            SCREENING_FILTERS,
            needs_by_severity,
        ),
        Report(
            "needs-by-life-phase",
            N_("Flagged needs by life phase"),
            N_("Needs flagged in screenings, by need and life phase."),
            SCREENINGS,
            SCREENING_FILTERS,
            needs_grid("life_phase", PHASE_ORDER, {k: v[0] for k, v in LIFE_PHASES.items()}),
        ),
        Report(
            "needs-by-district",
            N_("Flagged needs by district"),
            N_("Needs flagged in screenings, by need and district."),
            SCREENINGS,
            SCREENING_FILTERS,
            needs_grid("district", DISTRICT_ORDER, {d: d for d in DISTRICT_ORDER}),
        ),
        Report(
            "referral-outcomes",
            N_("Referrals by status and outcome"),
            N_("How many referrals reached each status, with outcomes and reasons for rejecting."),
            REFERRALS,
            REFERRAL_FILTERS,
            referral_outcomes,
        ),
        Report(
            "referrals-by-organisation",
            N_("Referrals by organisation"),
            N_(
                "Sent, accepted, rejected, completed and late referrals, and the acceptance rate, "
                "by receiving organisation."
            ),
            REFERRALS,
            REFERRAL_FILTERS,
            referrals_by("organization_id", "organisation"),
        ),
        Report(
            "referrals-by-offer-type",
            N_("Referrals by offer type"),
            N_("Sent, accepted, rejected, completed and late referrals by offer type."),
            REFERRALS,
            REFERRAL_FILTERS,
            referrals_by("service_type", "service_type"),
        ),
        Report(
            "referrals-by-district",
            N_("Referrals by district"),
            N_("Sent, accepted, rejected, completed and late referrals by the person's district."),
            REFERRALS,
            REFERRAL_FILTERS,
            referrals_by("district", "district"),
        ),
        Report(
            "waits-by-district",
            N_("Waiting times by district"),
            N_(
                "Median and 90th percentile of the days from sending until received, "
                "first contact and completion."
            ),
            REFERRALS,
            REFERRAL_FILTERS,
            waits_by("district", "district"),
        ),
        Report(
            "waits-by-organisation",
            N_("Waiting times by organisation"),
            N_(
                "Median and 90th percentile of the days from sending until received, "
                "first contact and completion."
            ),
            REFERRALS,
            REFERRAL_FILTERS,
            waits_by("organization_id", "organisation"),
        ),
        Report(
            "waits-by-offer-type",
            N_("Waiting times by offer type"),
            N_(
                "Median and 90th percentile of the days from sending until received, "
                "first contact and completion."
            ),
            REFERRALS,
            REFERRAL_FILTERS,
            waits_by("service_type", "service_type"),
        ),
        Report(
            "unmet-needs",
            N_("Needs without an offer"),
            N_(
                "Flagged needs where no active offer served the person's municipality "
                "in their language and life phase."
            ),
            GAPS,
            SCREENING_FILTERS,
            unmet_needs,
        ),
        Report(
            "rejections",
            N_("Rejected for capacity or area"),
            N_(
                "Referrals rejected because the organisation had no capacity "
                "or the person lived outside its area."
            ),
            GAPS,
            REFERRAL_FILTERS,
            rejections,
        ),
        Report(
            "coverage",
            N_("Offers by district and life phase"),
            N_("The prevention chain: active offers per district and life phase, for a need and a language."),
            GAPS,
            COVERAGE_FILTERS,
            coverage,
        ),
        Report(
            "need-resolution",
            N_("Needs at the follow-up"),
            N_(
                "Whether referred needs got better, stayed the same or got worse, asked at the "
                "follow-up, with the follow-up rate."
            ),
            EFFECTS,
            OUTCOME_FILTERS,
            need_resolution,
        ),
        Report(
            "wellbeing-change",
            N_("Change in wellbeing"),
            N_(
                "How the ONS4 wellbeing answers and the UCLA-3 loneliness score changed from the "
                "screening to the follow-up, as a distribution."
            ),
            EFFECTS,
            WELLBEING_FILTERS,
            wellbeing_change,
        ),
    ]
}
