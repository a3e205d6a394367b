"""Quota attainment and pipeline coverage for one period.

Quotas come from the ``quotas`` table (seller, period, amount). For each
seller with a quota in the period:

- bookings: won amounts closed in the period up to the as-of date;
- attainment = bookings / quota;
- open amount: opportunities open on the as-of date whose close date falls
  in the period;
- pipeline coverage = open amount / (quota - bookings), null once the quota
  is met.

Amounts are in the base currency. A quota in another currency converts at
the rate in effect on the period's first day.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.metrics.opportunities import outcome_rows
from revarch.money import convert_to_base
from revarch.timeframe import Period, Window, parse_period, resolve_as_of

if TYPE_CHECKING:
    import pandas as pd

    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

COLUMNS = (
    "seller",
    "seller_name",
    "quota",
    "bookings",
    "attainment",
    "open_amount",
    "pipeline_coverage",
)


@dataclass
class CoverageResult:
    """Quota, bookings, attainment and coverage per seller for one period."""

    period: Period
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    window: Window
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "rows": self.rows,
            "totals": self.totals,
            "window": self.window.to_dict(),
            "notes": self.notes,
        }

    @property
    def table(self) -> pd.DataFrame:
        """Return the rows as a DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(COLUMNS))


def _quotas(workspace: Workspace, period: Period) -> ir.Table:
    """Return seller_id and quota (base currency) for the period."""
    quotas = workspace.store.table("quotas")
    quotas = quotas.filter(
        ~quotas.is_deleted, quotas.period.strip().upper() == period.id
    )
    dated = quotas.mutate(fx_date=ibis.literal(period.start))
    converted = convert_to_base(workspace, dated, amounts=["amount"], label="seller_id")
    sellers = workspace.store.table("sellers")
    sellers = sellers.filter(~sellers.is_deleted).select(
        _seller_id=sellers.id, seller_name=sellers.name
    )
    named = converted.left_join(sellers, converted.seller_id == sellers._seller_id)
    return named.select("seller_id", "seller_name", quota=named.amount_base)


def _quota_periods(workspace: Workspace) -> list[str]:
    quotas = workspace.store.table("quotas")
    quotas = quotas.filter(~quotas.is_deleted)
    found = workspace.store.rows(quotas.select("period").distinct().order_by("period"))
    return [row["period"] for row in found]


def _seller_amounts(rows: ir.Table, window: Window, period: Period) -> ir.Table:
    """Return bookings in the window and open amount closing in the period."""
    as_of = ibis.literal(window.as_of)
    won = (rows.status == "won") & window.includes(rows.close_date)
    still_open = (rows.status == "open") | (
        rows.status.isin(["won", "lost"]) & (rows.close_date > as_of)
    )
    created = rows.created_date.isnull() | (rows.created_date <= as_of)
    closing = rows.close_date.between(period.start, period.end)
    return rows.group_by(_seller=rows.seller).aggregate(
        bookings=rows.amount_base.sum(where=won),
        open_amount=rows.amount_base.sum(where=still_open & created & closing),
    )


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    quota = float(row["quota"])
    bookings = float(row["bookings"] or 0.0)
    open_amount = float(row["open_amount"] or 0.0)
    remaining = quota - bookings
    return {
        "seller": row["seller_id"],
        "seller_name": row["seller_name"] or row["seller_id"],
        "quota": round(quota, 2),
        "bookings": round(bookings, 2),
        "attainment": round(bookings / quota, 6) if quota > 0 else None,
        "open_amount": round(open_amount, 2),
        "pipeline_coverage": (
            round(open_amount / remaining, 6) if remaining > 0 else None
        ),
    }


def compute_coverage(
    workspace: Workspace,
    *,
    period: str,
    as_of: str | dt.date | None = None,
) -> CoverageResult:
    """Compute quota attainment and pipeline coverage per seller for a period.

    Raises ``InputError`` for an invalid period or one without quotas.
    """
    start_month = workspace.settings.company.fiscal_year_start_month
    chosen = parse_period(period, start_month)
    window = Window(
        "snapshot", chosen.start, chosen.end, resolve_as_of(workspace, as_of)
    )
    known = _quota_periods(workspace)
    if chosen.id not in {p.strip().upper() for p in known}:
        listed = ", ".join(known[:12]) or "none"
        raise InputError(
            f"no quotas for --period {chosen.id} in the quotas table (periods "
            f"with quotas: {listed}); import a quotas.csv with that period id "
            "through `revarch import csv`"
        )
    quotas = _quotas(workspace, chosen)
    amounts = _seller_amounts(outcome_rows(workspace), window, chosen)
    joined = quotas.left_join(amounts, quotas.seller_id == amounts._seller)
    table = joined.select(
        "seller_id", "quota", "seller_name", "bookings", "open_amount"
    ).order_by("seller_id")
    rows = [_finish(row) for row in workspace.store.rows(table)]
    totals = _finish(
        {
            "seller_id": None,
            "seller_name": None,
            "quota": sum(row["quota"] for row in rows),
            "bookings": sum(row["bookings"] for row in rows),
            "open_amount": sum(row["open_amount"] for row in rows),
        }
    )
    for key in ("seller", "seller_name"):
        totals.pop(key)
    notes = []
    met = [row["seller"] for row in rows if row["pipeline_coverage"] is None]
    if met:
        notes.append(
            f"pipeline_coverage is null for {len(met)} sellers who met their "
            "quota (nothing remains to cover)"
        )
    return CoverageResult(chosen, rows, totals, window, notes)
