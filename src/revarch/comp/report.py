"""The weekly report's comp section: each seller's payout for the quarter to date."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

from revarch.comp.statements import compute_comp
from revarch.timeframe import period_of

if TYPE_CHECKING:
    from revarch.workspace import Workspace

SELLERS_SHOWN = 12


class ReportDates(Protocol):
    """The report dates this section reads."""

    week_end: dt.date
    as_of: dt.date


def report_section_comp(
    workspace: Workspace, dates: ReportDates, seller: str | None = None
) -> dict[str, Any] | None:
    """Return each seller's payout to date under the comp plan, highest first.

    ``seller`` (an id) keeps only that seller's statement.
    """
    plan = workspace.settings.comp
    if plan is None:
        return {
            "rows": [],
            "measures": [],
            "totals": {},
            "period": None,
            "empty_reason": "No comp plan: add a comp: section to revarch.yaml.",
        }
    day = min(dates.week_end, dates.as_of)
    start_month = workspace.settings.company.fiscal_year_start_month
    period = period_of(day, plan.period, start_month)
    result = compute_comp(workspace, period=period.id, as_of=day)
    measures = [c.measure for c in plan.components]
    rows = []
    for item in result.statements:
        if seller is not None and item["seller"] != seller:
            continue
        lines = {line["measure"]: line for line in item["components"]}
        rows.append(
            {
                "seller": item["seller"],
                "seller_name": item["seller_name"],
                "attainment": {m: lines[m]["attainment"] for m in measures},
                "total": item["total"],
                "target_incentive": item["target_incentive"],
                "of_target": (
                    item["total"] / item["target_incentive"]
                    if item["target_incentive"]
                    else None
                ),
                "needs_review": item["needs_review"],
            }
        )
    rows.sort(key=lambda r: (-r["total"], r["seller_name"]))
    return {
        "period": period.id,
        "until": day.isoformat(),
        "measures": measures,
        "labels": {m: m.replace("_", " ") for m in measures},
        "rows": rows[:SELLERS_SHOWN],
        "total_sellers": len(rows),
        "totals": result.totals,
        "needs_review": sum(1 for row in rows if row["needs_review"]),
        "empty_reason": None if rows else "No sellers on the comp plan.",
    }
