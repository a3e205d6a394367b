"""Facts read from the workspace data that the diagnosis rests on.

Every function takes the as-of date (or a window ending on it) so that the
same data always gives the same evidence. Deleted and merged records are
left out everywhere. Amounts are in the base currency.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from revarch.timeframe import Window, local_date, period_of, within_local_days
from revarch.workspace import Workspace

if TYPE_CHECKING:
    from revarch.talent.gaps import GapReport

log = logging.getLogger(__name__)

RECENT_DAYS = 90


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` later (or earlier), clamped to the month end."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    first_of_next = dt.date(year + (month0 == 11), (month0 + 1) % 12 + 1, 1)
    last_day = (first_of_next - dt.timedelta(days=1)).day
    return dt.date(year, month0 + 1, min(day.day, last_day))


@dataclass(frozen=True)
class Span:
    """Inclusive dates ``since`` to ``until``."""

    since: dt.date
    until: dt.date

    def to_dict(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


def trailing_span(as_of: dt.date, months: int = 12) -> Span:
    """Return the trailing ``months`` ending on ``as_of`` (both ends inclusive)."""
    return Span(add_months(as_of, -months) + dt.timedelta(days=1), as_of)


def trailing_window(as_of: dt.date) -> dict[str, str | None]:
    """Return the ``window`` JSON object of the trailing 12 months to ``as_of``."""
    span = trailing_span(as_of)
    return Window("snapshot", span.since, span.until, as_of).to_dict()


def recent_span(as_of: dt.date, days: int = RECENT_DAYS) -> Span:
    """Return the ``days`` days ending on ``as_of``."""
    return Span(as_of - dt.timedelta(days=days - 1), as_of)


def _within(day: ir.DateValue, span: Span) -> ir.BooleanValue:
    return day.notnull() & day.between(span.since, span.until)


def _happened_within(
    instant: ir.TimestampValue, zone: str, span: Span
) -> ir.BooleanValue:
    """Return whether an instant's local date falls in ``span``."""
    return within_local_days(instant, zone, since=span.since, until=span.until)


def live(workspace: Workspace, name: str) -> ir.Table:
    """Return a workspace table without deleted (and merged) rows."""
    table = workspace.store.table(name)
    table = table.filter(~table.is_deleted)
    if "is_merged" in table.columns:
        table = table.filter(~table.is_merged)
    return table


def _count(workspace: Workspace, expr: ir.Table) -> int:
    return int(workspace.store.fetch(expr.count()))


def _zone(workspace: Workspace) -> str:
    return workspace.settings.company.timezone


# -- outcomes ----------------------------------------------------------------


@dataclass
class SellerBookings:
    """Won amounts of one seller in a span; ``seller`` None is unassigned."""

    seller: str | None
    seller_name: str | None
    bookings: float
    won: int


@dataclass
class Outcomes:
    """Outcome metrics of the opportunities closed in a span."""

    span: Span
    bookings: float
    won: int
    lost: int
    win_rate: float | None
    cycle_days_median: float | None
    by_seller: list[SellerBookings]


def compute_outcomes(workspace: Workspace, span: Span) -> Outcomes:
    """Return bookings, win rate and cycle days of opportunities closed in ``span``.

    Uses the outcome metrics, so the numbers match ``revarch metrics``.
    Sellers with bookings are listed largest first.
    """
    from revarch.metrics.outcomes import compute_metrics

    opportunities = live(workspace, "opportunities")
    closed = opportunities.filter(
        opportunities.status.isin(["won", "lost"]),
        _within(opportunities.close_date, span),
    )
    if _count(workspace, closed) == 0:
        # Nothing closed: the metrics would be zeros and nulls, so skip them.
        return Outcomes(span, 0.0, 0, 0, None, None, [])
    result = compute_metrics(
        workspace, by="seller", since=span.since, until=span.until, as_of=span.until
    )
    sellers = [
        SellerBookings(
            seller=row["seller"],
            seller_name=row["seller_name"],
            bookings=float(row["bookings"] or 0.0),
            won=int(row["won"]),
        )
        for row in result.rows
        if row["bookings"]
    ]
    totals = result.totals
    return Outcomes(
        span=span,
        bookings=float(totals["bookings"] or 0.0),
        won=int(totals["won"]),
        lost=int(totals["lost"]),
        win_rate=totals["win_rate"],
        cycle_days_median=totals["cycle_days_median"],
        by_seller=sorted(sellers, key=lambda item: (-item.bookings, item.seller or "")),
    )


# -- sellers -----------------------------------------------------------------


def _not_sellers(workspace: Workspace) -> set[str]:
    sellers = live(workspace, "sellers")
    rows = workspace.store.rows(sellers.filter(~sellers.is_seller).select("id"))
    return {row["id"] for row in rows}


def list_active_sellers(workspace: Workspace, span: Span) -> list[str]:
    """Return sellers owning an opportunity created or closed, or an activity, in span.

    People flagged as not sellers (managers listed only as managers) are left
    out.
    """
    zone = _zone(workspace)
    opportunities = live(workspace, "opportunities")
    touched = _happened_within(opportunities.created_at, zone, span) | (
        opportunities.status.isin(["won", "lost"])
        & _within(opportunities.close_date, span)
    )
    owners = opportunities.filter(touched).select(seller=opportunities.seller_id)
    activities = live(workspace, "activities")
    actors = activities.filter(
        _happened_within(activities.occurred_at, zone, span)
    ).select(seller=activities.seller_id)
    both = owners.union(actors).filter(ibis._.seller.notnull()).distinct()
    found = {row["seller"] for row in workspace.store.rows(both)}
    return sorted(found - _not_sellers(workspace))


# -- history and activity ----------------------------------------------------


def compute_history_coverage(
    workspace: Workspace, span: Span | None = None
) -> tuple[int, int]:
    """Return (with stage history, all) opportunities, created in ``span`` if given."""
    opportunities = live(workspace, "opportunities")
    if span is not None:
        zone = _zone(workspace)
        opportunities = opportunities.filter(
            _happened_within(opportunities.created_at, zone, span)
        )
    events = live(workspace, "stage_events")
    with_history = opportunities.filter(opportunities.id.isin(events.opportunity_id))
    return _count(workspace, with_history), _count(workspace, opportunities)


def count_activities(workspace: Workspace, span: Span | None = None) -> int:
    """Return the number of activities, in ``span`` if given."""
    activities = live(workspace, "activities")
    if span is not None:
        zone = _zone(workspace)
        activities = activities.filter(
            _happened_within(activities.occurred_at, zone, span)
        )
    return _count(workspace, activities)


def list_activity_sellers(workspace: Workspace, span: Span) -> set[str]:
    """Return the sellers who logged an activity in ``span``."""
    activities = live(workspace, "activities")
    occurred = _happened_within(activities.occurred_at, _zone(workspace), span)
    sellers = activities.filter(occurred, activities.seller_id.notnull()).select(
        "seller_id"
    )
    return {row["seller_id"] for row in workspace.store.rows(sellers.distinct())}


def count_linked_activities(workspace: Workspace, span: Span) -> int:
    """Return how many activities in ``span`` are linked to an opportunity."""
    activities = live(workspace, "activities")
    occurred = _happened_within(activities.occurred_at, _zone(workspace), span)
    linked = activities.filter(occurred, activities.opportunity_id.notnull())
    return _count(workspace, linked)


def find_first_event(workspace: Workspace) -> dt.date | None:
    """Return the date of the earliest business event in the data."""
    zone = _zone(workspace)
    opportunities = live(workspace, "opportunities")
    closed = opportunities.filter(opportunities.status.isin(["won", "lost"]))
    events = live(workspace, "stage_events")
    activities = live(workspace, "activities")
    scalars = [
        local_date(events.entered_at, zone).min(),
        local_date(opportunities.created_at, zone).min(),
        local_date(activities.occurred_at, zone).min(),
        closed.close_date.min(),
    ]
    found = [_as_date(workspace.store.fetch(scalar)) for scalar in scalars]
    dates = [day for day in found if day is not None]
    return min(dates) if dates else None


def _as_date(value: Any) -> dt.date | None:
    # A missing value arrives as None, NaN or pandas' NaT; the last two are
    # the values that differ from themselves.
    if value is None or value != value:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def list_months(as_of: dt.date, count: int = 12) -> list[str]:
    """Return the ``count`` calendar months up to and including the as-of month."""
    months = []
    for back in range(count - 1, -1, -1):
        day = add_months(as_of.replace(day=1), -back)
        months.append(period_of(day, "month").id)
    return months


def _month_ids(day: ir.DateValue) -> ir.StringValue:
    return (
        day.year().cast("string").concat("-", day.month().cast("string").lpad(2, "0"))
    )


def _distinct_months(workspace: Workspace, days: ir.DateValue, table: ir.Table) -> set:
    months = table.select(month=_month_ids(days)).distinct()
    return {row["month"] for row in workspace.store.rows(months)}


def find_tracked_months(workspace: Workspace, span: Span) -> dict[str, set[str]]:
    """Return, per measure, the calendar months in ``span`` that have its data.

    ``activity``: an activity was logged. ``conversion``: a stage change was
    recorded. ``revenue_per_seller``: an opportunity was won with an owner
    and an amount.
    """
    zone = _zone(workspace)
    activities = live(workspace, "activities")
    activities = activities.filter(_happened_within(activities.occurred_at, zone, span))
    activities = activities.mutate(day=local_date(activities.occurred_at, zone))
    events = live(workspace, "stage_events")
    events = events.filter(_happened_within(events.entered_at, zone, span))
    events = events.mutate(day=local_date(events.entered_at, zone))
    opportunities = live(workspace, "opportunities")
    won = opportunities.filter(
        opportunities.status == "won",
        opportunities.seller_id.notnull(),
        opportunities.amount.notnull(),
        _within(opportunities.close_date, span),
    )
    return {
        "activity": _distinct_months(workspace, activities.day, activities),
        "conversion": _distinct_months(workspace, events.day, events),
        "revenue_per_seller": _distinct_months(workspace, won.close_date, won),
    }


# -- assessments -------------------------------------------------------------


@dataclass
class AssessmentCoverage:
    """Active sellers assessed in a span, the latest assessment date and the skills."""

    assessed: list[str]
    sellers: list[str]
    last_assessed_on: dt.date | None
    skills: set[str]


def compute_assessment_coverage(
    workspace: Workspace, span: Span, sellers: list[str]
) -> AssessmentCoverage:
    """Return the sellers among ``sellers`` assessed in ``span``, and the skills."""
    table = live(workspace, "assessments")
    table = table.filter(table.kind == "seller", table.assessed_on <= span.until)
    last = _as_date(workspace.store.fetch(table.assessed_on.max()))
    recent = table.filter(table.assessed_on >= span.since)
    rows = workspace.store.rows(recent.select("person_id", "skill").distinct())
    people = {row["person_id"] for row in rows}
    return AssessmentCoverage(
        assessed=sorted(people & set(sellers)),
        sellers=sellers,
        last_assessed_on=last,
        skills={row["skill"] for row in rows},
    )


def count_seller_assessments(workspace: Workspace, as_of: dt.date) -> int:
    """Return how many seller assessment rows are dated on or before ``as_of``."""
    table = live(workspace, "assessments")
    return _count(
        workspace, table.filter(table.kind == "seller", table.assessed_on <= as_of)
    )


def compute_skill_gaps(workspace: Workspace, as_of: dt.date) -> GapReport | None:
    """Return the measured skill gaps, or None when no seller is assessed."""
    if count_seller_assessments(workspace, as_of) == 0:
        return None
    from revarch.talent.gaps import compute_gaps

    return compute_gaps(workspace, as_of=as_of, with_interval=False)


def skill_tiers(workspace: Workspace, report: GapReport | None) -> dict[str, int]:
    """Return each catalog skill's tier: measured where confident, else the prior."""
    if report is not None:
        return {gap.name: gap.tier for gap in report.gaps}
    return {
        skill.name: skill.prior_tier or 2 for skill in workspace.settings.skills.catalog
    }
