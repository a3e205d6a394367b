"""Bookings per seller, from the same opportunity rows as ``revarch metrics``.

Bookings are won amounts in the base currency, dated by close date, so a
seller's bookings here always match the ``bookings`` of ``revarch metrics``
over the same dates.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from revarch.metrics.opportunities import outcome_rows
from revarch.timeframe import PeriodKind, period_key

if TYPE_CHECKING:
    from revarch.workspace import Workspace


def seller_bookings(
    workspace: Workspace, since: dt.date, until: dt.date
) -> dict[str, float]:
    """Return won amounts per seller closed on days ``since``-``until``."""
    rows = outcome_rows(workspace)
    won = rows.filter(
        rows.status == "won",
        rows.seller.notnull(),
        rows.close_date.between(since, until),
    )
    totals = won.group_by("seller").aggregate(
        bookings=won.amount_base.sum().fill_null(0.0)
    )
    return {
        row["seller"]: float(row["bookings"]) for row in workspace.store.rows(totals)
    }


def seller_period_bookings(
    workspace: Workspace, kind: PeriodKind, until: dt.date
) -> dict[tuple[str, str], float]:
    """Return won amounts per (seller, period id) closed on or before ``until``."""
    start_month = workspace.settings.company.fiscal_year_start_month
    rows = outcome_rows(workspace)
    won = rows.filter(
        rows.status == "won",
        rows.seller.notnull(),
        rows.close_date.notnull(),
        rows.close_date <= until,
    )
    won = won.mutate(period=period_key(won.close_date, kind, start_month))
    totals = won.group_by(["seller", "period"]).aggregate(
        bookings=won.amount_base.sum().fill_null(0.0)
    )
    return {
        (row["seller"], row["period"]): float(row["bookings"])
        for row in workspace.store.rows(totals)
    }
