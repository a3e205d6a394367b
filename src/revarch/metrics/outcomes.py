"""Outcome metrics: win rates, bookings, cycle days and sales velocity.

Snapshot keys (``won``, ``lost``, ``win_rate``, ``win_rate_value``,
``bookings``, ``won_amount_mean``, cycle days) count opportunities closed in
the window. Cohort keys (``win_rate_cohort``, ``win_rate_value_cohort``)
count opportunities created in the window, with the outcomes known on the
as-of date. ``open`` counts opportunities open at the end of the window.
Time groupings key snapshot rows by close period and cohort and open rows by
creation period. Amounts are in the base currency; rates are fractions.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from revarch.errors import InputError
from revarch.metrics.groups import GROUPINGS, Grouping, parse_by
from revarch.metrics.opportunities import outcome_rows
from revarch.timeframe import Window, make_window, period_key

if TYPE_CHECKING:
    import pandas as pd

    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

MEASURES = (
    "won",
    "lost",
    "open",
    "win_rate",
    "win_rate_value",
    "win_rate_cohort",
    "win_rate_value_cohort",
    "bookings",
    "won_amount_mean",
    "cycle_days_median",
    "cycle_days_mean",
    "sales_velocity",
    "open_amount",
    "sellers",
    "bookings_per_seller",
)

SNAPSHOT = "snapshot"
COHORT = "cohort"
OPEN = "open"


@dataclass
class MetricsResult:
    """Outcome metrics per group, their totals, the window and notes."""

    by: list[str]
    keys: list[str]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    window: Window
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "rows": self.rows,
            "totals": self.totals,
            "window": self.window.to_dict(),
            "notes": self.notes,
        }

    @property
    def table(self) -> pd.DataFrame:
        """Return the rows as a DataFrame: key columns, then every measure."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=[*self.keys, *MEASURES])


# -- building the facts ----------------------------------------------------------


def _views(rows: ir.Table, window: Window) -> dict[str, ir.BooleanValue]:
    """Return per view whether a row belongs to it (null counts as no)."""
    end = ibis.literal(window.end)
    as_of = ibis.literal(window.as_of)
    closed = rows.status.isin(["won", "lost"])
    snapshot = closed & window.includes(rows.close_date)
    cohort = window.includes(rows.created_date) & (
        ~closed | rows.close_date.isnull() | (rows.close_date <= as_of)
    )
    open_then = (rows.created_date.isnull() | (rows.created_date <= end)) & (
        (rows.status == "open") | (closed & (rows.close_date > end))
    )
    return {SNAPSHOT: snapshot, COHORT: cohort, OPEN: open_then}


def _measures(rows: ir.Table) -> dict[str, ir.Value]:
    """Return the columns the aggregates read, under their fact names."""
    return {
        "_status": rows.status,
        "_created": rows.created_date,
        "_amount": rows.amount_base,
        "_last_amount": rows.last_amount_base,
        "_cycle_days": rows.cycle_days,
        "_negative_cycle": rows.negative_cycle.fill_null(False),
        "_seller": rows.seller,
    }


def _part(
    rows: ir.Table,
    groupings: Sequence[Grouping],
    *,
    part: str,
    period_date: str,
    start_month: int,
) -> ir.Table:
    """Select the key columns and measures of one view of the opportunities."""
    keys: dict[str, ir.Value] = {}
    for grouping in groupings:
        if grouping.period is not None:
            date = rows[period_date]
            keys[grouping.keys[0]] = period_key(date, grouping.period, start_month)
        else:
            keys.update({key: rows[key] for key in grouping.keys})
    flags = {
        f"_{name}": ibis.literal(name == part) for name in (SNAPSHOT, COHORT, OPEN)
    }
    return rows.select(**keys, **flags, **_measures(rows))


def _facts(
    rows: ir.Table, groupings: Sequence[Grouping], window: Window, start_month: int
) -> ir.Table:
    """Return one row per opportunity and view, with the keys and view flags.

    Time groupings key each view by its own date, so each view is a part of
    a union. Other groupings key every view alike, so one row per
    opportunity carries a flag per view and the query scans the rows once.
    """
    views = _views(rows, window)
    if all(grouping.period is None for grouping in groupings):
        keys = [rows[key] for grouping in groupings for key in grouping.keys]
        flags = {f"_{name}": flag for name, flag in views.items()}
        return rows.select(*keys, **flags, **_measures(rows))
    dates = {SNAPSHOT: "close_date", COHORT: "created_date", OPEN: "created_date"}
    parts = [
        _part(
            rows.filter(views[name]),
            groupings,
            part=name,
            period_date=dates[name],
            start_month=start_month,
        )
        for name in (SNAPSHOT, COHORT, OPEN)
    ]
    return ibis.union(*parts, distinct=False)


def _aggregates(facts: ir.Table) -> dict[str, ir.Scalar]:
    """Return the raw aggregates every row and the totals carry."""
    snapshot = facts[f"_{SNAPSHOT}"]
    cohort = facts[f"_{COHORT}"]
    is_open = facts[f"_{OPEN}"]
    won, lost = facts._status == "won", facts._status == "lost"
    no_value = facts._last_amount.isnull() | (facts._last_amount <= 0)
    return {
        "won": facts.count(where=snapshot & won),
        "lost": facts.count(where=snapshot & lost),
        "open": facts.count(where=is_open),
        "open_amount": facts._amount.sum(where=is_open),
        "bookings": facts._amount.sum(where=snapshot & won),
        "won_amount_mean": facts._amount.mean(where=snapshot & won),
        "lost_value": facts._last_amount.sum(where=snapshot & lost),
        "won_without_amount": facts.count(
            where=snapshot & won & facts._amount.isnull()
        ),
        "lost_without_amount": facts.count(where=snapshot & lost & no_value),
        "won_cohort": facts.count(where=cohort & won),
        "lost_cohort": facts.count(where=cohort & lost),
        "won_value_cohort": facts._amount.sum(where=cohort & won),
        "lost_value_cohort": facts._last_amount.sum(where=cohort & lost),
        "won_without_amount_cohort": facts.count(
            where=cohort & won & facts._amount.isnull()
        ),
        "lost_without_amount_cohort": facts.count(where=cohort & lost & no_value),
        # quantile(0.5), not median(): Ibis 12 compiles a filtered median for
        # Spark with the filter around the 0.5 too, which Spark rejects.
        "cycle_days_median": facts._cycle_days.quantile(0.5, where=snapshot & won),
        "cycle_days_mean": facts._cycle_days.mean(where=snapshot & won),
        "negative_cycles": facts.count(where=snapshot & won & facts._negative_cycle),
        "without_created": facts.count(where=snapshot & facts._created.isnull()),
        "sellers": facts._seller.nunique(where=snapshot | is_open),
    }


# -- finishing rows --------------------------------------------------------------


def _ratio(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole


def _value_rate(
    won_value: float | None, lost_value: float | None, missing: int
) -> float | None:
    if missing:
        return None
    won_value = won_value or 0.0
    return _ratio(won_value, won_value + (lost_value or 0.0))


def _sum(total: float | None, count: int) -> float | None:
    """Return a sum of amounts: 0 over no rows, None when every amount is missing."""
    if total is None:
        return 0.0 if count == 0 else None
    return float(total)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _velocity(raw: dict[str, Any], win_rate: float | None) -> float | None:
    mean_amount = raw["won_amount_mean"]
    cycle = raw["cycle_days_mean"]
    if win_rate is None or mean_amount is None or not cycle or cycle <= 0:
        return None
    return float(raw["open"] * win_rate * mean_amount / cycle)


def finish_row(raw: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """Turn raw aggregates into the published keys, rates and rounding."""
    won, lost = int(raw["won"]), int(raw["lost"])
    win_rate = _ratio(won, won + lost)
    bookings = _sum(raw["bookings"], won)
    value_missing = raw["won_without_amount"] + raw["lost_without_amount"]
    cohort_missing = (
        raw["won_without_amount_cohort"] + raw["lost_without_amount_cohort"]
    )
    won_cohort, lost_cohort = int(raw["won_cohort"]), int(raw["lost_cohort"])
    sellers = int(raw["sellers"])
    row = {key: raw[key] for key in keys}
    row.update(
        won=won,
        lost=lost,
        open=int(raw["open"]),
        win_rate=_round(win_rate, 6),
        win_rate_value=_round(
            _value_rate(bookings, raw["lost_value"], value_missing), 6
        ),
        win_rate_cohort=_round(_ratio(won_cohort, won_cohort + lost_cohort), 6),
        win_rate_value_cohort=_round(
            _value_rate(
                raw["won_value_cohort"], raw["lost_value_cohort"], cohort_missing
            ),
            6,
        ),
        bookings=_round(bookings, 2),
        won_amount_mean=_round(raw["won_amount_mean"], 2),
        cycle_days_median=_round(raw["cycle_days_median"], 2),
        cycle_days_mean=_round(raw["cycle_days_mean"], 2),
        sales_velocity=_round(_velocity(raw, win_rate), 2),
        open_amount=_round(_sum(raw["open_amount"], raw["open"]), 2),
        sellers=sellers,
        bookings_per_seller=_round(_ratio(bookings, sellers), 2),
    )
    return row


def _notes(totals: dict[str, Any]) -> list[str]:
    """Explain what the totals left out or could not compute."""
    notes = []
    lost_missing = totals["lost_without_amount"] + totals["lost_without_amount_cohort"]
    if lost_missing:
        notes.append(
            "win_rate_value and win_rate_value_cohort are null where a lost "
            "opportunity has no amount or an amount of 0 (some CRMs record lost "
            f"value as 0): {totals['lost_without_amount']} closed in the window "
            f"and {totals['lost_without_amount_cohort']} created in it have none"
        )
    if totals["won_without_amount"]:
        notes.append(
            f"{totals['won_without_amount']} won opportunities have no amount: "
            "bookings and won_amount_mean leave them out, and win_rate_value is "
            "null where they fall"
        )
    if totals["negative_cycles"]:
        notes.append(
            f"{totals['negative_cycles']} won opportunities close before they "
            "were created (a data error): cycle days leave them out"
        )
    if totals["without_created"]:
        notes.append(
            f"{totals['without_created']} opportunities closed in the window "
            "have no creation date: they count in won, lost and bookings but "
            "not in cohort keys or cycle days"
        )
    return notes


# -- the entry point ---------------------------------------------------------------


def _check_available(
    workspace: Workspace, rows: ir.Table, groupings: Sequence[Grouping]
) -> None:
    """Raise ``InputError`` for a grouping no opportunity has a value for."""
    needed = [g for g in groupings if g.needs is not None]
    if not needed:
        return
    optional = [g for g in GROUPINGS.values() if g.needs is not None]
    counts = workspace.store.rows(
        rows.aggregate(**{g.name: rows[g.needs].count() for g in optional})
    )[0]
    for grouping in needed:
        if counts[grouping.name]:
            continue
        usable = [g.name for g in GROUPINGS.values() if not g.needs or counts[g.name]]
        raise InputError(
            f"invalid --by {grouping.name}: no opportunity in this workspace "
            f"has a {grouping.name}; the data supports {', '.join(usable)}"
        )


def _query(
    workspace: Workspace,
    rows: ir.Table,
    groupings: Sequence[Grouping],
    window: Window,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Return the raw aggregates per group (sorted) and in total."""
    start_month = workspace.settings.company.fiscal_year_start_month
    facts = _facts(rows, groupings, window, start_month)
    aggregates = _aggregates(facts)
    keys = [key for grouping in groupings for key in grouping.keys]
    sort_keys = [key for grouping in groupings for key in grouping.sort_keys]
    grouped: list[dict[str, Any]] = []
    if keys:
        table = facts.group_by(keys).aggregate(**aggregates).order_by(sort_keys)
        grouped = workspace.store.rows(table)
    totals = workspace.store.rows(facts.aggregate(**aggregates))[0]
    return grouped, totals


def _normalize_by(by: str | Sequence[str] | None) -> list[Grouping]:
    if by is None or isinstance(by, str):
        return parse_by(by)
    return parse_by(",".join(by))


def compute_metrics(
    workspace: Workspace,
    *,
    by: str | Sequence[str] | None = "seller",
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    as_of: str | dt.date | None = None,
    period: str | None = None,
) -> MetricsResult:
    """Compute outcome metrics per group and in total over a window.

    ``by`` is a ``--by`` value (``"seller,quarter"``) or a list of names;
    ``period`` (``"2025-Q2"``) sets both ``since`` and ``until``. Raises
    ``InputError`` for a bad option or a currency without a rate.
    """
    groupings = _normalize_by(by)
    window = make_window(
        workspace,
        view="snapshot",
        since=since,
        until=until,
        as_of=as_of,
        period=period,
    )
    rows = outcome_rows(workspace)
    _check_available(workspace, rows, groupings)
    grouped, totals = _query(workspace, rows, groupings, window)
    keys = [key for grouping in groupings for key in grouping.keys]
    log.info("computed outcome metrics by %s over %s", keys, window.to_dict())
    return MetricsResult(
        by=[grouping.name for grouping in groupings],
        keys=keys,
        rows=[finish_row(raw, keys) for raw in grouped],
        totals=finish_row(totals, []),
        window=window,
        notes=_notes(totals),
    )
