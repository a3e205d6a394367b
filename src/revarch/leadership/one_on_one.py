"""The weekly 30-minute 1-on-1: the same agenda for every seller, every week.

1. Metrics (10 minutes): the seller's activity of the week, stage advance
   rate, days in stage, cycle days, win rate and bookings, each beside the
   team median (every active seller).
2. The #1 competency gap (10 minutes): from the latest assessments, the
   lowest-tier skill below the team's 75th percentile with the largest
   shortfall, and one skill-building activity for it.
3. Opportunities to inspect (10 minutes): the seller's open opportunities
   above the inspection line, riskiest first.

Everything is taken as of the end of the week (or the as-of date, when that
comes first), so a past week shows what was known then.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from typing import TYPE_CHECKING, Any

from revarch.errors import InputError
from revarch.leadership.inputs import stage_inputs
from revarch.leadership.inspection import compute_inspection
from revarch.leadership.outcomes import seller_bookings
from revarch.leadership.people import People
from revarch.timeframe import Period, Window, parse_period, period_of, resolve_as_of

if TYPE_CHECKING:
    from revarch.workspace import Workspace

log = logging.getLogger(__name__)

DEALS_SHOWN = 5
# (key, label, unit, better): which direction is better for the seller.
METRICS = (
    ("calls", "Calls this week", "count", "higher"),
    ("emails", "Emails this week", "count", "higher"),
    ("social", "Social touches this week", "count", "higher"),
    ("meetings", "Meetings this week", "count", "higher"),
    ("conversion", "Stage advance rate (trailing)", "rate", "higher"),
    ("days_in_stage_median", "Median days in stage (trailing)", "days", "lower"),
    ("cycle_days_median", "Median cycle days (trailing)", "days", "lower"),
    ("win_rate", "Win rate (trailing)", "rate", "higher"),
    ("bookings_quarter", "Bookings quarter to date", "currency", "higher"),
    ("bookings_trailing", "Bookings (trailing)", "currency", "higher"),
)


def choose_week(week: str | None, as_of: dt.date) -> Period:
    """Return ``--week`` (an ISO week), else the last complete week before as-of."""
    if week is None:
        day = as_of - dt.timedelta(days=as_of.isoweekday())
        return period_of(day, "week")
    found = parse_period(week, flag="--week")
    if found.kind != "week":
        raise InputError(f"invalid --week {week!r}: use an ISO week such as 2025-W14")
    return found


def _trailing_start(end: dt.date, months: int) -> dt.date:
    from revarch.talent.team import add_months

    return add_months(end, -months) + dt.timedelta(days=1)


def _values(
    workspace: Workspace, team: list[str], dates: dict[str, dt.date]
) -> dict[str, dict[str, Any]]:
    """Return every metric per seller of the team."""
    from revarch.metrics import compute_metrics
    from revarch.metrics.activity import count_activities

    activity = count_activities(
        workspace, since=dates["week_start"], until=dates["week_end"]
    )
    stages = stage_inputs(workspace, since=dates["trailing"], until=dates["end"])
    outcomes = compute_metrics(
        workspace,
        by="seller",
        since=dates["trailing"],
        until=dates["end"],
        as_of=dates["end"],
    )
    by_seller = {row["seller"]: row for row in outcomes.rows}
    quarter = seller_bookings(workspace, dates["quarter"], dates["end"])
    values = {}
    for seller in team:
        counts = activity.get(seller, {})
        stage = stages.get(seller, {})
        outcome = by_seller.get(seller, {})
        values[seller] = {
            "calls": counts.get("call", 0),
            "emails": counts.get("email", 0),
            "social": counts.get("social", 0),
            "meetings": counts.get("meeting", 0),
            "conversion": stage.get("conversion"),
            "days_in_stage_median": stage.get("days_median"),
            "cycle_days_median": outcome.get("cycle_days_median"),
            "win_rate": outcome.get("win_rate"),
            "bookings_quarter": quarter.get(seller, 0.0),
            "bookings_trailing": outcome.get("bookings") or 0.0,
        }
    return values


def _compare(values: dict[str, dict[str, Any]], seller: str) -> list[dict[str, Any]]:
    """Return each metric of the seller beside the team median."""
    rows = []
    for key, label, unit, better in METRICS:
        known = [v[key] for v in values.values() if v[key] is not None]
        median = float(statistics.median(known)) if known else None
        value = values[seller][key]
        difference = None
        if value is not None and median is not None:
            difference = round(float(value) - median, 6)
        standing = None
        if difference is not None and difference != 0:
            ahead = difference > 0 if better == "higher" else difference < 0
            standing = "ahead" if ahead else "behind"
        rows.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "value": None if value is None else round(float(value), 6),
                "team_median": None if median is None else round(median, 6),
                "difference": difference,
                "standing": standing,
            }
        )
    return rows


def _competency(workspace: Workspace, seller: str, end: dt.date) -> dict[str, Any]:
    """Return the seller's #1 competency gap and one activity, or why there is none."""
    table = workspace.store.table("assessments")
    assessed = table.filter(~table.is_deleted, table.kind == "seller")
    if not workspace.store.rows(assessed.select("person_id"), limit=1):
        return {
            "status": "no_assessments",
            "text": "No assessments: import them (`revarch import assessments`) "
            "to name the #1 competency gap.",
        }
    from revarch.talent import seller_profile

    try:
        profile = seller_profile(workspace, seller, as_of=end)
    except InputError as exc:
        return {"status": "not_assessed", "text": str(exc)}
    if profile.top_gap is None:
        return {
            "status": "no_gap",
            "text": "At or above the team's 75th percentile in every assessed skill.",
        }
    gap = profile.top_gap.to_dict()
    return {
        "status": "gap",
        **gap,
        "text": f"{gap['skill']} (Tier {gap['tier']}): score {gap['score']:.0f} "
        f"against the team's 75th percentile {gap['target']:.0f}. "
        f"Activity: {gap['activity']}",
    }


def _agenda(
    metrics: list[dict[str, Any]], competency: dict[str, Any], deals: int
) -> list[str]:
    behind = [m["label"] for m in metrics if m["standing"] == "behind"]
    review = (
        "Review the metrics: behind the team median on " + ", ".join(behind)
        if behind
        else "Review the metrics: at or ahead of the team median on every one"
    )
    return [
        f"10 min. {review}.",
        f"10 min. #1 competency gap: {competency['text']}",
        f"10 min. Inspect {deals} open opportunities (riskiest first)."
        if deals
        else "10 min. No open opportunity above the inspection line to inspect.",
    ]


def build_one_on_one(
    workspace: Workspace,
    seller: str,
    week: str | None = None,
    *,
    as_of: str | dt.date | None = None,
) -> dict[str, Any]:
    """Build the 1-on-1 agenda of one seller (id or name) for one ISO week.

    Raises ``InputError`` for an unknown seller or an invalid week.
    """
    as_of_date = resolve_as_of(workspace, as_of)
    chosen = choose_week(week, as_of_date)
    end = min(chosen.end, as_of_date)
    settings = workspace.settings
    people = People.read(workspace)
    person = people.find(seller, flag="SELLER")
    team = sorted({p.id for p in people.sellers()} | {person.id})
    quarter = period_of(chosen.end, "quarter", settings.company.fiscal_year_start_month)
    dates = {
        "week_start": chosen.start,
        "week_end": chosen.end,
        "end": end,
        "quarter": quarter.start,
        "trailing": _trailing_start(end, settings.performance.trailing_months),
    }
    metrics = _compare(_values(workspace, team, dates), person.id)
    competency = _competency(workspace, person.id, end)
    inspection = compute_inspection(workspace, as_of=end, seller=person.id)
    deals = inspection.rows[:DEALS_SHOWN]
    log.info("built the 1-on-1 of %s for %s", person.id, chosen.id)
    return {
        "seller": person.id,
        "seller_name": person.label,
        "manager": person.manager_id,
        "manager_name": people.name(person.manager_id),
        "week": chosen.to_dict(),
        "windows": {
            "week": {"since": chosen.start.isoformat(), "until": end.isoformat()},
            "quarter": {
                "id": quarter.id,
                "since": quarter.start.isoformat(),
                "until": end.isoformat(),
            },
            "trailing": {
                "since": dates["trailing"].isoformat(),
                "until": end.isoformat(),
            },
        },
        "team_size": len(team),
        "metrics": metrics,
        "competency": competency,
        "deals": deals,
        "deals_total": len(inspection.rows),
        "questions": inspection.questions,
        "agenda": _agenda(metrics, competency, len(inspection.rows)),
        "notes": _week_notes(chosen, as_of_date, person.hire_date),
        "window": Window("snapshot", None, end, as_of_date).to_dict(),
    }


def _week_notes(week: Period, as_of: dt.date, hired: dt.date | None) -> list[str]:
    """Say when the week lies after the data or before the seller was hired."""
    notes = []
    if week.start > as_of:
        notes.append(
            f"week {week.id} starts after the data's as-of date "
            f"{as_of.isoformat()}, so its figures are empty; pick an earlier --week"
        )
    if hired is not None and week.end < hired:
        notes.append(
            f"week {week.id} ends before the seller was hired on "
            f"{hired.isoformat()}; pick a later --week"
        )
    return notes
