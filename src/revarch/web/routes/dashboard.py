"""The dashboard: the weekly report with a week picker.

The report itself is the page ``revarch report`` writes, rendered by the
report package and shown in a frame, so the dashboard shows every section
the printed report has. The JSON twin is the report's data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from revarch.web.auth import require_role, state_of
from revarch.web.render import twin
from revarch.web.routes.common import WeekQuery

router = APIRouter(tags=["dashboard"])

WEEKS_OFFERED = 26


def week_choices(as_of: str) -> list[str]:
    """Return the ISO weeks a picker offers: the latest complete ones first."""
    day = dt.date.fromisoformat(as_of)
    last = day - dt.timedelta(days=day.isoweekday())
    weeks = []
    for back in range(WEEKS_OFFERED):
        year, week, _ = (last - dt.timedelta(weeks=back)).isocalendar()
        weeks.append(f"{year}-W{week:02d}")
    return weeks


def _weeks(request: Request, report: dict[str, Any]) -> dict[str, Any]:
    week = report["week"]["id"]
    weeks = week_choices(report["as_of"])
    if week not in weeks:
        weeks.insert(0, week)
    return {"weeks": weeks}


def _report(request: Request, week: str | None) -> dict[str, Any]:
    from revarch.report.build import build_report

    state = state_of(request)
    return state.cached(("report", week), lambda ws: build_report(ws, week=week))


@twin(
    router,
    "/dashboard",
    "dashboard.html.j2",
    summary="The weekly report of the whole team",
    decorate=_weeks,
)
def dashboard(request: Request, week: WeekQuery = None) -> dict[str, Any]:
    """Build the week's report: headline, funnel, days in stage, sellers, stalls."""
    require_role(request, "admin", "manager")
    return _report(request, week)


@router.get("/dashboard/report", include_in_schema=False)
def printable(request: Request, week: WeekQuery = None) -> HTMLResponse:
    """Return the week's one-page report exactly as ``revarch report`` writes it."""
    from revarch.report.render import render_html

    require_role(request, "admin", "manager")
    report = _report(request, week)
    html = state_of(request).cached(
        ("report-html", report["week"]["id"]), lambda _ws: render_html(report)
    )
    return HTMLResponse(html)
