"""/api/v1/reports: the report tables as JSON, for an analyst's token (or session)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, get
from litestar.params import FromPath

from backend.deps import Unit
from backend.i18n import translate
from backend.reports import service
from backend.reports.catalog import REPORTS
from backend.reports.pages import ANALYSTS
from backend.web import request_locale


@dataclass
class ReportRef:
    id: str
    title: str


@dataclass
class ReportTable:
    id: str
    title: str
    columns: list[str]  # count columns are `count` or end in `_count`
    rows: list[list[Any]]  # a hidden count is "<5"; a total row has "*" in its key columns


@get("/api/v1/reports", name="reports.api.list", opt=ANALYSTS, sync_to_thread=True, tags=["reports"])
def list_reports(request: Request) -> list[ReportRef]:
    locale = request_locale(request)
    return [ReportRef(r.id, translate(locale, r.title)) for r in REPORTS.values()]


@get(
    "/api/v1/reports/{report_id:str}",
    name="reports.api.show",
    opt=ANALYSTS,
    sync_to_thread=True,
    tags=["reports"],
)
def get_report(request: Request, report_id: FromPath[str], reader: Unit) -> ReportTable:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (whole months; the last 12 by default) and the report's
    filters: district, life_phase, source, need, language (codes)."""
    found = service.report(report_id)
    params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    f = service.filters_from(params, strict=True)
    table = service.run(reader, found, f)
    return ReportTable(**service.to_json(found, table, request_locale(request)))


ROUTES = [list_reports, get_report]
