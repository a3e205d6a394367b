"""The team that skill gaps and percentiles use: ranked sellers and their scores.

The team is everyone with a seller assessment on or before the as-of date.
A team member is ranked unless they are a system user, inactive, or still in
the ramp period (no hire date counts as ramped). When ranking by attainment,
a seller also needs a quota in the window. Everyone left out is listed with
the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import numpy as np

from revarch.errors import InputError
from revarch.money import convert_to_base
from revarch.talent.assessments import latest_scores
from revarch.talent.catalog import Catalog
from revarch.talent.stats import FloatArray
from revarch.timeframe import Window, compute_as_of, parse_date, parse_period
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

Measure = Literal["bookings", "attainment"]


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` later (or earlier), clamped to the month end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


def talent_as_of(workspace: Workspace, as_of: str | dt.date | None) -> dt.date:
    """Return the as-of date: the option, the setting, the CRM data, else assessments.

    A workspace that holds assessments but no CRM events takes the latest
    assessment date, so the result does not depend on the clock.
    """
    if as_of is not None:
        return parse_date(as_of, "--as-of")
    if workspace.settings.as_of is not None:
        return parse_date(workspace.settings.as_of, "as_of setting")
    found = compute_as_of(workspace)
    if found is not None:
        return found
    table = workspace.store.table("assessments")
    latest = workspace.store.rows(
        table.filter(~table.is_deleted).aggregate(day=table.assessed_on.max())
    )
    day: dt.date | None = latest[0]["day"] if latest else None
    if day is not None:
        return day
    raise InputError(
        "the workspace has no CRM data and no assessments to date the analysis; "
        "import them first, or pass --as-of YYYY-MM-DD"
    )


def trailing_window(workspace: Workspace, as_of: dt.date) -> Window:
    """Return the ``performance.trailing_months`` window ending on ``as_of``."""
    months = workspace.settings.performance.trailing_months
    since = add_months(as_of, -months) + dt.timedelta(days=1)
    return Window("snapshot", since, as_of, as_of)


@dataclass(frozen=True)
class TeamFilter:
    """Narrows the team to one team name or one manager's sellers."""

    team: str | None = None
    manager: str | None = None


@dataclass
class RankedSeller:
    """A seller in the ranking, with the measure and its parts."""

    seller: str
    seller_name: str | None
    performance: float
    bookings: float
    quota: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seller": self.seller,
            "seller_name": self.seller_name,
            "performance": self.performance,
            "bookings": self.bookings,
            "quota": self.quota,
        }


@dataclass
class Team:
    """Ranked sellers, sellers left out, and everyone's latest scores."""

    measure: Measure
    window: Window
    ranked: list[RankedSeller]
    excluded: list[dict[str, Any]]
    scores: dict[str, dict[str, float]]
    names: dict[str, str | None]
    notes: list[str] = field(default_factory=list)

    def skill_arrays(self, skill: str) -> tuple[FloatArray, FloatArray]:
        """Return performance and score of the ranked sellers scored on ``skill``."""
        pairs = [
            (member.performance, self.scores[member.seller][skill])
            for member in self.ranked
            if skill in self.scores.get(member.seller, {})
        ]
        performance = np.array([p for p, _ in pairs], dtype=np.float64)
        scores = np.array([s for _, s in pairs], dtype=np.float64)
        return performance, scores

    def team_scores(self, skill: str) -> FloatArray:
        """Return the ranked sellers' latest scores on ``skill``."""
        return self.skill_arrays(skill)[1]

    def summary(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "window": self.window.to_dict(),
            "ranked_count": len(self.ranked),
            "ranked": [member.to_dict() for member in self.ranked],
            "excluded": self.excluded,
        }


def _seller_records(workspace: Workspace) -> dict[str, dict[str, Any]]:
    sellers = workspace.store.table("sellers")
    columns = ["id", "name", "manager_id", "team", "hire_date", "active", "is_seller"]
    rows = workspace.store.rows(sellers.filter(~sellers.is_deleted).select(*columns))
    return {row["id"]: row for row in rows}


def _live_won(workspace: Workspace, window: Window) -> ir.Table:
    opportunities = workspace.store.table("opportunities")
    return opportunities.filter(
        ~opportunities.is_deleted,
        ~opportunities.is_merged,
        opportunities.status == "won",
        opportunities.seller_id.notnull(),
        window.includes(opportunities.close_date),
    )


def compute_bookings(workspace: Workspace, window: Window) -> dict[str, float]:
    """Return won amounts per seller in the base currency, closed in the window."""
    won = _live_won(workspace, window)
    won = won.mutate(fx_date=won.close_date)
    converted = convert_to_base(workspace, won, amounts=["amount"], label="id")
    per_seller = converted.group_by("seller_id").aggregate(
        bookings=converted.amount_base.sum().fill_null(0.0)
    )
    rows = workspace.store.rows(per_seller)
    return {row["seller_id"]: float(row["bookings"]) for row in rows}


def compute_quotas(workspace: Workspace, window: Window) -> dict[str, float]:
    """Return each seller's quota for the window in the base currency.

    A quota period that only partly overlaps the window counts pro rata by
    days, so a window ending mid-quarter gets the elapsed share of it.
    """
    quotas = workspace.store.table("quotas")
    rows = workspace.store.rows(
        quotas.filter(~quotas.is_deleted).select(
            "seller_id", "period", "amount", "currency"
        )
    )
    if not rows:
        return {}
    start_month = workspace.settings.company.fiscal_year_start_month
    assert window.since is not None
    shares = []
    for row in rows:
        period = parse_period(row["period"], start_month, flag="quotas.period")
        first = max(period.start, window.since)
        last = min(period.end, window.end)
        overlap = (last - first).days + 1
        if overlap <= 0:
            continue
        days = (period.end - period.start).days + 1
        shares.append(
            {
                "seller_id": row["seller_id"],
                "amount": float(row["amount"]) * overlap / days,
                "currency": row["currency"],
                "fx_date": period.end,
            }
        )
    if not shares:
        return {}
    schema = {
        "seller_id": "string",
        "amount": "float64",
        "currency": "string",
        "fx_date": "date",
    }
    table = ibis.memtable(shares, schema=schema)
    converted = convert_to_base(workspace, table, amounts=["amount"], label="seller_id")
    totals = converted.group_by("seller_id").aggregate(
        quota=converted.amount_base.sum()
    )
    return {r["seller_id"]: float(r["quota"]) for r in workspace.store.rows(totals)}


def _manager_ids(records: dict[str, dict[str, Any]], manager: str) -> set[str]:
    key = manager.strip().lower()
    return {
        seller_id
        for seller_id, row in records.items()
        if seller_id.lower() == key or (row["name"] or "").lower() == key
    }


def _in_filter(
    record: dict[str, Any] | None,
    team_filter: TeamFilter,
    managers: set[str],
) -> bool:
    if team_filter.team is None and team_filter.manager is None:
        return True
    if record is None:
        return False
    team_name = (team_filter.team or "").strip().lower()
    if team_filter.team is not None and (record["team"] or "").lower() != team_name:
        return False
    return team_filter.manager is None or record["manager_id"] in managers


def _exclusion(
    record: dict[str, Any] | None, ramp_start: dt.date, as_of: dt.date
) -> str | None:
    """Return why a seller is left out of the ranking, or None when ranked."""
    if record is None:
        return None
    if record["is_seller"] is False:
        return "not a seller (owns no opportunities or activities)"
    if record["active"] is False:
        return "inactive"
    hire = record["hire_date"]
    if hire is not None and hire > as_of:
        return f"hired after the as-of date ({hire.isoformat()})"
    if hire is not None and hire > ramp_start:
        return f"ramping: hired {hire.isoformat()}"
    return None


def build_team(
    workspace: Workspace,
    catalog: Catalog,
    *,
    measure: Measure | None = None,
    as_of: str | dt.date | None = None,
    team_filter: TeamFilter | None = None,
) -> Team:
    """Rank the assessed sellers by bookings or attainment over the trailing window."""
    settings = workspace.settings
    chosen: Measure = measure or settings.performance.measure
    day = talent_as_of(workspace, as_of)
    window = trailing_window(workspace, day)
    team_filter = team_filter or TeamFilter()
    latest = latest_scores(workspace, catalog, kind="seller", as_of=day)
    records = _seller_records(workspace)
    managers = (
        _manager_ids(records, team_filter.manager) if team_filter.manager else set()
    )
    if team_filter.manager and not managers:
        raise InputError(
            f"--manager {team_filter.manager!r} matches no seller id or name; "
            "pass a manager's id or full name from the sellers table"
        )
    scores: dict[str, dict[str, float]] = {}
    names: dict[str, str | None] = {}
    for row in latest.rows:
        person = row["person_id"]
        if not _in_filter(records.get(person), team_filter, managers):
            continue
        scores.setdefault(person, {})[row["skill"]] = float(row["score"])
        record = records.get(person)
        names[person] = (record["name"] if record else None) or row["person_name"]
    team = Team(chosen, window, [], [], scores, names, list(latest.notes))
    _rank(workspace, team, records, day)
    return team


def _rank(
    workspace: Workspace,
    team: Team,
    records: dict[str, dict[str, Any]],
    as_of: dt.date,
) -> None:
    ramp_start = add_months(as_of, -workspace.settings.performance.ramp_months)
    bookings = compute_bookings(workspace, team.window)
    quotas = (
        compute_quotas(workspace, team.window) if team.measure == "attainment" else {}
    )
    for seller in sorted(team.scores):
        reason = _exclusion(records.get(seller), ramp_start, as_of)
        booked = bookings.get(seller, 0.0)
        quota = quotas.get(seller)
        if reason is None and team.measure == "attainment" and not quota:
            reason = "no quota in the window"
        if reason is not None:
            team.excluded.append(
                {"seller": seller, "seller_name": team.names[seller], "reason": reason}
            )
            continue
        performance = booked / quota if quota else booked
        team.ranked.append(
            RankedSeller(seller, team.names[seller], performance, booked, quota)
        )
    team.ranked.sort(key=lambda member: (-member.performance, member.seller))
    unassessed = sum(
        1
        for seller_id, row in records.items()
        if row["is_seller"] is not False and seller_id not in team.scores
    )
    if unassessed:
        team.notes.append(
            f"{unassessed} sellers in the sellers table have no seller assessment "
            "on or before the as-of date and are not in the team"
        )
    log.info(
        "ranked %d sellers by %s; %d left out",
        len(team.ranked),
        team.measure,
        len(team.excluded),
    )
