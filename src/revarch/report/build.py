"""Build the weekly report's data: one dictionary that the HTML page and the JSON share.

Every number comes from the same analysis functions as the commands
(``revarch process ...``, ``revarch metrics``), called with the same dates,
so the page and the commands always agree.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from revarch import __version__
from revarch.comp.report import report_section_comp
from revarch.errors import InputError
from revarch.leadership.report import (
    report_section_forecast,
    report_section_inspection,
)
from revarch.metrics import compute_coverage, compute_metrics
from revarch.metrics.activity import count_activities
from revarch.metrics.pipeline import compute_pipeline
from revarch.process import (
    compute_funnel,
    compute_stalls,
    compute_trend,
    compute_velocity,
)
from revarch.quality import check_workspace
from revarch.report.sections import diagnosis_section, talent_section
from revarch.report.windows import ReportDates, choose_week, report_dates
from revarch.timeframe import resolve_as_of
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

SELLERS_SHOWN = 8
STALLS_SHOWN = 8
TREND_WEEKS = 12


def _dates(workspace: Workspace, week: str | None, as_of: str | None) -> ReportDates:
    as_of_date = resolve_as_of(workspace, as_of)
    settings = workspace.settings
    return report_dates(
        choose_week(week, as_of_date),
        as_of=as_of_date,
        trailing_months=settings.performance.trailing_months,
        start_month=settings.company.fiscal_year_start_month,
    )


def _window(since: dt.date, until: dt.date) -> dict[str, str]:
    return {"since": since.isoformat(), "until": until.isoformat()}


def _seller_row(metrics: Any, seller: str | None) -> dict[str, Any]:
    if seller is None:
        return dict(metrics.totals)
    for row in metrics.rows:
        if row["seller"] == seller:
            return dict(row)
    return {}


def _outcomes(
    workspace: Workspace,
    since: dt.date,
    until: dt.date,
    as_of: dt.date,
    seller: str | None,
) -> dict[str, Any]:
    metrics = compute_metrics(
        workspace, by="seller", since=since, until=until, as_of=as_of
    )
    row = _seller_row(metrics, seller)
    if seller is None:
        count = sum(1 for r in metrics.rows if r["won"] or r["lost"] or r["open"])
    else:
        count = 1
    bookings = row.get("bookings") or 0.0
    row["revenue_per_seller"] = bookings / count if count else None
    return row


def _quota_note(
    workspace: Workspace, dates: ReportDates, seller: str | None
) -> dict[str, Any] | None:
    try:
        coverage = compute_coverage(
            workspace, period=dates.quarter_id, as_of=dates.week_end
        )
    except InputError:
        return None
    if seller is None:
        return coverage.totals
    return next((r for r in coverage.rows if r.get("seller") == seller), None)


def _week_values(
    workspace: Workspace, dates: ReportDates, seller: str | None
) -> dict[str, Any]:
    as_of = dates.as_of
    week = _outcomes(workspace, dates.week_start, dates.week_end, as_of, seller)
    quarter = _outcomes(workspace, dates.quarter_start, dates.week_end, as_of, seller)
    trailing = _outcomes(workspace, dates.trailing_start, dates.week_end, as_of, seller)
    pipeline = compute_pipeline(
        workspace,
        since=dates.week_start,
        until=dates.week_end,
        seller=seller,
    )
    return {
        "bookings_week": week.get("bookings") or 0.0,
        "bookings_quarter": quarter.get("bookings") or 0.0,
        "new_pipeline": pipeline.created_amount,
        "win_rate": trailing.get("win_rate"),
        "cycle_days_median": trailing.get("cycle_days_median"),
        "sales_velocity": trailing.get("sales_velocity"),
        "revenue_per_seller": trailing.get("revenue_per_seller"),
        "open_pipeline": pipeline.open_amount,
        "created": pipeline.created,
        "open": pipeline.open,
    }


TILES = (
    ("bookings_week", "Bookings this week", "currency"),
    ("bookings_quarter", "Bookings quarter to date", "currency"),
    ("new_pipeline", "New pipeline created", "currency"),
    ("win_rate", "Win rate (trailing)", "rate"),
    ("cycle_days_median", "Median cycle days", "days"),
    ("sales_velocity", "Sales velocity", "currency_per_day"),
    ("revenue_per_seller", "Bookings per seller (trailing)", "currency"),
    ("open_pipeline", "Open pipeline", "currency"),
)


def _change(now: Any, before: Any) -> float | None:
    if now is None or before is None:
        return None
    return round(float(now) - float(before), 6)


def _headline(
    workspace: Workspace, dates: ReportDates, seller: str | None
) -> list[dict[str, Any]]:
    settings = workspace.settings
    now = _week_values(workspace, dates, seller)
    previous_dates = dates.previous(
        settings.performance.trailing_months, settings.company.fiscal_year_start_month
    )
    before = _week_values(workspace, previous_dates, seller)
    quota = _quota_note(workspace, dates, seller)
    notes: dict[str, str] = {
        "new_pipeline": f"{now['created']} opportunities",
        "open_pipeline": f"{now['open']} opportunities",
    }
    if quota and quota.get("attainment") is not None:
        notes["bookings_quarter"] = f"{quota['attainment'] * 100:.0f}% of quota"
    if quota and quota.get("pipeline_coverage") is not None:
        notes["open_pipeline"] += f" · coverage {quota['pipeline_coverage']:.1f}x"
    elif quota is None:
        notes["bookings_quarter"] = "no quotas set for this quarter"
    return [
        {
            "key": key,
            "label": label,
            "unit": unit,
            "value": now[key],
            "previous": before[key],
            "change": _change(now[key], before[key]),
            "lower_is_better": key == "cycle_days_median",
            "note": notes.get(key),
        }
        for key, label, unit in TILES
    ]


NO_HISTORY = (
    "No stage history in this window: the funnel needs history rows "
    "(OpportunityHistory, HubSpot deal stages or mapped stage-date columns)."
)


def _funnel(workspace: Workspace, dates: ReportDates) -> dict[str, Any]:
    funnel = compute_funnel(
        workspace, since=dates.trailing_start, until=dates.week_end, as_of=dates.as_of
    )
    stalls = compute_stalls(
        workspace, since=dates.trailing_start, until=dates.week_end, as_of=dates.as_of
    )
    data = funnel.to_dict()
    reached = sum(stage["reached"] for stage in data["stages"])
    data["empty_reason"] = None if reached else NO_HISTORY
    ranked = [s for s in stalls.stages if s.rank_conversion == 1]
    data["stall_stage"] = ranked[0].label if ranked and reached else None
    labels = {stage["stage"]: stage["label"] for stage in data["stages"]}
    for stage in data["stages"]:
        stage["label"] = labels[stage["stage"]]
    return {"funnel": data, "stalls": stalls}


def _velocity(workspace: Workspace, dates: ReportDates) -> dict[str, Any]:
    velocity = compute_velocity(
        workspace,
        since=dates.trailing_start,
        until=dates.week_end,
        as_of=dates.as_of,
        detail=False,
    )
    data = velocity.to_dict()
    visits = sum(stage["visits"] for stage in data["stages"])
    data["empty_reason"] = None if visits else NO_HISTORY
    return data


def _stalls(
    data: dict[str, Any], seller: str | None, labels: dict[str, str]
) -> dict[str, Any]:
    listed = [
        o for o in data["opportunities"] if seller is None or o["seller"] == seller
    ]
    for opportunity in listed:
        opportunity["stage_label"] = labels.get(
            opportunity["stage"], opportunity["stage"]
        )
        opportunity["seller_name"] = opportunity["seller_name"] or opportunity["seller"]
        days, expected = opportunity["days_in_stage"], opportunity["expected_days"]
        over = days - expected if days is not None and expected is not None else None
        opportunity["days_over"] = round(over, 1) if over is not None else None
    top = sorted(listed, key=lambda o: (-(o["amount"] or 0.0), o["id"]))
    unknown = [
        o for o in data["age_unknown"] if seller is None or o["seller"] == seller
    ]
    return {
        "opportunities": top[:STALLS_SHOWN],
        "total": len(listed),
        "age_unknown": len(unknown),
        "stages": data["stages"],
        "empty_reason": None,
    }


def _sellers(
    workspace: Workspace, dates: ReportDates, stalls: dict[str, Any], seller: str | None
) -> dict[str, Any]:
    metrics = compute_metrics(
        workspace,
        by="seller",
        since=dates.trailing_start,
        until=dates.week_end,
        as_of=dates.as_of,
    )
    activity = count_activities(workspace, since=dates.week_start, until=dates.week_end)
    stalled: dict[str, int] = {}
    for opportunity in stalls["all"]:
        stalled[opportunity["seller"]] = stalled.get(opportunity["seller"], 0) + 1
    rows = []
    for row in metrics.rows:
        if seller is not None and row["seller"] != seller:
            continue
        counts = activity.get(row["seller"], {})
        rows.append(
            {
                "seller": row["seller"],
                "seller_name": row["seller_name"],
                "bookings": row["bookings"] or 0.0,
                "win_rate": row["win_rate"],
                "won": row["won"],
                "lost": row["lost"],
                "open": row["open"],
                "calls": counts.get("call", 0),
                "emails": counts.get("email", 0),
                "social": counts.get("social", 0),
                "meetings": counts.get("meeting", 0),
                "cycle_days_median": row["cycle_days_median"],
                "stalled": stalled.get(row["seller"], 0),
            }
        )
    rows.sort(key=lambda r: (-r["bookings"], r["seller_name"] or "", r["seller"] or ""))
    reason = None if rows else "No opportunities owned by sellers in this window."
    return {"rows": rows, "shown": SELLERS_SHOWN, "empty_reason": reason}


def _trend(
    workspace: Workspace, dates: ReportDates, labels: dict[str, str]
) -> dict[str, Any]:
    since = dates.week_start - dt.timedelta(weeks=TREND_WEEKS - 1)
    trend = compute_trend(
        workspace, since=since, until=dates.week_end, as_of=dates.as_of
    )
    data = trend.to_dict()
    points = [
        {**row, "stage": labels.get(row["stage"], row["stage"])}
        for row in data["weeks"]
        if row["conversion"] is not None
    ]
    reason = (
        None
        if points
        else "No opportunity entered a stage and resolved in the last 12 weeks."
    )
    return {
        "points": points,
        "without_history": data["without_history"],
        "window": data["window"],
        "empty_reason": reason,
    }


def _quality(workspace: Workspace) -> dict[str, Any]:
    findings = check_workspace(workspace)["findings"]
    shown = [f for f in findings if not f["kind"].startswith(("deleted", "merged"))]
    if not shown:
        summary = "revarch check found nothing to fix."
    else:
        parts = [f"{f['count']} {f['message'].split(' (')[0]}" for f in shown[:3]]
        more = f"; {len(shown) - 3} more in revarch check" if len(shown) > 3 else ""
        summary = "; ".join(parts) + more
    return {"findings": shown, "summary": summary}


def _seller_info(workspace: Workspace, seller: str | None) -> dict[str, Any] | None:
    """Return the seller's id and name, given an id or a name (any case)."""
    if seller is None:
        return None
    rows = compute_metrics(workspace, by="seller").rows
    requested = seller.strip().casefold()
    for key in ("seller", "seller_name"):
        found = [r for r in rows if str(r[key] or "").casefold() == requested]
        if len(found) == 1:
            row = found[0]
            return {"id": row["seller"], "name": row["seller_name"] or row["seller"]}
        if len(found) > 1:
            ids = ", ".join(str(r["seller"]) for r in found)
            raise InputError(
                f"invalid --seller {seller!r}: several sellers have that name "
                f"({ids}); pass the id"
            )
    known = ", ".join(sorted(str(r["seller_name"] or r["seller"]) for r in rows)[:10])
    raise InputError(
        f"unknown --seller {seller!r}: no opportunities belong to that id or "
        f"name; sellers include {known}"
    )


def build_report(
    workspace: Workspace,
    *,
    week: str | None = None,
    seller: str | None = None,
    as_of: str | None = None,
    generated_at: str | None = None,
) -> dict[str, Any]:
    """Build the week's report data; the HTML page and the JSON render it.

    ``generated_at`` fixes the one timestamp of the run, for byte-identical
    output; by default it is the current UTC time.
    """
    dates = _dates(workspace, week, as_of)
    settings = workspace.settings
    info = _seller_info(workspace, seller)
    seller = info["id"] if info is not None else None
    process = _funnel(workspace, dates)
    stalls_data = process["stalls"].to_dict()
    # _stalls adds display keys to these rows, which _sellers ignores.
    stalls_all = stalls_data["opportunities"]
    labels = {stage["stage"]: stage["label"] for stage in process["funnel"]["stages"]}
    stalls = _stalls(stalls_data, seller, labels)
    sellers = _sellers(workspace, dates, {"all": stalls_all}, seller)
    if generated_at is None:
        generated_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    log.info("built the report for %s (as of %s)", dates.week_id, dates.as_of)
    return _rounded(
        {
            "company": settings.company.name,
            "currency": settings.company.currency,
            "version": __version__,
            "generated_at": generated_at,
            "as_of": dates.as_of.isoformat(),
            "week": {
                "id": dates.week_id,
                "start": dates.week_start.isoformat(),
                "end": dates.week_end.isoformat(),
            },
            "seller": info,
            "windows": {
                "week": _window(dates.week_start, dates.week_end),
                "quarter": {
                    "id": dates.quarter_id,
                    **_window(dates.quarter_start, dates.week_end),
                },
                "trailing": _window(dates.trailing_start, dates.week_end),
                "known_on": min(dates.week_end, dates.as_of).isoformat(),
            },
            "headline": _headline(workspace, dates, seller),
            "funnel": process["funnel"],
            "velocity": _velocity(workspace, dates),
            "stalls": stalls,
            "sellers": sellers,
            "trend": _trend(workspace, dates, labels),
            "quality": _quality(workspace),
            "notes": _notes(process["funnel"], seller, dates)
            + _stale_note(workspace, dates),
            # Skills and maturity as known at the end of the week, like the
            # 1-on-1 and the leadership sections.
            "talent": talent_section(
                workspace,
                as_of=min(dates.week_end, dates.as_of),
                quarter_start=dates.quarter_start,
                seller=seller,
            ),
            "diagnosis": diagnosis_section(
                workspace, as_of=min(dates.week_end, dates.as_of)
            ),
            # Forecasts belong to managers, so a seller's page leaves them out.
            "forecast": (
                report_section_forecast(workspace, dates) if seller is None else None
            ),
            "inspection": report_section_inspection(workspace, dates, seller),
            "comp": report_section_comp(workspace, dates, seller),
            "extra_sections": ["leadership", "talent"],
        }
    )


def _rounded(value: Any) -> Any:
    """Round every float to 6 decimals, all through the report's data.

    The engine may add floats in a different order from run to run, which
    changes the last bits of a sum. Rounding makes the same inputs give
    byte-identical output.
    """
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def _stale_note(workspace: Workspace, dates: ReportDates) -> list[str]:
    """Return a note when no deal was created or closed in the window.

    The as-of date follows the latest event of any kind, so an export whose
    activities run past its opportunities puts the week after the last deal.
    """
    from revarch.metrics.opportunities import last_opportunity_day

    last = last_opportunity_day(workspace)
    if last is None or last >= dates.trailing_start:
        return []
    return [
        f"no opportunity was created or closed since {dates.trailing_start}: the "
        f"latest was on {last.isoformat()}, while activities or other records "
        "run later; pass --as-of or --week to look at the deals"
    ]


def _notes(funnel: dict[str, Any], seller: str | None, dates: ReportDates) -> list[str]:
    notes = []
    if dates.week_start > dates.as_of:
        notes.append(
            f"the week starts after the data's as-of date {dates.as_of.isoformat()}, "
            "so it has no data; pick an earlier --week"
        )
    elif dates.week_end > dates.as_of:
        notes.append(
            f"the week ends after the data's as-of date {dates.as_of.isoformat()}, "
            "so its figures cover only part of it"
        )
    if seller is not None:
        notes.append("funnel, days in stage and trend are the whole team's")
    if funnel["outside_process"]:
        notes.append(
            f"{funnel['outside_process']} opportunities in pipelines outside the "
            "sales process are left out of the funnel"
        )
    return notes
