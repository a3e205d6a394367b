"""The weekly report's forecast and inspection sections.

Each function returns the dictionary its partial renders
(``report.forecast``, ``report.inspection``), with ``empty_reason`` set when
there is nothing to show. Everything is taken as of the end of the report
week, or the as-of date when that comes first.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

from revarch.leadership.accuracy import compute_forecast_accuracy
from revarch.leadership.inspection import compute_inspection
from revarch.timeframe import parse_period, period_of

if TYPE_CHECKING:
    from revarch.workspace import Workspace

INSPECTION_SHOWN = 8
# One word per inspection flag, so that a printed row shows all of them.
SHORT_FLAGS = {
    "stalled": "stalled",
    "close_date_pushed": "pushed",
    "amount_changed": "amount",
    "no_recent_activity": "quiet",
    "close_date_past": "overdue",
}


class ReportDates(Protocol):
    """The report dates these sections read."""

    week_end: dt.date
    quarter_id: str
    as_of: dt.date


def _day(dates: ReportDates) -> dt.date:
    return min(dates.week_end, dates.as_of)


def _previous_quarter(quarter_id: str, start_month: int) -> str:
    current = parse_period(quarter_id, start_month)
    return period_of(current.start - dt.timedelta(days=1), "quarter", start_month).id


def report_section_forecast(
    workspace: Workspace, dates: ReportDates
) -> dict[str, Any] | None:
    """Return each manager's forecast this quarter and last quarter's accuracy."""
    settings = workspace.settings
    start_month = settings.company.fiscal_year_start_month
    result = compute_forecast_accuracy(workspace, as_of=_day(dates))
    previous = _previous_quarter(dates.quarter_id, start_month)
    section: dict[str, Any] = {
        "category": result.category,
        "tolerance": result.tolerance,
        "current_period": dates.quarter_id,
        "previous_period": previous,
        "rows": [],
        "empty_reason": None,
    }
    if not result.rows:
        section["empty_reason"] = (
            f"No {result.category} forecasts recorded: managers submit them with "
            "revarch forecast submit."
        )
        return section
    by_key = {(r["manager"], r["period"]): r for r in result.rows}
    mape = {m["manager"]: m["mape"] for m in result.managers}
    for summary in result.managers:
        manager = summary["manager"]
        now = by_key.get((manager, dates.quarter_id), {})
        before = by_key.get((manager, previous), {})
        section["rows"].append(
            {
                "manager": manager,
                "manager_name": summary["manager_name"],
                "forecast": now.get("forecast"),
                "actual": now.get("actual"),
                "previous_status": before.get("status"),
                "previous_forecast": before.get("forecast"),
                "previous_actual": before.get("actual"),
                "previous_accuracy": before.get("accuracy"),
                "previous_within": before.get("within_tolerance"),
                "mape": mape.get(manager),
            }
        )
    return section


def report_section_inspection(
    workspace: Workspace, dates: ReportDates, seller: str | None = None
) -> dict[str, Any] | None:
    """Return the riskiest open opportunities above the inspection line.

    ``seller`` (an id) narrows the list to that seller's opportunities.
    """
    result = compute_inspection(workspace, as_of=_day(dates), seller=seller)
    rows = []
    for row in result.rows[:INSPECTION_SHOWN]:
        answers = list(row["answers"].values())
        rows.append(
            {
                "id": row["id"],
                "name": row["name"] or row["id"],
                "seller_name": row["seller_name"] or row["seller"],
                "stage_label": row["stage_label"],
                "amount": row["amount"],
                "close_date": row["close_date"],
                "flags": [flag.replace("_", " ") for flag in row["flags"]],
                "short_flags": [SHORT_FLAGS.get(f, f) for f in row["flags"]],
                "answered_no": answers.count("no"),
                "unanswered": sum(1 for a in answers if a in (None, "unknown")),
                "risk": row["risk"],
            }
        )
    reason = None
    if not rows:
        reason = (
            f"No open opportunity at or above {result.min_amount:,.0f} "
            f"{workspace.settings.company.currency}."
        )
        unpriced = [n for n in result.notes if "have no amount" in n]
        if unpriced:
            reason += f" {unpriced[0][0].upper()}{unpriced[0][1:]}."
    return {
        "as_of": _day(dates).isoformat(),
        "no_activity_days": result.no_activity_days,
        "min_amount": result.min_amount,
        "questions": len(result.questions),
        "total": len(result.rows),
        "rows": rows,
        "empty_reason": reason,
    }
