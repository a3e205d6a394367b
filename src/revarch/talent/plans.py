"""One seller against the team: quartiles, weak skills, compounded gap and a plan.

- Weak in a skill: below the team's ``weak_percentile`` (default 25th).
- Compounded gap: the product of ``gap% / 100`` over the seller's weak Tier 1
  and Tier 2 skills whose gap is at least 100% (the measured gap where it set
  the tier, else the catalog's published prior). A 600% and a 400% gap make
  24x, beside the additive 10x.
- #1 competency gap: among skills below the team's 75th percentile, the
  lowest tier number first, then the largest shortfall to that percentile.
- Development plan: every skill below the 75th percentile, Tier 1 first,
  then Tier 2 (develop), then Tier 3 (maintain), each with one activity.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from revarch.errors import InputError
from revarch.talent.gaps import GapReport, SkillGap, compute_gaps, json_number
from revarch.talent.team import Measure, TeamFilter
from revarch.workspace import Workspace

TOP_PERCENTILE = 75.0
MEDIAN = 50.0
# Gaps below 100% do not multiply a seller's shortfall, so they stay out of
# the product.
MIN_COMPOUNDING_GAP = 100.0


@dataclass
class SkillStanding:
    """A seller's score on one skill against the team's percentiles."""

    gap: SkillGap
    score: float | None
    weak_cut: float | None
    median: float | None
    top_cut: float | None

    @property
    def assessed(self) -> bool:
        return self.score is not None and self.top_cut is not None

    @property
    def weak(self) -> bool:
        return self._below(self.weak_cut)

    @property
    def below_top(self) -> bool:
        return self._below(self.top_cut)

    @property
    def shortfall(self) -> float | None:
        if not self.assessed:
            return None
        assert self.score is not None and self.top_cut is not None
        return max(0.0, self.top_cut - self.score)

    def _below(self, cut: float | None) -> bool:
        return self.score is not None and cut is not None and self.score < cut

    @property
    def quartile(self) -> str | None:
        if not self.assessed:
            return None
        assert self.score is not None
        if self.weak:
            return "bottom"
        if self.median is not None and self.score < self.median:
            return "lower middle"
        return "upper middle" if self.below_top else "top"

    def to_dict(self) -> dict[str, Any]:
        return {
            "skill": self.gap.name,
            "tier": self.gap.tier,
            "score": self.score,
            "team_weak_cut": self.weak_cut,
            "team_median": self.median,
            "team_top_cut": self.top_cut,
            "quartile": self.quartile,
            "weak": self.weak,
            "shortfall": self.shortfall,
        }


@dataclass
class PlanItem:
    """One skill of a development plan."""

    standing: SkillStanding
    action: str
    activity: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "skill": self.standing.gap.name,
            "tier": self.standing.gap.tier,
            "action": self.action,
            "score": self.standing.score,
            "target": self.standing.top_cut,
            "shortfall": self.standing.shortfall,
            "activity": self.activity,
        }


@dataclass
class Compounded:
    """The compounded (product) and additive gap over qualifying weak skills."""

    product: float
    additive: float
    skills: list[dict[str, Any]]
    other_weak: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "compounded_gap_x": json_number(self.product),
            "additive_gap_x": json_number(self.additive),
            "compounded_skills": self.skills,
            "other_weak_skills": self.other_weak,
        }


def compound(gaps: list[tuple[str, float, str]]) -> tuple[float, float]:
    """Return the product and the sum of ``gap% / 100`` (1 and 0 for none).

    ``gaps`` contains (skill, gap percent, source) tuples; an unbounded gap is ``inf``.
    """
    product = math.prod(percent / 100 for _, percent, _ in gaps)
    additive = sum(percent / 100 for _, percent, _ in gaps)
    return product, additive


@dataclass
class SellerProfile:
    """Everything the 1-on-1 needs about one seller's skills."""

    seller: str
    seller_name: str | None
    ranking: dict[str, Any]
    standings: list[SkillStanding]
    compounded: Compounded
    top_gap: PlanItem | None
    plan: list[PlanItem]
    report: GapReport
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seller": self.seller,
            "seller_name": self.seller_name,
            "window": self.report.team.window.to_dict(),
            "measure": self.report.team.measure,
            "ranking": self.ranking,
            "team_size": len(self.report.team.ranked),
            "skills": [s.to_dict() for s in self.standings],
            "weak_skills": [s.gap.name for s in self.standings if s.weak],
            **self.compounded.to_dict(),
            "top_gap": self.top_gap.to_dict() if self.top_gap else None,
            "plan": [item.to_dict() for item in self.plan],
            "not_assessed": [s.gap.name for s in self.standings if not s.assessed],
            "notes": self.notes,
        }


def _standing(report: GapReport, gap: SkillGap, score: float | None) -> SkillStanding:
    team_scores = report.team.team_scores(gap.name)
    if len(team_scores) == 0:
        return SkillStanding(gap, score, None, None, None)
    weak = float(np.percentile(team_scores, report.weak_percentile))
    median = float(np.percentile(team_scores, MEDIAN))
    top = float(np.percentile(team_scores, TOP_PERCENTILE))
    return SkillStanding(gap, score, weak, median, top)


def _compounded(standings: list[SkillStanding]) -> Compounded:
    qualifying: list[tuple[str, float, str]] = []
    other: list[str] = []
    for standing in standings:
        if not standing.weak:
            continue
        gap = standing.gap
        percent = gap.effective_gap
        if gap.tier <= 2 and percent is not None and percent >= MIN_COMPOUNDING_GAP:
            qualifying.append((gap.name, percent, gap.tier_source))
        else:
            other.append(gap.name)
    product, additive = compound(qualifying)
    skills = [
        {"skill": name, "gap_percent": json_number(percent), "gap_source": source}
        for name, percent, source in qualifying
    ]
    return Compounded(product, additive, skills, other)


def development_plan(standings: list[SkillStanding]) -> list[PlanItem]:
    """Return the skills below the top quartile: Tier 1, Tier 2, then Tier 3."""
    below = [s for s in standings if s.assessed and s.below_top]
    below.sort(key=lambda s: (s.gap.tier, -(s.shortfall or 0.0), s.gap.name))
    return [
        PlanItem(
            s,
            "maintain" if s.gap.tier >= 3 else "develop",
            s.gap.skill.activities[0],
        )
        for s in below
    ]


def _ranking(report: GapReport, seller: str) -> dict[str, Any]:
    for position, member in enumerate(report.team.ranked, start=1):
        if member.seller == seller:
            return {"rank": position, **member.to_dict()}
    for excluded in report.team.excluded:
        if excluded["seller"] == seller:
            return {"rank": None, "excluded": excluded["reason"]}
    return {"rank": None, "excluded": "outside the selected team"}


def seller_profile(
    workspace: Workspace,
    seller: str,
    *,
    measure: Measure | None = None,
    as_of: str | dt.date | None = None,
    team_filter: TeamFilter | None = None,
) -> SellerProfile:
    """Compare one seller's latest scores with the team and build the plan."""
    report = compute_gaps(
        workspace,
        measure=measure,
        as_of=as_of,
        team_filter=team_filter,
        with_interval=False,
    )
    team = report.team
    if seller not in team.scores:
        known = ", ".join(sorted(team.scores)[:20]) or "none"
        raise InputError(
            f"seller {seller!r} has no seller assessment on or before "
            f"{team.window.as_of.isoformat()} in the selected team; assessed "
            f"sellers: {known}"
        )
    scores = team.scores[seller]
    standings = [_standing(report, gap, scores.get(gap.name)) for gap in report.gaps]
    plan = development_plan(standings)
    return SellerProfile(
        seller=seller,
        seller_name=team.names.get(seller),
        ranking=_ranking(report, seller),
        standings=standings,
        compounded=_compounded(standings),
        top_gap=plan[0] if plan else None,
        plan=plan,
        report=report,
        notes=list(report.notes),
    )
