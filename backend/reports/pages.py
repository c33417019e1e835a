"""Report pages for analysts (and admins): the overview, one report with its chart and table,
its CSV, and the printable report of one district in German or French."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.accounts.access import allow
from backend.accounts.roles import Role
from backend.deps import Unit
from backend.geo.reference import DISTRICTS
from backend.i18n import LANGUAGES
from backend.reports import service
from backend.reports.catalog import REPORTS
from backend.reports.queries import Filters
from backend.web import render, render_page_or_fragment, request_locale

ANALYSTS = allow(Role.ANALYST, Role.ADMIN)
# The printable district report: what a municipality or the canton hands round.
DISTRICT_REPORTS = (
    "needs",
    "needs-by-life-phase",
    "screenings-by-life-phase",
    "referral-outcomes",
    "waits-by-offer-type",
    "referrals-by-offer-type",
    "unmet-needs",
)
# Its section "Effects" (issue 19): what the follow-ups found in the district.
DISTRICT_EFFECTS = ("need-resolution", "wellbeing-change")


def _params(request: Request) -> dict[str, str]:
    return {k: v[:20] for k, v in request.query_params.items() if isinstance(v, str)}


def _sections() -> dict[str, list]:
    sections: dict[str, list] = {}
    for found in REPORTS.values():
        sections.setdefault(found.section, []).append(found)
    return sections


@get("/reports", name="reports.index", opt=ANALYSTS, sync_to_thread=True, include_in_schema=False)
def overview(request: Request) -> Template:
    return render(request, "reports/index.html", {"sections": _sections()})


def _query_string(f: Filters, names: tuple[str, ...]) -> str:
    values = {"from": f.period.start.isoformat(), "to": f.period.end.isoformat()}
    values.update({n: getattr(f, n) for n in names if getattr(f, n)})
    return urlencode(values)


@get(
    "/reports/{report_id:str}",
    name="reports.show",
    opt=ANALYSTS,
    sync_to_thread=True,
    include_in_schema=False,
)
def report_page(request: Request, report_id: FromPath[str], reader: Unit) -> Template:
    found = service.report(report_id)
    locale = request_locale(request)
    f = service.filters_from(_params(request))
    table = service.run(reader, found, f)
    context = {
        "report": found,
        "filters": f,
        "table": service.shown(table, locale),
        "note": table.note,
        "compares": service.compares(table),
        "chart": service.chart(found, table, locale, "chart"),
        "csv_url": request.app.route_reverse("reports.csv", report_id=found.id)
        + "?"
        + _query_string(f, found.filters),
    }
    return render_page_or_fragment(request, "reports/report.html", "reports/_body.html", context)


@get(
    "/reports/{report_id:str}/csv",
    name="reports.csv",
    opt=ANALYSTS,
    sync_to_thread=True,
    include_in_schema=False,
)
def report_csv(request: Request, report_id: FromPath[str], reader: Unit) -> Response:
    found = service.report(report_id)
    f = service.filters_from(_params(request))
    table = service.run(reader, found, f)
    locale = request_locale(request)
    name = service.csv_name(found, f, locale)
    return Response(
        service.to_csv(table, locale),
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to every text/* type
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get(
    "/reports/districts/{district:str}",
    name="reports.district",
    opt=ANALYSTS,
    sync_to_thread=True,
    include_in_schema=False,
)
def district_report(request: Request, district: FromPath[str], reader: Unit) -> Template:
    """Printable, in `lang` (German or French) whatever the reader's own language is."""
    if district not in DISTRICTS:
        raise NotFoundException()
    params = _params(request)
    lang = params.get("lang")
    locale = lang if lang in LANGUAGES else request_locale(request)
    params["district"] = district
    f = service.filters_from(params)
    parts = []
    for index, report_id in enumerate(DISTRICT_REPORTS + DISTRICT_EFFECTS):
        found = REPORTS[report_id]
        table = service.run(reader, found, f)
        parts.append(
            {
                "report": found,
                "table": service.shown(table, locale),
                "note": table.note,
                "chart": service.chart(found, table, locale, f"chart-{index}"),
            }
        )
    effects = parts[len(DISTRICT_REPORTS) :]
    parts = parts[: len(DISTRICT_REPORTS)]
    coverage = service.run(reader, REPORTS["coverage"], f)
    coverage.rows = [row for row in coverage.rows if row[0] == district]
    context = {
        "district": DISTRICTS[district],
        "filters": f,
        "parts": parts,
        "effects": effects,
        "coverage": service.shown(coverage, locale),
    }
    return render(request, "reports/district.html", context, locale=locale)


ROUTES = [overview, report_page, report_csv, district_report]
