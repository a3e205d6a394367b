"""Leader perception: how far leaders' ratings of their sellers exceed the scores.

Each leader's latest rating of a seller's skill counts, and several leaders
rating the same seller and skill are averaged. The measured score is the
seller's latest assessment. Overestimation is
``(mean leader rating - mean measured) / mean measured * 100`` over the
seller-skill pairs that have both, per skill and overall.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from revarch.talent.assessments import assessment_rows, latest_scores
from revarch.talent.catalog import Catalog
from revarch.talent.gaps import json_number
from revarch.talent.team import talent_as_of
from revarch.timeframe import Window
from revarch.workspace import Workspace


def overestimation(rated: list[float], measured: list[float]) -> float | None:
    """Return ``(mean rated - mean measured) / mean measured * 100``.

    ``inf`` when the measured mean is 0 and the rated mean is not; None
    without pairs or when both means are 0.
    """
    if not rated:
        return None
    rated_mean = fmean(rated)
    measured_mean = fmean(measured)
    if measured_mean == 0:
        return math.inf if rated_mean > 0 else None
    return (rated_mean - measured_mean) / measured_mean * 100


@dataclass
class PerceptionReport:
    """Leader overestimation per skill and overall."""

    window: Window
    skills: list[dict[str, Any]]
    overall: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "skills": self.skills,
            "overall": self.overall,
            "notes": self.notes,
        }


def _leader_ratings(
    workspace: Workspace, catalog: Catalog, as_of: dt.date
) -> tuple[dict[tuple[str, str], tuple[float, int]], list[str]]:
    """Return (seller, skill) -> (mean over raters, raters) of each rater's latest."""
    rows, notes = assessment_rows(workspace, catalog, kind="leader_rating", as_of=as_of)
    group = ["person_id", "skill", "rater"]
    rows = rows.mutate(_latest=rows.assessed_on.max().over(group_by=group))
    rows = rows.filter(rows.assessed_on == rows._latest)
    per_rater = rows.group_by(group).aggregate(score=rows.score.mean())
    per_pair = per_rater.group_by(["person_id", "skill"]).aggregate(
        rating=per_rater.score.mean(), raters=per_rater.count()
    )
    found = workspace.store.rows(per_pair)
    ratings = {
        (r["person_id"], r["skill"]): (float(r["rating"]), int(r["raters"]))
        for r in found
    }
    return ratings, notes


def _summary(rated: list[float], measured: list[float]) -> dict[str, Any]:
    return {
        "pairs": len(rated),
        "leader_rating_mean": fmean(rated) if rated else None,
        "measured_score_mean": fmean(measured) if measured else None,
        "overestimation_percent": json_number(overestimation(rated, measured)),
    }


def _pairs(
    ratings: dict[tuple[str, str], tuple[float, int]],
    scores: dict[tuple[str, str], float],
) -> tuple[dict[str, list[tuple[float, float]]], int]:
    """Pair each rating with the measured score, per skill; count the unpaired."""
    pairs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    unmatched = 0
    for key, (rating, _raters) in sorted(ratings.items()):
        if key not in scores:
            unmatched += 1
            continue
        pairs[key[1]].append((rating, scores[key]))
    return pairs, unmatched


def compute_perception(
    workspace: Workspace, *, as_of: str | dt.date | None = None
) -> PerceptionReport:
    """Compare leaders' ratings with measured scores, per skill and overall."""
    catalog = Catalog.from_settings(workspace.settings)
    day = talent_as_of(workspace, as_of)
    ratings, notes = _leader_ratings(workspace, catalog, day)
    measured = latest_scores(workspace, catalog, kind="seller", as_of=day)
    scores = {(r["person_id"], r["skill"]): float(r["score"]) for r in measured.rows}
    pairs, unmatched = _pairs(ratings, scores)

    skills = []
    for skill in catalog.names:
        if skill in pairs:
            rated = [p[0] for p in pairs[skill]]
            skills.append(
                {"skill": skill, **_summary(rated, [p[1] for p in pairs[skill]])}
            )
    everything = [pair for skill_pairs in pairs.values() for pair in skill_pairs]
    overall = _summary([p[0] for p in everything], [p[1] for p in everything])

    notes = notes + measured.notes
    if unmatched:
        notes.append(
            f"{unmatched} leader ratings have no measured seller score on or before "
            f"{day.isoformat()} and were left out"
        )
    if not ratings:
        notes.append("no leader ratings on or before the as-of date")
    return PerceptionReport(Window("snapshot", None, None, day), skills, overall, notes)
