"""The scorecard: maturity 0-100 of the 11 functions, with its parts and evidence.

Maturity of a function, from every respondent's latest complete answer:

    rating points  = mean over respondents of (rating - 1) x 12.5      (0-50)
    fact points    = mean over respondents of 20 if formal process
                     + 15 if it does not depend on one person
                     + 15 if measured with someone accountable        (0-50)
    signal points  = sum of the points of the fired data signals      (<= 0)
    maturity       = rating points + fact points + signal points, kept in 0-100

A fired signal that settles a fact (no stage history: #6 is not measured)
replaces every respondent's answer to that fact before the fact points are
computed.

Perception gap, per respondent: the rating on a 0-100 scale ((rating - 1) x
25) minus the evidence score (2 x fact points + signal points, kept in
0-100). A positive gap means the rating is above what the facts and the data
support.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from revarch.diagnosis import evidence
from revarch.diagnosis.answers import FACTS, FunctionAnswer, Respondent
from revarch.diagnosis.guardrails import (
    Guardrail,
    check_enablement_built,
    check_hiring_profile,
    check_training_budget,
)
from revarch.diagnosis.playbook import TIER_LABELS
from revarch.diagnosis.signals import Signal, compute_signals, signals_for
from revarch.framework import FUNCTIONS, PILLARS, Function
from revarch.timeframe import resolve_as_of
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

RATING_POINTS_PER_STEP = 12.5
FACT_POINTS = {"formal_process": 20.0, "depends_on_one_person": 15.0, "measured": 15.0}
# A fact earns its points when the answer is this value.
FACT_GOOD = {"formal_process": True, "depends_on_one_person": False, "measured": True}
# Ratings further apart than this, or split facts, mark a disagreement.
DISAGREEMENT_SPREAD = 2
# A perception gap of at least one rating step (25 points) is overestimation.
OVERESTIMATION_POINTS = 25.0


@dataclass(frozen=True)
class Response:
    """One respondent's answer for one function."""

    respondent: str
    role: str
    answer: FunctionAnswer


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def settled_facts(signals: list[Signal]) -> dict[str, bool]:
    """Return the facts that fired signals settle, and the value they settle on."""
    return {
        signal.contradicts[0]: signal.contradicts[1]
        for signal in signals
        if signal.fired and signal.contradicts is not None
    }


def fact_points(answer: FunctionAnswer, settled: dict[str, bool]) -> float:
    """Return the fact points (0-50) of one answer, with data-settled facts applied."""
    total = 0.0
    for name in FACTS:
        value = settled.get(name, answer.fact(name))
        if value == FACT_GOOD[name]:
            total += FACT_POINTS[name]
    return total


def rating_points(answer: FunctionAnswer) -> float:
    """Return the rating points (0-50) of one answer."""
    return (answer.rating - 1) * RATING_POINTS_PER_STEP


@dataclass
class FunctionScore:
    """One function's maturity, its parts, its evidence and the responses."""

    function: Function
    responses: list[Response]
    signals: list[Signal]
    threshold: float
    rating_points: float | None = None
    fact_points: float | None = None
    signal_points: float = 0.0
    maturity: float | None = None
    perception: list[dict[str, Any]] = field(default_factory=list)
    contradictions: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.function.number

    @property
    def tier(self) -> int:
        return self.function.tier

    @property
    def below_threshold(self) -> bool:
        return self.maturity is None or self.maturity < self.threshold

    def share(self, fact: str) -> float | None:
        """Return the share of respondents answering yes to a fact."""
        if not self.responses:
            return None
        return mean(1.0 if r.answer.fact(fact) else 0.0 for r in self.responses)

    @property
    def rating_mean(self) -> float | None:
        if not self.responses:
            return None
        return mean(r.answer.rating for r in self.responses)

    @property
    def perception_gap(self) -> float | None:
        if not self.perception:
            return None
        return mean(item["perception_gap"] for item in self.perception)

    @property
    def measured(self) -> bool | None:
        """Return whether the function counts as measured: data first, then majority."""
        settled = settled_facts(self.signals)
        if "measured" in settled:
            return settled["measured"]
        share = self.share("measured")
        return None if share is None else share > 0.5

    def disagreement(self) -> dict[str, Any] | None:
        """Return the spread of ratings and the split facts among respondents."""
        if len(self.responses) < 2:
            return None
        ratings = [r.answer.rating for r in self.responses]
        split = [
            fact
            for fact in FACTS
            if len({r.answer.fact(fact) for r in self.responses}) > 1
        ]
        spread = max(ratings) - min(ratings)
        return {
            "rating_min": min(ratings),
            "rating_max": max(ratings),
            "rating_spread": spread,
            "split_facts": split,
            "disagree": spread >= DISAGREEMENT_SPREAD or bool(split),
            "ratings": {r.respondent: r.answer.rating for r in self.responses},
        }

    def to_dict(self) -> dict[str, Any]:
        function = self.function
        return {
            "function": function.number,
            "name": function.name,
            "pillar": function.pillar,
            "tier": function.tier,
            "tier_label": TIER_LABELS[function.tier],
            "maturity": _round(self.maturity),
            "maturity_parts": {
                "rating_points": _round(self.rating_points),
                "fact_points": _round(self.fact_points),
                "signal_points": _round(self.signal_points),
            },
            "below_threshold": self.below_threshold,
            "respondents": len(self.responses),
            "rating_mean": _round(self.rating_mean),
            "formal_process_share": self.share("formal_process"),
            "hero_dependency_share": self.share("depends_on_one_person"),
            "measured_share": self.share("measured"),
            "measured": self.measured,
            "perception_gap": _round(self.perception_gap),
            "perception": self.perception,
            "contradictions": self.contradictions,
            "disagreement": self.disagreement(),
            "signals": [signal.to_dict() for signal in self.signals],
            "notes": {r.respondent: r.answer.notes for r in self.responses},
        }


def score_function(
    function: Function,
    responses: list[Response],
    signals: list[Signal],
    threshold: float,
) -> FunctionScore:
    """Compute one function's maturity from its responses and its signals."""
    own = signals_for(signals, function.number)
    score = FunctionScore(function, responses, own, threshold)
    score.signal_points = sum(signal.points for signal in own if signal.fired)
    if not responses:
        return score
    settled = settled_facts(own)
    score.rating_points = mean(rating_points(r.answer) for r in responses)
    score.fact_points = mean(fact_points(r.answer, settled) for r in responses)
    total = score.rating_points + score.fact_points + score.signal_points
    score.maturity = _clamp(total)
    score.perception = [
        _perception(response, settled, score.signal_points) for response in responses
    ]
    score.contradictions = _contradictions(function, responses, own)
    return score


def _perception(
    response: Response, settled: dict[str, bool], signal_points: float
) -> dict[str, Any]:
    rating = (response.answer.rating - 1) * 25.0
    evidence_score = _clamp(2 * fact_points(response.answer, settled) + signal_points)
    return {
        "respondent": response.respondent,
        "role": response.role,
        "rating_score": rating,
        "evidence_score": round(evidence_score, 1),
        "perception_gap": round(rating - evidence_score, 1),
    }


def _contradictions(
    function: Function, responses: list[Response], signals: list[Signal]
) -> list[str]:
    found = []
    for signal in signals:
        if not signal.fired or signal.contradicts is None:
            continue
        fact, value = signal.contradicts
        claim = [r.respondent for r in responses if r.answer.fact(fact) != value]
        if claim:
            answered = "yes" if not value else "no"
            found.append(
                f"{', '.join(claim)} answered {answered} to {fact} for "
                f"#{function.number}, but the data says otherwise: {signal.evidence}"
            )
    return found


# -- the whole scorecard ---------------------------------------------------------


@dataclass
class Scorecard:
    """The 11 functions' scores, the respondents, the signals and the guardrails."""

    as_of: dt.date
    threshold: float
    respondents: list[Respondent]
    functions: list[FunctionScore]
    signals: list[Signal]
    guardrails: list[Guardrail]
    outcomes: evidence.Outcomes | None = None
    skill_tiers: dict[str, int] = field(default_factory=dict)

    @property
    def bookings(self) -> float | None:
        """Return the trailing-12-month bookings, when the data was read."""
        return None if self.outcomes is None else self.outcomes.bookings

    def get(self, number: int) -> FunctionScore:
        for score in self.functions:
            if score.number == number:
                return score
        raise KeyError(number)

    @property
    def answered(self) -> bool:
        return any(score.responses for score in self.functions)

    def pillars(self) -> list[dict[str, Any]]:
        """Return the mean maturity of each pillar's answered functions."""
        result = []
        for pillar in PILLARS:
            scores = [
                s.maturity
                for s in self.functions
                if s.function.pillar == pillar and s.maturity is not None
            ]
            result.append(
                {
                    "pillar": pillar,
                    "maturity_mean": _round(mean(scores) if scores else None),
                }
            )
        return result

    def overestimation(self) -> list[dict[str, Any]]:
        """Return each respondent's mean rating and evidence score, and the gap."""
        rows: dict[str, list[dict[str, Any]]] = {}
        for score in self.functions:
            for item in score.perception:
                rows.setdefault(item["respondent"], []).append(item)
        result = []
        for name, items in sorted(rows.items()):
            rating = mean(item["rating_score"] for item in items)
            found = mean(item["evidence_score"] for item in items)
            result.append(
                {
                    "respondent": name,
                    "role": items[0]["role"],
                    "rating_score_mean": round(rating, 1),
                    "evidence_score_mean": round(found, 1),
                    "perception_gap": round(rating - found, 1),
                    "overestimation_percent": (
                        round((rating - found) / found * 100, 1) if found else None
                    ),
                    "overestimates": rating - found >= OVERESTIMATION_POINTS,
                }
            )
        return result

    def disagreements(self) -> list[dict[str, Any]]:
        """Return the functions where respondents disagree."""
        found = []
        for score in self.functions:
            spread = score.disagreement()
            if spread is not None and spread["disagree"]:
                found.append({"function": score.number, **spread})
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "window": evidence.trailing_window(self.as_of),
            "maturity_threshold": self.threshold,
            "respondents": [item.summary() for item in self.respondents],
            "functions": [score.to_dict() for score in self.functions],
            "pillars": self.pillars(),
            "disagreements": self.disagreements(),
            "overestimation": self.overestimation(),
            "signals": [signal.to_dict() for signal in self.signals],
            "guardrails": [guardrail.to_dict() for guardrail in self.guardrails],
        }


def collect_responses(respondents: list[Respondent]) -> dict[int, list[Response]]:
    """Return every respondent's latest complete answer, per function."""
    result: dict[int, list[Response]] = {f.number: [] for f in FUNCTIONS}
    for person in respondents:
        for number, answer in person.answers.items():
            result[number].append(Response(person.name, person.role, answer))
    return result


def score_functions(
    respondents: list[Respondent], signals: list[Signal], threshold: float
) -> list[FunctionScore]:
    """Score all 11 functions from the respondents' answers and the signals."""
    responses = collect_responses(respondents)
    return [
        score_function(function, responses[function.number], signals, threshold)
        for function in FUNCTIONS
    ]


def build_scorecard(
    workspace: Workspace, *, as_of: str | dt.date | None = None
) -> Scorecard:
    """Read the stored answers and the data signals and score the 11 functions."""
    from revarch.diagnosis.answers import load_respondents

    day = resolve_as_of(workspace, as_of)
    outcomes = evidence.compute_outcomes(workspace, evidence.trailing_span(day))
    gaps = evidence.compute_skill_gaps(workspace, day)
    signals = compute_signals(workspace, day, outcomes=outcomes, gaps=gaps)
    respondents = load_respondents(workspace)
    threshold = workspace.settings.thresholds.maturity_threshold
    functions = score_functions(respondents, signals, threshold)
    enablement = next(score for score in functions if score.number == 7)
    tiers = evidence.skill_tiers(workspace, gaps)
    guardrails = [
        check_training_budget(workspace, tiers),
        check_hiring_profile(workspace),
        check_enablement_built(
            workspace, enablement.share("formal_process"), enablement.rating_mean
        ),
    ]
    return Scorecard(
        as_of=day,
        threshold=threshold,
        respondents=respondents,
        functions=functions,
        signals=signals,
        guardrails=guardrails,
        outcomes=outcomes,
        skill_tiers=tiers,
    )
