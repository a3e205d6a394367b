"""Review a company's own roadmap file for guardrail and ordering violations.

The plan file lists sprints in order, each with its functions (numbers 1-11
or names) and an optional start date, and may carry its own
``training_budget`` and ``hiring_profile`` (else the settings' are used)::

    sprints:
      - functions: [6]
        start: 2025-07-01
      - functions: [7, 3]
    training_budget: {Hunting: 20000, Presentation: 5000}
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from revarch.config import HiringProfile, format_validation_error
from revarch.diagnosis.answers import resolve_function
from revarch.diagnosis.evidence import trailing_window
from revarch.diagnosis.guardrails import (
    Guardrail,
    PlannedSprint,
    check_enablement_plan,
    check_hiring_profile,
    check_sprint_size,
    check_training_budget,
)
from revarch.diagnosis.roadmap import ORDER_CONSTRAINTS, ORDER_REASONS, SPRINT_DAYS
from revarch.diagnosis.scorecard import FunctionScore, Scorecard, build_scorecard
from revarch.errors import InputError
from revarch.framework import get_function
from revarch.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class PlanFile:
    """A plan as read from its file."""

    path: Path
    sprints: list[PlannedSprint]
    starts: dict[int, dt.date]
    training_budget: dict[str, float] | None = None
    hiring_profile: HiringProfile | None = None


@dataclass
class PlanCheck:
    """The findings on a plan: every guardrail and ordering check."""

    path: Path
    as_of: dt.date
    sprints: list[PlannedSprint]
    findings: list[Guardrail] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[Guardrail]:
        return [finding for finding in self.findings if finding.fired]

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": str(self.path),
            "as_of": self.as_of.isoformat(),
            "window": trailing_window(self.as_of),
            "sprints": [
                {"sprint": sprint.number, "functions": list(sprint.functions)}
                for sprint in self.sprints
            ],
            "ok": not self.warnings,
            "warnings": len(self.warnings),
            "findings": [finding.to_dict() for finding in self.findings],
            "notes": self.notes,
        }


# -- reading the file ---------------------------------------------------------------


def read_plan_file(path: Path) -> PlanFile:
    """Read and check a plan file; raise ``InputError`` naming the key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the plan file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with a sprints list")
    unknown = set(data) - {"sprints", "training_budget", "hiring_profile"}
    if unknown:
        raise InputError(
            f"{path}: unknown key {sorted(map(str, unknown))[0]!r}; use sprints, "
            "training_budget and hiring_profile"
        )
    entries = data.get("sprints")
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: sprints: missing; list the sprints in order")
    plan = PlanFile(path, [], {})
    for number, entry in enumerate(entries, start=1):
        functions, start = _read_sprint(entry, f"{path}: sprints[{number - 1}]")
        plan.sprints.append(PlannedSprint(number, functions))
        if start is not None:
            plan.starts[number] = start
    plan.training_budget = _read_budget(data.get("training_budget"), path)
    plan.hiring_profile = _read_profile(data.get("hiring_profile"), path)
    return plan


def _read_sprint(entry: Any, where: str) -> tuple[tuple[int, ...], dt.date | None]:
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a mapping with functions, not {entry!r}")
    unknown = set(entry) - {"functions", "function", "start", "name"}
    if unknown:
        raise InputError(
            f"{where}.{sorted(map(str, unknown))[0]}: unknown key; use functions, "
            "start and name"
        )
    raw = entry.get("functions", entry.get("function"))
    if raw is None or raw == []:
        raise InputError(f"{where}.functions: missing; name at least one function")
    items = raw if isinstance(raw, list) else [raw]
    functions = tuple(
        resolve_function(item, f"{where}.functions[{index}]")
        for index, item in enumerate(items)
    )
    return functions, _read_start(entry.get("start"), f"{where}.start")


def _read_start(value: Any, where: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"{where}: {value!r} is not a date; use YYYY-MM-DD") from None


def _read_budget(value: Any, path: Path) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError(f"{path}: training_budget: expected skill: amount pairs")
    budget = {}
    for name, amount in value.items():
        if (
            isinstance(amount, bool)
            or not isinstance(amount, int | float)
            or amount < 0
        ):
            raise InputError(
                f"{path}: training_budget.{name}: {amount!r} is not an amount; use "
                "a number of 0 or more"
            )
        budget[str(name)] = float(amount)
    return budget


def _read_profile(value: Any, path: Path) -> HiringProfile | None:
    if value is None:
        return None
    try:
        return HiringProfile.model_validate(value)
    except ValidationError as exc:
        message = format_validation_error(path, exc).replace(
            "\n  ", "\n  hiring_profile."
        )
        raise InputError(message) from exc


# -- the checks ------------------------------------------------------------------------


def _sprint_of(sprints: list[PlannedSprint], function: int) -> int | None:
    found = [sprint.number for sprint in sprints if function in sprint.functions]
    return min(found) if found else None


def _describe(score: FunctionScore) -> str:
    if score.maturity is None:
        return "not diagnosed"
    return f"maturity {score.maturity:.1f}"


def check_order(scorecard: Scorecard, sprints: list[PlannedSprint]) -> list[Guardrail]:
    """Check the order constraints: #6 before #7 and #3, #9 before #10."""
    findings = []
    for before, after in ORDER_CONSTRAINTS:
        later = _sprint_of(sprints, after)
        if later is None:
            continue
        first = _sprint_of(sprints, before)
        score = scorecard.get(before)
        finding_id = f"order_{before}_before_{after}"
        title = f"#{before} before #{after}"
        reason = ORDER_REASONS[(before, after)]
        if first is not None and first < later:
            text = f"#{before} in sprint {first}, #{after} in sprint {later}"
            findings.append(Guardrail(finding_id, title, "pass", text))
        elif first is not None:
            findings.append(
                Guardrail(
                    finding_id,
                    title,
                    "warning",
                    f"#{after} is in sprint {later} but #{before} only in sprint "
                    f"{first}; fix #{before} first ({reason})",
                )
            )
        elif score.below_threshold:
            findings.append(
                Guardrail(
                    finding_id,
                    title,
                    "warning",
                    f"#{after} is in sprint {later} but #{before} "
                    f"({_describe(score)}, below the threshold "
                    f"{scorecard.threshold:g}) is not planned before it ({reason})",
                )
            )
        else:
            text = f"#{before} is mature ({_describe(score)}); #{after} may go ahead"
            findings.append(Guardrail(finding_id, title, "pass", text))
    return findings


def _skipped(
    scorecard: Scorecard, sprints: list[PlannedSprint], sprint: int, tier: int
) -> list[FunctionScore]:
    """Return functions of a tier above ``tier``, below the threshold, planned later."""
    return [
        score
        for score in scorecard.functions
        if score.tier < tier
        and score.below_threshold
        and (_sprint_of(sprints, score.number) or sprint + 1) > sprint
    ]


def check_tiers(scorecard: Scorecard, sprints: list[PlannedSprint]) -> list[Guardrail]:
    """Warn when a function comes before a weaker function of a higher tier.

    A Tier 2 or 3 function planned while a Tier 1 (or, for Tier 3, a Tier 2)
    function below the threshold is not planned earlier breaks tier order.
    """
    problems = []
    for sprint in sprints:
        for number in sprint.functions:
            tier = get_function(number).tier
            skipped = _skipped(scorecard, sprints, sprint.number, tier)
            if not skipped:
                continue
            names = ", ".join(
                f"#{score.number} (Tier {score.tier}, {_describe(score)})"
                for score in skipped
            )
            problems.append(
                f"sprint {sprint.number}: #{number} (Tier {tier}) comes before "
                f"functions below the threshold: {names}"
            )
    title = "Tier 1 first"
    if problems:
        text = "; ".join(problems) + ". Tier 1 functions pay first, then Tier 2; "
        text += "Tier 3 ones are maintained, not sprinted"
        return [Guardrail("tier_order", title, "warning", text)]
    return [Guardrail("tier_order", title, "pass", "no function ahead of its tier")]


def check_overlap(plan: PlanFile) -> Guardrail | None:
    """Warn when two dated sprints start less than 90 days apart."""
    dated = sorted(plan.starts.items())
    if len(dated) < 2:
        return None
    close = [
        f"sprint {a} ({day_a.isoformat()}) and sprint {b} ({day_b.isoformat()})"
        for (a, day_a), (b, day_b) in zip(dated, dated[1:], strict=False)
        if (day_b - day_a).days < SPRINT_DAYS
    ]
    title = "90-day sprints"
    if close:
        return Guardrail(
            "sprint_overlap",
            title,
            "warning",
            f"start less than {SPRINT_DAYS} days apart: {'; '.join(close)}; "
            "overlapping sprints run several functions at once",
        )
    return Guardrail("sprint_overlap", title, "pass", "dated sprints do not overlap")


def check_plan(
    workspace: Workspace, path: Path, *, as_of: str | dt.date | None = None
) -> PlanCheck:
    """Review a plan file against the guardrails, the order constraints and tiers."""
    plan = read_plan_file(path)
    scorecard = build_scorecard(workspace, as_of=as_of)
    result = PlanCheck(path, scorecard.as_of, plan.sprints)

    if not scorecard.answered:
        result.notes.append(
            "no diagnosis answers: every function counts as below the maturity "
            "threshold; run `revarch diagnose` for a sharper review"
        )
    budget_key = "training_budget"
    if plan.training_budget is not None:
        budget_key = f"{path}: training_budget"
    profile_key = "hiring_profile"
    if plan.hiring_profile is not None:
        profile_key = f"{path}: hiring_profile"

    overlap = check_overlap(plan)
    result.findings = [
        check_sprint_size(plan.sprints),
        *([overlap] if overlap else []),
        check_training_budget(
            workspace,
            scorecard.skill_tiers,
            plan.training_budget,
            key=budget_key,
        ),
        check_hiring_profile(
            workspace,
            plan.hiring_profile,
            key=profile_key,
        ),
        check_enablement_plan(workspace, plan.sprints),
        *check_order(scorecard, plan.sprints),
        *check_tiers(scorecard, plan.sprints),
    ]
    log.info("checked plan %s: %s warnings", path, len(result.warnings))
    return result
