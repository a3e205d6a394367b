"""Pre-hire screening: candidates against the current team's top-quartile scores.

A candidate passes when they score at or above the team's ``screen_percentile``
(default 75th) in at least ``min_tier1`` (default 3) of the screening skills
(the catalog's system skills unless ``skills.screening_skills`` names others).
A skill the candidate was not assessed on counts as not met.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from revarch.errors import InputError
from revarch.talent.assessments import latest_scores
from revarch.talent.catalog import Catalog
from revarch.talent.team import Team, TeamFilter, build_team, talent_as_of
from revarch.timeframe import Window
from revarch.workspace import Workspace


@dataclass
class SkillCheck:
    """A candidate's score on one screening skill against the team threshold."""

    skill: str
    score: float | None
    threshold: float | None

    @property
    def met(self) -> bool:
        return (
            self.score is not None
            and self.threshold is not None
            and self.score >= self.threshold
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "skill": self.skill,
            "score": self.score,
            "threshold": self.threshold,
            "met": self.met,
        }


@dataclass
class Screen:
    """One candidate's screening result."""

    candidate: str
    candidate_name: str | None
    checks: list[SkillCheck]
    min_tier1: int

    @property
    def met_count(self) -> int:
        return sum(check.met for check in self.checks)

    @property
    def passed(self) -> bool:
        return self.met_count >= self.min_tier1

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "candidate_name": self.candidate_name,
            "passed": self.passed,
            "skills_met": self.met_count,
            "skills_required": self.min_tier1,
            "skills": [check.to_dict() for check in self.checks],
        }


@dataclass
class ScreenReport:
    """Screening results and the thresholds they used."""

    window: Window
    percentile: float
    min_tier1: int
    thresholds: dict[str, float | None]
    team_size: int
    screens: list[Screen]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "percentile": self.percentile,
            "min_tier1": self.min_tier1,
            "team_size": self.team_size,
            "thresholds": self.thresholds,
            "candidates": [screen.to_dict() for screen in self.screens],
            "notes": self.notes,
        }


def team_thresholds(
    team: Team, catalog: Catalog, percentile: float
) -> dict[str, float | None]:
    """Return the team's percentile score per screening skill (None if unscored)."""
    thresholds: dict[str, float | None] = {}
    for skill in catalog.screening_skills:
        scores = team.team_scores(skill.name)
        thresholds[skill.name] = (
            float(np.percentile(scores, percentile)) if len(scores) else None
        )
    return thresholds


def _min_tier1(value: int | None, default: int, skills: int) -> int:
    chosen = default if value is None else value
    if not 1 <= chosen <= skills:
        raise InputError(
            f"invalid --min-tier1 {chosen}: use a number from 1 to {skills}, the "
            "number of screening skills"
        )
    return chosen


def _candidate_scores(
    workspace: Workspace, catalog: Catalog, day: dt.date
) -> tuple[dict[str, dict[str, float]], dict[str, str | None], list[str]]:
    """Return each candidate's latest scores, their names and the read notes."""
    latest = latest_scores(workspace, catalog, kind="candidate", as_of=day)
    scores: dict[str, dict[str, float]] = {}
    names: dict[str, str | None] = {}
    for row in latest.rows:
        scores.setdefault(row["person_id"], {})[row["skill"]] = float(row["score"])
        names[row["person_id"]] = row["person_name"]
    return scores, names, latest.notes


def _screen_notes(
    thresholds: dict[str, float | None], screens: list[Screen], day: dt.date
) -> list[str]:
    notes = []
    if not screens:
        notes.append(f"no candidate assessments on or before {day.isoformat()}")
    unscored = [name for name, value in thresholds.items() if value is None]
    if unscored:
        notes.append(
            f"no ranked seller is scored on {', '.join(unscored)}, so no candidate "
            "can meet those skills"
        )
    return notes


def screen_candidates(
    workspace: Workspace,
    candidate: str | None = None,
    *,
    min_tier1: int | None = None,
    as_of: str | dt.date | None = None,
    team_filter: TeamFilter | None = None,
) -> ScreenReport:
    """Screen one candidate (or every candidate when ``candidate`` is None)."""
    settings = workspace.settings
    catalog = Catalog.from_settings(settings)
    required = _min_tier1(
        min_tier1, settings.thresholds.screen_min_tier1, len(catalog.screening_names)
    )
    day = talent_as_of(workspace, as_of)

    team = build_team(workspace, catalog, as_of=day, team_filter=team_filter)
    percentile = settings.thresholds.screen_percentile
    thresholds = team_thresholds(team, catalog, percentile)

    scores, names, read_notes = _candidate_scores(workspace, catalog, day)
    if candidate is not None and candidate not in scores:
        known = ", ".join(sorted(scores)[:20]) or "none"
        raise InputError(
            f"candidate {candidate!r} has no candidate assessment on or before "
            f"{day.isoformat()}; assessed candidates: {known}"
        )
    chosen = sorted(scores) if candidate is None else [candidate]
    screens = [
        Screen(
            person,
            names.get(person),
            [
                SkillCheck(name, scores[person].get(name), threshold)
                for name, threshold in thresholds.items()
            ],
            required,
        )
        for person in chosen
    ]

    notes = read_notes + team.notes + _screen_notes(thresholds, screens, day)
    return ScreenReport(
        team.window, percentile, required, thresholds, len(team.ranked), screens, notes
    )
