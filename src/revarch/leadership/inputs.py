"""Per-seller input metrics over dates: stage advance rate and days in stage.

- Stage advance rate (``conversion``): among the seller's stage visits that
  ended in the window, advanced / (advanced + lost). A visit advanced when
  the next visit is a later stage or the opportunity was won. It was lost
  when the opportunity closed lost from it. Backward moves count as neither.
- Days in stage: the median days of the seller's completed, timed visits
  that ended in the window.

Visits are dated by the local day they ended, in the workspace timezone.
The seller is the opportunity's current owner.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import ibis

from revarch.timeframe import PeriodKind, local_date, period_key

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from revarch.workspace import Workspace


def _ended_visits(workspace: Workspace) -> ir.Table:
    """Return every visit that ended, with its seller, outcome and end day."""
    from revarch.process.derived import SUMMARY_TABLE, VISITS_TABLE, ensure_derived

    ensure_derived(workspace)
    zone = workspace.settings.company.timezone
    visits = workspace.store.table(VISITS_TABLE)
    order = ibis.window(group_by="opportunity_id", order_by="visit_number")
    visits = visits.mutate(next_index=visits.stage_index.lead().over(order))
    visits = visits.filter(visits.exited_at.notnull())
    summary = workspace.store.table(SUMMARY_TABLE)
    owners = summary.select(
        _opportunity=summary.opportunity_id, seller=summary.seller_id
    )
    joined = visits.inner_join(owners, visits.opportunity_id == owners._opportunity)
    advanced = (joined.next_stage_id == "won") | (
        joined.next_index.notnull() & (joined.next_index > joined.stage_index)
    )
    return joined.select(
        "seller",
        "days",
        day=local_date(joined.exited_at, zone),
        advanced=advanced.fill_null(False),
        lost=(joined.next_stage_id == "lost").fill_null(False),
    )


def stage_inputs(
    workspace: Workspace,
    *,
    since: dt.date | None,
    until: dt.date,
    period: PeriodKind | None = None,
) -> dict[Any, dict[str, Any]]:
    """Return advanced, lost, conversion and days_median per seller (and period).

    Keys are seller ids, or (seller, period id) pairs when ``period`` is set.
    """
    visits = _ended_visits(workspace)
    inside = visits.day <= until
    if since is not None:
        inside &= visits.day >= since
    visits = visits.filter(inside, visits.seller.notnull())
    keys = ["seller"]
    if period is not None:
        start_month = workspace.settings.company.fiscal_year_start_month
        visits = visits.mutate(period=period_key(visits.day, period, start_month))
        keys.append("period")
    grouped = visits.group_by(keys).aggregate(
        advanced=visits.count(where=visits.advanced),
        lost=visits.count(where=visits.lost),
        days_median=visits.days.median(),
    )
    result: dict[Any, dict[str, Any]] = {}
    for row in workspace.store.rows(grouped):
        advanced, lost = int(row["advanced"]), int(row["lost"])
        key = row["seller"] if period is None else (row["seller"], row["period"])
        result[key] = {
            "advanced": advanced,
            "lost": lost,
            "conversion": advanced / (advanced + lost) if advanced + lost else None,
            "days_median": row["days_median"],
        }
    return result


def activity_inputs(
    workspace: Workspace, *, until: dt.date, period: PeriodKind
) -> dict[tuple[str, str], dict[str, int]]:
    """Return activity counts by type per (seller, period id) up to ``until``."""
    from revarch.metrics.activity import TYPES

    zone = workspace.settings.company.timezone
    start_month = workspace.settings.company.fiscal_year_start_month
    activities = workspace.store.table("activities")
    activities = activities.filter(
        ~activities.is_deleted, activities.seller_id.notnull()
    )
    day = local_date(activities.occurred_at, zone)
    dated = activities.mutate(
        period=period_key(day, period, start_month), kind=activities.type.lower()
    ).filter(day <= until)
    grouped = dated.group_by(["seller_id", "period", "kind"]).aggregate(n=dated.count())
    result: dict[tuple[str, str], dict[str, int]] = {}
    for row in workspace.store.rows(grouped):
        counts = result.setdefault(
            (row["seller_id"], row["period"]), dict.fromkeys(TYPES, 0)
        )
        kind = row["kind"] if row["kind"] in TYPES else "other"
        counts[kind] += int(row["n"])
    return result
