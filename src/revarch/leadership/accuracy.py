"""Forecast accuracy: each manager's forecast against their team's bookings.

For a manager and a period, the forecast is the manager's latest submission
of the measured category (``forecast.category``, default ``commit``) made
before the period closed (the end of its last day in the workspace
timezone). A submission at or after that moment is late: it is listed and
never used. The actual is the bookings of every seller below the manager in
the reporting lines, closed in the period.

As of a date, only submissions made by the end of that day (workspace
timezone) exist, so later ones are left out everywhere, weekly snapshots
included. A forecast converts to the base currency at the rate in effect on
its period's first day. A forecast without such a rate leaves its own row
unscored (status ``unconverted``) and the other rows are still scored.

- error = forecast - actual; bias = error / actual (positive: over-forecast)
- accuracy = 1 - |error| / actual; within tolerance when |error| / actual is
  at most ``thresholds.forecast_tolerance``
- actual 0: only the absolute error is reported
- MAPE per manager: the mean of |error| / actual over the closed periods
  with a forecast and an actual above 0.

Each period also has its weekly snapshots: the forecast in force at the end
of every ISO week of the period, with its error against the final actual.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import zoneinfo
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis

from revarch.leadership.outcomes import seller_bookings
from revarch.leadership.people import People
from revarch.money import convert_to_base
from revarch.timeframe import (
    Period,
    Window,
    parse_period,
    period_of,
    resolve_as_of,
)

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

ROUND = 6


@dataclass
class ForecastAccuracy:
    """Forecast against actual per manager and period, and per manager."""

    category: str
    tolerance: float
    rows: list[dict[str, Any]]
    managers: list[dict[str, Any]]
    window: Window
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "tolerance": self.tolerance,
            "rows": self.rows,
            "managers": self.managers,
            "window": self.window.to_dict(),
            "notes": self.notes,
        }


def day_end_instant(day: dt.date, timezone: str) -> dt.datetime:
    """Return the UTC instant (naive) when ``day`` ends in ``timezone``."""
    after = day + dt.timedelta(days=1)
    local = dt.datetime.combine(after, dt.time(), tzinfo=zoneinfo.ZoneInfo(timezone))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def period_end_instant(period: Period, timezone: str) -> dt.datetime:
    """Return the UTC instant (naive) when the period's last day ends."""
    return day_end_instant(period.end, timezone)


def period_close(workspace: Workspace, period_id: str) -> dt.datetime:
    """Return the instant a stored period id closes (UTC, naive)."""
    start_month = workspace.settings.company.fiscal_year_start_month
    period = parse_period(period_id, start_month, flag="forecasts.period")
    return period_end_instant(period, workspace.settings.company.timezone)


def rate_starts(workspace: Workspace) -> dict[str, dt.date]:
    """Return the date of the earliest live ``fx_rates`` rate per currency code."""
    rates = workspace.store.table("fx_rates")
    rates = rates.filter(~rates.is_deleted)
    code = rates.currency.strip().upper()
    first = rates.group_by(code=code).aggregate(start=rates.date.min())
    return {row["code"]: row["start"] for row in workspace.store.rows(first)}


def currency_code(text: str | None, base: str) -> str:
    """Return a stored currency as an upper-case code; none means ``base``."""
    code = (text or "").strip().upper()
    return code or base


def conversion_problem(
    code: str, day: dt.date, base: str, starts: dict[str, dt.date]
) -> str | None:
    """Return why an amount in ``code`` cannot convert on ``day``, else None."""
    if code == base:
        return None
    start = starts.get(code)
    if start is None:
        return f"the fx_rates table has no rate for {code}"
    if start > day:
        return (
            f"the earliest fx_rates rate for {code} is dated {start.isoformat()}, "
            f"after {day.isoformat()}"
        )
    return None


def _base_amounts(
    workspace: Workspace, rows: list[dict[str, Any]], periods: dict[str, Period]
) -> list[float | None]:
    """Convert each forecast to the base currency at its period's first day.

    A forecast whose currency has no rate in effect on that day gets None
    and a ``problem`` saying why, so it cannot stop the others.
    """
    base = workspace.settings.company.currency
    starts = rate_starts(workspace)
    data = []
    for index, row in enumerate(rows):
        fx_date = periods[row["period"]].start
        code = currency_code(row["currency"], base)
        reason = conversion_problem(code, fx_date, base, starts)
        row["problem"] = None
        if reason is not None:
            row["problem"] = (
                f"the forecast of {row['amount']:,.2f} {code} submitted "
                f"{row['submitted_at'].isoformat(sep=' ')} UTC cannot be converted "
                f"to {base} on {fx_date.isoformat()}, the period's first day: {reason}"
            )
        else:
            data.append(
                {
                    "_n": index,
                    "amount": row["amount"],
                    "currency": code,
                    "fx_date": fx_date,
                }
            )
    found: dict[int, float] = {}
    if data:
        schema = {
            "_n": "int64",
            "amount": "float64",
            "currency": "string",
            "fx_date": "date",
        }
        table = ibis.memtable(data, schema=schema)
        converted = convert_to_base(workspace, table, amounts=["amount"])
        selected = converted.select("_n", "amount_base")
        found = {
            r["_n"]: float(r["amount_base"]) for r in workspace.store.rows(selected)
        }
    return [found.get(index) for index in range(len(rows))]


def _grid(
    periods_used: set[str], as_of: dt.date, start_month: int
) -> dict[str, Period]:
    """Return every period from the earliest forecast one to the as-of date's.

    Each kind of period present (quarter, month, year...) is filled in
    separately, so a period without any forecast still appears.
    """
    parsed = [parse_period(p, start_month) for p in periods_used]
    grid: dict[str, Period] = {}
    for kind in {p.kind for p in parsed}:
        of_kind = [p for p in parsed if p.kind == kind]
        first = min(p.start for p in of_kind)
        last = max(max(p.end for p in of_kind), as_of)
        day = first
        while day <= last:
            period = period_of(day, kind, start_month)
            if period.start <= as_of or period.id in periods_used:
                grid[period.id] = period
            day = period.end + dt.timedelta(days=1)
    return grid


def _weekly(
    submissions: list[dict[str, Any]],
    period: Period,
    as_of: dt.date,
    timezone: str,
) -> list[dict[str, Any]]:
    """Return the forecast in force at the end of each ISO week of the period."""
    weeks = []
    day = period.start
    close = period_end_instant(period, timezone)
    while day <= min(period.end, as_of):
        week = period_of(day, "week")
        last_day = min(week.end, period.end)
        cutoff = min(
            period_end_instant(Period("", "week", day, last_day), timezone), close
        )
        in_force = [s for s in submissions if s["submitted_at"] < cutoff]
        latest = max(in_force, key=lambda s: s["submitted_at"]) if in_force else None
        weeks.append(
            {
                "week": week.id,
                "forecast": latest["amount_base"] if latest else None,
                "submitted_at": latest["submitted_at"] if latest else None,
                "problem": latest["problem"] if latest else None,
            }
        )
        day = week.end + dt.timedelta(days=1)
    return weeks


def score(forecast: float, actual: float, tolerance: float) -> dict[str, Any]:
    """Return error, absolute error, bias, accuracy and the tolerance check.

    With an actual of 0 only the errors are defined.
    """
    error = forecast - actual
    result: dict[str, Any] = {
        "error": round(error, 2),
        "abs_error": round(abs(error), 2),
        "bias": None,
        "accuracy": None,
        "within_tolerance": None,
    }
    if actual != 0:
        result["bias"] = round(error / actual, ROUND)
        result["accuracy"] = round(1 - abs(error) / actual, ROUND)
        result["within_tolerance"] = abs(error) / actual <= tolerance + 1e-12
    return result


def _status(used: dict[str, Any] | None, late: int, closed: bool) -> str:
    if not closed:
        return "open"
    if used is not None:
        return "unconverted" if used["amount_base"] is None else "scored"
    return "late" if late else "missing"


def _row(
    manager: str,
    period: Period,
    submissions: list[dict[str, Any]],
    actual: float,
    context: dict[str, Any],
) -> dict[str, Any]:
    """Build one manager-period row with its weekly snapshots."""
    zone: str = context["timezone"]
    as_of: dt.date = context["as_of"]
    close = period_end_instant(period, zone)
    on_time = [s for s in submissions if s["submitted_at"] < close]
    late = [s for s in submissions if s["submitted_at"] >= close]
    used = max(on_time, key=lambda s: s["submitted_at"]) if on_time else None
    value = used["amount_base"] if used else None
    closed = period.end <= as_of
    row: dict[str, Any] = {
        "manager": manager,
        "manager_name": context["people"].name(manager),
        "period": period.id,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "status": _status(used, len(late), closed),
        "forecast": round(value, 2) if value is not None else None,
        "submitted_at": used["submitted_at"] if used else None,
        "submissions": len(on_time),
        "late_submissions": len(late),
        "late_submitted_at": [s["submitted_at"] for s in late],
        "team_sellers": context["team_size"],
        "actual": round(actual, 2),
        "problem": used["problem"] if used else None,
    }
    scored = score(value, actual, context["tolerance"]) if value is not None else {}
    row.update({k: scored.get(k) if closed else None for k in _SCORE_KEYS})
    weekly = _weekly(on_time, period, as_of, zone)
    for week in weekly:
        value = week["forecast"]
        measured = (
            score(value, actual, context["tolerance"]) if value is not None else {}
        )
        week.update({k: measured.get(k) if closed else None for k in _SCORE_KEYS})
    row["snapshots"] = weekly
    return row


_SCORE_KEYS = ("error", "abs_error", "bias", "accuracy", "within_tolerance")


def _manager_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Summarize each manager's periods: MAPE, mean bias, share within tolerance."""
    by_manager: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_manager.setdefault(row["manager"], []).append(row)
    summary = []
    for manager, items in by_manager.items():
        scored = [r for r in items if r["status"] == "scored"]
        rated = [r for r in scored if r["accuracy"] is not None]
        within = [r for r in rated if r["within_tolerance"]]
        ape = [r["abs_error"] / r["actual"] for r in rated]
        summary.append(
            {
                "manager": manager,
                "manager_name": items[0]["manager_name"],
                "periods": len(items),
                "scored": len(scored),
                "within_tolerance": len(within),
                "within_share": round(len(within) / len(rated), ROUND)
                if rated
                else None,
                "mape": round(statistics.fmean(ape), ROUND) if ape else None,
                "bias_mean": round(statistics.fmean(r["bias"] for r in rated), ROUND)
                if rated
                else None,
                "actual_zero": len(scored) - len(rated),
                "missing": sum(1 for r in items if r["status"] == "missing"),
                "late": sum(1 for r in items if r["status"] == "late"),
                "open": sum(1 for r in items if r["status"] == "open"),
                "unconverted": sum(1 for r in items if r["status"] == "unconverted"),
            }
        )
    summary.sort(key=lambda s: (s["manager_name"] or "", s["manager"]))
    return summary


def _forecast_rows(workspace: Workspace, category: str) -> list[dict[str, Any]]:
    table = workspace.store.table("forecasts")
    table = table.filter(table.category == category)
    return workspace.store.rows(
        table.order_by(["manager_id", "period", "submitted_at"])
    )


def compute_forecast_accuracy(
    workspace: Workspace,
    *,
    as_of: str | dt.date | None = None,
    manager: str | None = None,
    period: str | None = None,
    category: str | None = None,
) -> ForecastAccuracy:
    """Score every manager's forecast per period against their team's bookings.

    Only submissions made by the end of the as-of date (workspace timezone)
    count. Managers are everyone who submitted a forecast and everyone a
    seller reports to. Periods run from the earliest forecast period to the
    as-of date's, so a period without a submission is reported as
    ``missing``.
    """
    settings = workspace.settings
    start_month = settings.company.fiscal_year_start_month
    as_of_date = resolve_as_of(workspace, as_of)
    chosen = (category or settings.forecast.category).strip().lower()
    tolerance = settings.thresholds.forecast_tolerance
    window = Window("snapshot", None, None, as_of_date)
    cutoff = day_end_instant(as_of_date, settings.company.timezone)
    stored = _forecast_rows(workspace, chosen)
    submissions = [s for s in stored if s["submitted_at"] < cutoff]
    later = _later_note(
        len(stored) - len(submissions), as_of_date, settings.company.timezone
    )
    if not submissions:
        note = (
            f"no {chosen} forecasts are recorded: submit them with `revarch "
            "forecast submit` or `revarch import forecasts`"
        )
        return ForecastAccuracy(chosen, tolerance, [], [], window, [note, *later])
    people = People.read(workspace)
    grid = _grid({s["period"] for s in submissions}, as_of_date, start_month)
    for row, base in zip(
        submissions, _base_amounts(workspace, submissions, grid), strict=True
    ):
        row["amount_base"] = base
    managers = sorted({s["manager_id"] for s in submissions} | set(people.managers()))
    if manager is not None:
        managers = [people.find(manager, flag="--manager").id]
    periods = list(grid.values())
    if period is not None:
        wanted = parse_period(period, start_month)
        periods = [wanted]
    rows = _rows(workspace, people, managers, periods, submissions, as_of_date)
    notes = [*_notes(rows, people), *later]
    log.info("scored %d manager-periods of %s forecasts", len(rows), chosen)
    return ForecastAccuracy(
        chosen, tolerance, rows, _manager_summary(rows), window, notes
    )


def _rows(
    workspace: Workspace,
    people: People,
    managers: list[str],
    periods: list[Period],
    submissions: list[dict[str, Any]],
    as_of: dt.date,
) -> list[dict[str, Any]]:
    settings = workspace.settings
    rows = []
    for period in sorted(periods, key=lambda p: (p.start, p.end)):
        bookings = seller_bookings(workspace, period.start, min(period.end, as_of))
        for manager in managers:
            team = people.team_of(manager)
            actual = sum(bookings.get(seller, 0.0) for seller in team)
            mine = [
                s
                for s in submissions
                if s["manager_id"] == manager and s["period"] == period.id
            ]
            context = {
                "timezone": settings.company.timezone,
                "as_of": as_of,
                "people": people,
                "team_size": len(team),
                "tolerance": settings.thresholds.forecast_tolerance,
            }
            rows.append(_row(manager, period, mine, actual, context))
    rows.sort(key=lambda r: (r["manager_name"] or "", r["manager"], r["period_start"]))
    return rows


def _later_note(count: int, as_of: dt.date, timezone: str) -> list[str]:
    """Return the note on snapshots submitted after the as-of date, if any."""
    if not count:
        return []
    counted = "1 snapshot was" if count == 1 else f"{count} snapshots were"
    return [
        f"{counted} submitted after the as-of date (the end of {as_of.isoformat()} "
        f"in {timezone}) and left out; pass a later --as-of to count them"
    ]


def _notes(rows: list[dict[str, Any]], people: People) -> list[str]:
    notes = []
    unconverted = [r for r in rows if r["problem"] is not None]
    for row in unconverted:
        notes.append(
            f"{row['manager_name']} {row['period']}: {row['problem']}. That "
            "forecast is left out; import fx rates for its currency (an "
            "fx_rates.csv through `revarch import csv`) or submit it again in "
            "the base currency"
        )
    empty = sorted({r["manager"] for r in rows if r["team_sellers"] == 0})
    if empty:
        names = ", ".join(str(people.name(m)) for m in empty)
        notes.append(
            f"no seller reports to {names} in the sellers table: their actual is 0"
        )
    zero = [r for r in rows if r["status"] == "scored" and r["accuracy"] is None]
    if zero:
        notes.append(
            f"{len(zero)} scored periods had no bookings (actual 0): only the "
            "absolute error is reported for them"
        )
    notes.append(
        "teams follow the current reporting lines of the sellers table, for "
        "every period"
    )
    return notes
