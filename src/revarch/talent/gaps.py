"""Skill performance gaps and tiers: top versus bottom sellers, per skill."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from revarch.config import Skill, Thresholds
from revarch.talent.catalog import Catalog
from revarch.talent.stats import (
    Gap,
    Interval,
    bootstrap_gaps,
    compute_gap,
    gap_interval,
)
from revarch.talent.team import Measure, Team, TeamFilter, build_team
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

INTERVAL_LEVEL = 90.0

TierSource = Literal["measured", "prior"]


def tier_of_gap(percent: float, thresholds: Thresholds) -> int:
    """Return the tier of a gap in percent: >= 200 Tier 1, >= 100 Tier 2, else 3.

    An unbounded gap is ``inf`` and so Tier 1.
    """
    if percent >= thresholds.tier1_gap_percent:
        return 1
    if percent >= thresholds.tier2_gap_percent:
        return 2
    return 3


def json_number(value: float | None) -> float | str | None:
    """Return a number for JSON: ``inf`` becomes the string 'unbounded'."""
    if value is not None and math.isinf(value):
        return "unbounded"
    return value


@dataclass
class SkillGap:
    """The measured gap of one skill, its interval and the tier it sets."""

    skill: Skill
    sellers: int
    gap: Gap
    interval: Interval | None
    low_confidence: bool
    measured_tier: int | None
    tier: int
    tier_source: TierSource

    @property
    def name(self) -> str:
        return self.skill.name

    @property
    def prior_tier(self) -> int:
        assert self.skill.prior_tier is not None
        return self.skill.prior_tier

    @property
    def percent(self) -> float | None:
        """Return the gap in percent (``inf`` when unbounded, None when undefined)."""
        if self.gap.status == "unbounded":
            return math.inf
        return self.gap.percent

    @property
    def effective_gap(self) -> float | None:
        """Return the measured gap where it sets the tier, else the prior gap."""
        if self.tier_source == "measured":
            return self.percent
        return self.skill.prior_gap

    def to_dict(self) -> dict[str, Any]:
        interval = self.interval
        return {
            "skill": self.name,
            "group": self.skill.group,
            "function": self.skill.function,
            "sellers": self.sellers,
            "top_size": self.gap.top_size,
            "bottom_size": self.gap.bottom_size,
            "top_score_mean": self.gap.top_mean,
            "bottom_score_mean": self.gap.bottom_mean,
            "gap_status": self.gap.status,
            "gap_percent": json_number(self.percent),
            "gap_reason": self.gap.reason,
            "gap_percent_ci_low": json_number(interval.low) if interval else None,
            "gap_percent_ci_high": json_number(interval.high) if interval else None,
            "ci_defined_share": interval.defined_share if interval else None,
            "low_confidence": self.low_confidence,
            "measured_tier": self.measured_tier,
            "prior_tier": self.prior_tier,
            "prior_gap_percent": self.skill.prior_gap,
            "tier": self.tier,
            "tier_source": self.tier_source,
            "overrides_prior": self.tier_source == "measured",
        }


@dataclass
class GapReport:
    """Every skill's gap, from one ranking of the team."""

    team: Team
    gaps: list[SkillGap]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def as_of(self) -> dt.date:
        return self.team.window.as_of

    @property
    def weak_percentile(self) -> float:
        return float(self.settings["weak_percentile"])

    @property
    def screen_percentile(self) -> float:
        return float(self.settings["screen_percentile"])

    def get(self, name: str) -> SkillGap:
        for gap in self.gaps:
            if gap.name == name:
                return gap
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.team.summary(),
            "settings": self.settings,
            "skills": [gap.to_dict() for gap in self.gaps],
            "notes": self.notes,
        }


def measure_skill(
    team: Team,
    skill: Skill,
    thresholds: Thresholds,
    *,
    with_interval: bool = True,
) -> SkillGap:
    """Measure one skill's gap on the ranked sellers scored on it."""
    performance, scores = team.skill_arrays(skill.name)
    gap = compute_gap(performance, scores, thresholds.group_share)
    minimum = thresholds.min_sellers_for_confidence
    low_confidence = len(team.ranked) < minimum or len(scores) < minimum
    interval = None
    if with_interval and len(scores) > 0:
        resampled = bootstrap_gaps(
            performance,
            scores,
            thresholds.group_share,
            resamples=thresholds.bootstrap_resamples,
            seed=thresholds.bootstrap_seed,
        )
        interval = gap_interval(resampled, INTERVAL_LEVEL)
    measured = (
        None
        if gap.status == "undefined"
        else tier_of_gap(math.inf if gap.percent is None else gap.percent, thresholds)
    )
    assert skill.prior_tier is not None
    tier = skill.prior_tier
    source: TierSource = "prior"
    if measured is not None and not low_confidence:
        tier, source = measured, "measured"
    return SkillGap(
        skill, len(scores), gap, interval, low_confidence, measured, tier, source
    )


def compute_gaps(
    workspace: Workspace,
    *,
    measure: Measure | None = None,
    as_of: str | dt.date | None = None,
    team_filter: TeamFilter | None = None,
    with_interval: bool = True,
) -> GapReport:
    """Rank the team and measure every catalog skill's top-versus-bottom gap."""
    catalog = Catalog.from_settings(workspace.settings)
    team = build_team(
        workspace, catalog, measure=measure, as_of=as_of, team_filter=team_filter
    )
    thresholds = workspace.settings.thresholds
    gaps = [
        measure_skill(team, skill, thresholds, with_interval=with_interval)
        for skill in catalog
    ]
    notes = list(team.notes)
    if len(team.ranked) < thresholds.min_sellers_for_confidence:
        notes.append(
            f"only {len(team.ranked)} ranked sellers (fewer than "
            f"{thresholds.min_sellers_for_confidence}): every gap is low confidence "
            "and each skill keeps its prior tier"
        )
    used = {
        "group_share": thresholds.group_share,
        "tier1_gap_percent": thresholds.tier1_gap_percent,
        "tier2_gap_percent": thresholds.tier2_gap_percent,
        "min_sellers_for_confidence": thresholds.min_sellers_for_confidence,
        "bootstrap_resamples": thresholds.bootstrap_resamples,
        "bootstrap_seed": thresholds.bootstrap_seed,
        "interval_level": INTERVAL_LEVEL,
        "weak_percentile": thresholds.weak_percentile,
        "screen_percentile": thresholds.screen_percentile,
        "ramp_months": workspace.settings.performance.ramp_months,
        "trailing_months": workspace.settings.performance.trailing_months,
    }
    return GapReport(team, gaps, used, notes)
