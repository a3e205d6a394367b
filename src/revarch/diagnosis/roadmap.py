"""The 90-day roadmap: one function per sprint, Tier 1 first, order constraints kept.

Rules:

- Sprints go to Tier 1 and Tier 2 functions whose maturity is below
  ``thresholds.maturity_threshold`` (default 60); a function nobody has
  answered for counts as below it, after the answered ones of its tier.
- Tier 1 before Tier 2; within a tier, lowest maturity first (ties: lower
  function number).
- Order constraints: #6 before #7 and #3, #9 before #10. A function waits
  while a function that must precede it is still to be scheduled.
- One function per 90-day sprint, from the start date; candidates beyond
  ``--sprints`` are listed as later.
- Every other function gets a maintain line; a Tier 3 function below 40
  carries a warning.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from revarch.diagnosis.evidence import trailing_window
from revarch.diagnosis.guardrails import (
    Guardrail,
    PlannedSprint,
    check_enablement_plan,
    check_hiring_profile,
    check_sprint_size,
    check_training_budget,
)
from revarch.diagnosis.playbook import FIRST_STEPS, TIER_LABELS
from revarch.diagnosis.scorecard import FunctionScore, Scorecard
from revarch.errors import InputError
from revarch.framework import Function
from revarch.timeframe import parse_date
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

SPRINT_DAYS = 90
DEFAULT_SPRINTS = 6
# (before, after): the first function must be fixed before the second.
ORDER_CONSTRAINTS: tuple[tuple[int, int], ...] = ((6, 7), (6, 3), (9, 10))
ORDER_REASONS = {
    (6, 7): "the process defines what enablement trains",
    (6, 3): "the process says which competencies matter",
    (9, 10): "pay only on what is measured",
}
TIER3_WARNING_BELOW = 40.0
# Bookings range (base currency) where #6 is the highest-leverage function.
PROCESS_LEVERAGE_RANGE = (3_000_000.0, 30_000_000.0)

Kind = Literal["sprint", "later", "maintain"]


@dataclass
class RoadmapLine:
    """One function's place in the roadmap."""

    kind: Kind
    function: Function
    maturity: float | None
    sprint: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    why: list[str] = field(default_factory=list)
    outcome: dict[str, Any] | None = None
    first_steps: tuple[str, ...] = ()
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        function = self.function
        return {
            "kind": self.kind,
            "sprint": self.sprint,
            "function": function.number,
            "name": function.name,
            "pillar": function.pillar,
            "tier": function.tier,
            "tier_label": TIER_LABELS[function.tier],
            "maturity": None if self.maturity is None else round(self.maturity, 1),
            "starts_on": self.starts_on,
            "ends_on": self.ends_on,
            "why": self.why,
            "outcome": self.outcome,
            "first_steps": list(self.first_steps),
            "warning": self.warning,
        }


@dataclass
class Roadmap:
    """The sprints, the later and maintain lines, and the guardrails."""

    as_of: dt.date
    start: dt.date
    sprints_requested: int
    threshold: float
    lines: list[RoadmapLine]
    guardrails: list[Guardrail] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    roadmap_id: int | None = None
    saved: bool = False

    def of_kind(self, kind: Kind) -> list[RoadmapLine]:
        return [line for line in self.lines if line.kind == kind]

    @property
    def sprints(self) -> list[RoadmapLine]:
        return self.of_kind("sprint")

    def planned(self) -> list[PlannedSprint]:
        return [
            PlannedSprint(line.sprint or 0, (line.function.number,))
            for line in self.sprints
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "window": trailing_window(self.as_of),
            "start": self.start.isoformat(),
            "sprint_days": SPRINT_DAYS,
            "sprints_requested": self.sprints_requested,
            "maturity_threshold": self.threshold,
            "roadmap_id": self.roadmap_id,
            "saved": self.saved,
            "sprints": [line.to_dict() for line in self.sprints],
            "later": [line.to_dict() for line in self.of_kind("later")],
            "maintain": [line.to_dict() for line in self.of_kind("maintain")],
            "guardrails": [guardrail.to_dict() for guardrail in self.guardrails],
            "notes": self.notes,
        }


# -- ordering --------------------------------------------------------------------


def _rank_key(score: FunctionScore) -> tuple[int, int, float, int]:
    unknown = score.maturity is None
    return (score.tier, int(unknown), score.maturity or 0.0, score.number)


def rank_candidates(scores: Sequence[FunctionScore]) -> list[FunctionScore]:
    """Return the Tier 1 and 2 functions below the threshold, in sprint order.

    Tier first, then lowest maturity; a function waits until every function
    that must precede it (and is itself a candidate) is placed.
    """
    pool = sorted(
        (s for s in scores if s.tier in (1, 2) and s.below_threshold), key=_rank_key
    )
    numbers = {score.number for score in pool}
    placed: list[FunctionScore] = []
    done: set[int] = set()
    while pool:
        # The constraints form no cycle, so some candidate is always ready.
        ready = next(s for s in pool if not _waits_for(s.number, numbers, done))
        pool.remove(ready)
        placed.append(ready)
        done.add(ready.number)
    return placed


def _waits_for(function: int, candidates: set[int], done: set[int]) -> set[int]:
    """Return the candidates that must precede ``function`` and are not placed."""
    return {
        before
        for before, after in ORDER_CONSTRAINTS
        if after == function and before in candidates and before not in done
    }


# -- explaining a sprint ----------------------------------------------------------


def explain(
    score: FunctionScore, placed_before: set[int], bookings: float | None
) -> list[str]:
    """Return why a function gets its sprint: maturity, signals, tier and order."""
    reasons = []
    if score.maturity is None:
        reasons.append(
            "not diagnosed yet: nobody has answered for it, so it counts as "
            "below the maturity threshold"
        )
    else:
        reasons.append(
            f"maturity {score.maturity:.1f} is below the threshold "
            f"{score.threshold:g} (rating {score.rating_points:.1f} + facts "
            f"{score.fact_points:.1f} + signals {score.signal_points:.1f} points)"
        )
    reasons.extend(f"{s.title}: {s.evidence}" for s in score.signals if s.fired)
    reasons.extend(score.contradictions)
    reasons.append(f"Tier {score.tier} function ({TIER_LABELS[score.tier]})")
    for before, after in ORDER_CONSTRAINTS:
        if after == score.number and before in placed_before:
            reasons.append(f"comes after #{before} ({ORDER_REASONS[(before, after)]})")
    low, high = PROCESS_LEVERAGE_RANGE
    if score.number == 6 and bookings is not None and low <= bookings <= high:
        reasons.append(
            f"with trailing-12-month bookings of {bookings:,.0f} (between "
            f"{low:,.0f} and {high:,.0f}), #6 is the highest-leverage function"
        )
    return reasons


def _maintain_line(score: FunctionScore) -> RoadmapLine:
    line = RoadmapLine(
        "maintain",
        score.function,
        score.maturity,
        first_steps=FIRST_STEPS[score.number],
    )
    if score.maturity is None:
        line.why.append("not diagnosed yet")
    elif score.below_threshold:
        line.why.append(
            f"maturity {score.maturity:.1f}, below the threshold {score.threshold:g}; "
            f"Tier {score.tier} functions are maintained, not sprinted"
        )
    else:
        line.why.append(
            f"maturity {score.maturity:.1f} meets the threshold {score.threshold:g}"
        )
    if score.tier == 3 and (
        score.maturity is not None and score.maturity < TIER3_WARNING_BELOW
    ):
        line.warning = (
            f"maturity {score.maturity:.1f} is below {TIER3_WARNING_BELOW:g}: keep "
            "the basics running, but do not give it a sprint before Tier 1 and 2"
        )
    return line


# -- the plan ----------------------------------------------------------------------


def plan_roadmap(
    scorecard: Scorecard,
    *,
    start: dt.date,
    sprints: int = DEFAULT_SPRINTS,
    outcomes: dict[int, dict[str, Any]] | None = None,
) -> Roadmap:
    """Plan the sprints from a scorecard: pure, no data access."""
    ranked = rank_candidates(scorecard.functions)
    lines: list[RoadmapLine] = []
    placed: set[int] = set()
    for index, score in enumerate(ranked):
        in_sprint = index < sprints
        line = RoadmapLine(
            "sprint" if in_sprint else "later",
            score.function,
            score.maturity,
            why=explain(score, placed, scorecard.bookings),
            first_steps=FIRST_STEPS[score.number],
        )
        if in_sprint:
            line.sprint = index + 1
            line.starts_on = start + dt.timedelta(days=SPRINT_DAYS * index)
            line.ends_on = line.starts_on + dt.timedelta(days=SPRINT_DAYS - 1)
            line.outcome = (outcomes or {}).get(score.number)
        placed.add(score.number)
        lines.append(line)
    numbers = {score.number for score in ranked}
    lines.extend(
        _maintain_line(score)
        for score in scorecard.functions
        if score.number not in numbers
    )
    return Roadmap(
        as_of=scorecard.as_of,
        start=start,
        sprints_requested=sprints,
        threshold=scorecard.threshold,
        lines=lines,
    )


def add_guardrails(
    workspace: Workspace, roadmap: Roadmap, skill_tiers: dict[str, int]
) -> None:
    """Check the four guardrails on a roadmap and attach them."""
    planned = roadmap.planned()
    roadmap.guardrails = [
        check_sprint_size(planned),
        check_training_budget(workspace, skill_tiers),
        check_hiring_profile(workspace),
        check_enablement_plan(workspace, planned),
    ]


def default_start(as_of: dt.date) -> dt.date:
    """Return the default start of the first sprint: the day after the as-of date."""
    return as_of + dt.timedelta(days=1)


def build_roadmap(
    workspace: Workspace,
    *,
    start: str | dt.date | None = None,
    sprints: int = DEFAULT_SPRINTS,
    as_of: str | dt.date | None = None,
    save: bool = True,
) -> Roadmap:
    """Plan the roadmap from the stored diagnosis and the data, and save it.

    Raises ``InputError`` when nobody has answered the diagnosis yet, or for
    a bad ``start`` or ``sprints``.
    """
    from revarch.diagnosis.roadmap_store import save_roadmap
    from revarch.diagnosis.scorecard import build_scorecard
    from revarch.diagnosis.targets import compute_outcome

    if sprints < 1:
        raise InputError(f"invalid --sprints {sprints}: plan at least 1 sprint")
    scorecard = build_scorecard(workspace, as_of=as_of)
    if not scorecard.answered:
        raise InputError(
            "no diagnosis answers in the workspace; run `revarch diagnose` or "
            "`revarch diagnose --answers FILE.yaml` first"
        )
    first = parse_date(start, "--start") if start else default_start(scorecard.as_of)
    outcomes = scorecard.outcomes
    assert outcomes is not None
    found = {}
    for score in rank_candidates(scorecard.functions)[:sprints]:
        value = compute_outcome(workspace, score.number, scorecard.as_of, outcomes)
        if value is not None:
            found[score.number] = value
    roadmap = plan_roadmap(scorecard, start=first, sprints=sprints, outcomes=found)
    add_guardrails(workspace, roadmap, scorecard.skill_tiers)
    if save:
        save_roadmap(workspace, roadmap)
    return roadmap
