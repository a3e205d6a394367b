"""Skill development over quarterly assessments, per seller and for the team.

Each seller's score on a skill in a fiscal quarter is their latest assessment
in that quarter (raters on that date averaged). The team's movement on each
Tier 1 skill compares the team's mean score in the first and last quarter.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from revarch.talent.assessments import assessment_rows
from revarch.talent.catalog import Catalog
from revarch.talent.gaps import compute_gaps
from revarch.talent.team import talent_as_of
from revarch.timeframe import Window, period_key
from revarch.workspace import Workspace


@dataclass
class ProgressReport:
    """Scores per quarter: per seller and skill, and the team's Tier 1 movement."""

    window: Window
    periods: list[str]
    tier1_skills: list[str]
    sellers: list[dict[str, Any]]
    team: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "periods": self.periods,
            "tier1_skills": self.tier1_skills,
            "sellers": self.sellers,
            "team_tier1": self.team,
            "notes": self.notes,
        }


def _quarterly_scores(
    workspace: Workspace, catalog: Catalog, as_of: dt.date
) -> tuple[list[dict[str, Any]], list[str]]:
    rows, notes = assessment_rows(workspace, catalog, kind="seller", as_of=as_of)
    start_month = workspace.settings.company.fiscal_year_start_month
    rows = rows.mutate(period=period_key(rows.assessed_on, "quarter", start_month))
    latest = rows.assessed_on.max().over(group_by=["person_id", "skill", "period"])
    rows = rows.mutate(_latest=latest)
    rows = rows.filter(rows.assessed_on == rows._latest)
    scores = rows.group_by(["person_id", "skill", "period"]).aggregate(
        score=rows.score.mean(), person_name=rows.person_name.max()
    )
    ordered = scores.order_by(["person_id", "period", "skill"])
    return workspace.store.rows(ordered), notes


def _change(series: dict[str, float]) -> float | None:
    if len(series) < 2:
        return None
    periods = sorted(series)
    return series[periods[-1]] - series[periods[0]]


def _seller_rows(
    rows: list[dict[str, Any]], names: dict[str, str | None], tier1: list[str]
) -> list[dict[str, Any]]:
    by_seller: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for row in rows:
        skills = by_seller[row["person_id"]]
        skills.setdefault(row["skill"], {})[row["period"]] = float(row["score"])
    result = []
    for seller, skills in sorted(by_seller.items()):
        per_period: dict[str, list[float]] = defaultdict(list)
        for skill in tier1:
            for period, score in skills.get(skill, {}).items():
                per_period[period].append(score)
        tier1_mean = {p: fmean(v) for p, v in sorted(per_period.items())}
        result.append(
            {
                "seller": seller,
                "seller_name": names.get(seller),
                "tier1_score_mean": tier1_mean,
                "tier1_change": _change(tier1_mean),
                "skills": {
                    skill: {"scores": series, "change": _change(series)}
                    for skill, series in sorted(skills.items())
                },
            }
        )
    return result


def _team_rows(rows: list[dict[str, Any]], tier1: list[str]) -> list[dict[str, Any]]:
    result = []
    for skill in tier1:
        per_period: dict[str, list[float]] = defaultdict(list)
        for row in rows:
            if row["skill"] == skill:
                per_period[row["period"]].append(float(row["score"]))
        means = {p: fmean(v) for p, v in sorted(per_period.items())}
        result.append(
            {
                "skill": skill,
                "score_mean": means,
                "sellers": {p: len(v) for p, v in sorted(per_period.items())},
                "change": _change(means),
            }
        )
    return result


def compute_progress(
    workspace: Workspace, *, as_of: str | dt.date | None = None
) -> ProgressReport:
    """Return every seller's scores by quarter and the team's Tier 1 movement."""
    catalog = Catalog.from_settings(workspace.settings)
    day = talent_as_of(workspace, as_of)
    report = compute_gaps(workspace, as_of=day, with_interval=False)
    tier1 = [gap.name for gap in report.gaps if gap.tier == 1]
    rows, notes = _quarterly_scores(workspace, catalog, day)
    names: dict[str, str | None] = dict(report.team.names)
    for row in rows:
        names.setdefault(row["person_id"], row["person_name"])
    periods = sorted({row["period"] for row in rows})
    return ProgressReport(
        Window("snapshot", None, None, day),
        periods,
        tier1,
        _seller_rows(rows, names, tier1),
        _team_rows(rows, tier1),
        notes,
    )
