"""Guardrails: the four common mistakes, each a warning with its evidence.

1. More than one function in one sprint.
2. A training budget that gives Tier 3 skills a larger share than Tier 1.
3. A hiring profile without competency thresholds (hiring on experience).
4. Enablement (#7) planned or built before the sales process exists.

A guardrail is ``warning`` when the mistake is found, ``pass`` when it was
checked and not found, and ``not_applicable`` when its input is missing
(no plan, no budget, no hiring profile).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from revarch.config import HiringProfile
from revarch.errors import ConfigError
from revarch.talent.catalog import Catalog
from revarch.workspace import Workspace

log = logging.getLogger(__name__)

Status = Literal["warning", "pass", "not_applicable"]

ENABLEMENT = 7
PROCESS = 6


@dataclass
class Guardrail:
    """One guardrail's verdict and the evidence behind it."""

    id: str
    title: str
    status: Status
    evidence: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def fired(self) -> bool:
        return self.status == "warning"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "evidence": self.evidence,
            "values": self.values,
        }


@dataclass(frozen=True)
class PlannedSprint:
    """A sprint of a plan: its number (1-based) and the functions in it."""

    number: int
    functions: tuple[int, ...]


# -- 1. one function per sprint --------------------------------------------------


def check_sprint_size(sprints: Sequence[PlannedSprint]) -> Guardrail:
    """Warn for every sprint with more than one function."""
    title = "one function per sprint"
    if not sprints:
        return Guardrail("one_function_per_sprint", title, "not_applicable", "no plan")
    crowded = [sprint for sprint in sprints if len(set(sprint.functions)) > 1]
    if not crowded:
        return Guardrail(
            "one_function_per_sprint",
            title,
            "pass",
            f"each of the {len(sprints)} sprints has one function",
        )
    parts = [
        f"sprint {sprint.number} has {', '.join(f'#{n}' for n in sprint.functions)}"
        for sprint in crowded
    ]
    return Guardrail(
        "one_function_per_sprint",
        title,
        "warning",
        "; ".join(parts) + ". Fixing several functions at once succeeds about "
        "12% of the time, one function per quarter about 87%: split them into "
        "separate 90-day sprints",
        {"sprints": [sprint.number for sprint in crowded]},
    )


# -- 2. training budget ------------------------------------------------------------


def check_training_budget(
    workspace: Workspace,
    skill_tiers: Mapping[str, int],
    budget: Mapping[str, float] | None = None,
    *,
    key: str = "training_budget",
) -> Guardrail:
    """Warn when Tier 3 skills get a larger share of the budget than Tier 1 skills.

    ``skill_tiers`` maps catalog skill names to their tier (measured where the
    gap is confident, else the prior). ``budget`` defaults to the settings'
    ``training_budget``; an unknown skill raises ``ConfigError`` naming
    ``key``.
    """
    title = "training budget on Tier 1 skills"
    budget = workspace.settings.training_budget if budget is None else budget
    total = sum(budget.values())
    if not budget or total <= 0:
        return Guardrail(
            "training_budget", title, "not_applicable", f"{key} is not set"
        )
    catalog = Catalog.from_settings(workspace.settings)
    by_tier = {1: 0.0, 2: 0.0, 3: 0.0}
    for name, amount in budget.items():
        skill = catalog.find(name)
        if skill is None:
            raise ConfigError(
                f"{key}.{name}: unknown skill; use one of: {', '.join(catalog.names)}"
            )
        by_tier[skill_tiers.get(skill.name, skill.prior_tier or 2)] += amount
    shares = {tier: amount / total for tier, amount in by_tier.items()}
    values = {f"tier{tier}_share": round(share, 4) for tier, share in shares.items()}
    text = (
        f"Tier 1 skills get {shares[1]:.0%} of the {total:,.0f} budget, Tier 2 "
        f"{shares[2]:.0%}, Tier 3 {shares[3]:.0%}"
    )
    if shares[3] > shares[1]:
        return Guardrail(
            "training_budget",
            title,
            "warning",
            f"{text}. Tier 3 skills have the smallest gaps (18-117%) and a 3-5x "
            "lower return: move budget to the Tier 1 skills",
            values,
        )
    return Guardrail("training_budget", title, "pass", text, values)


# -- 3. hiring profile ---------------------------------------------------------------


def check_hiring_profile(
    workspace: Workspace,
    profile: HiringProfile | None = None,
    *,
    key: str = "hiring_profile",
) -> Guardrail:
    """Warn when a hiring profile has no competency thresholds."""
    title = "hiring on competencies"
    profile = workspace.settings.hiring_profile if profile is None else profile
    if profile is None:
        return Guardrail("hiring_profile", title, "not_applicable", f"{key} is not set")
    catalog = Catalog.from_settings(workspace.settings)
    for name in [*profile.competency_thresholds, *profile.required_competencies]:
        if catalog.find(name) is None:
            raise ConfigError(
                f"{key}: unknown skill {name!r}; use one of: {', '.join(catalog.names)}"
            )
    thresholds = profile.competency_thresholds
    values = {
        "competency_thresholds": len(thresholds),
        "min_experience_years": profile.min_experience_years,
    }
    if not thresholds:
        asked = (
            f"asks for {profile.min_experience_years:g} years of experience but "
            if profile.min_experience_years is not None
            else ""
        )
        return Guardrail(
            "hiring_profile",
            title,
            "warning",
            f"the hiring profile {asked}sets no competency thresholds: set "
            f"{key}.competency_thresholds (for example the team's top-quartile "
            "scores in the Tier 1 skills) and assess candidates before the "
            "interview",
            values,
        )
    named = ", ".join(f"{name} {score:g}" for name, score in thresholds.items())
    return Guardrail(
        "hiring_profile", title, "pass", f"candidates must reach {named}", values
    )


# -- 4. enablement before the process ---------------------------------------------


def check_enablement_plan(
    workspace: Workspace, sprints: Sequence[PlannedSprint]
) -> Guardrail:
    """Warn when #7 is planned before a sales process exists or is built."""
    title = "process before enablement"
    enablement = _first_sprint(sprints, ENABLEMENT)
    if enablement is None:
        return Guardrail(
            "enablement_before_process",
            title,
            "not_applicable",
            "enablement (#7) is not in the plan",
        )
    if workspace.settings.process.is_defined:
        return Guardrail(
            "enablement_before_process",
            title,
            "pass",
            f"a sales process is defined before enablement in sprint {enablement}",
        )
    process = _first_sprint(sprints, PROCESS)
    if process is not None and process < enablement:
        return Guardrail(
            "enablement_before_process",
            title,
            "pass",
            f"#6 in sprint {process} builds the process before enablement in "
            f"sprint {enablement}",
        )
    return Guardrail(
        "enablement_before_process",
        title,
        "warning",
        f"enablement (#7) is planned in sprint {enablement}, but no sales process "
        "is defined (process.stages is empty) and #6 is not in an earlier "
        "sprint: content built now trains a process that does not exist yet",
        {"enablement_sprint": enablement, "process_sprint": process},
    )


def check_enablement_built(
    workspace: Workspace,
    enablement_formal: float | None,
    enablement_rating: float | None,
) -> Guardrail:
    """Warn when respondents report enablement built while no process is defined.

    ``enablement_formal`` is the share of respondents who say #7 runs by a
    formal process; ``enablement_rating`` their mean rating of #7.
    """
    title = "process before enablement"
    if enablement_formal is None or enablement_rating is None:
        return Guardrail(
            "enablement_before_process",
            title,
            "not_applicable",
            "nobody has answered for enablement (#7) yet",
        )
    if workspace.settings.process.is_defined:
        return Guardrail(
            "enablement_before_process",
            title,
            "pass",
            "a sales process is defined",
        )
    built = enablement_formal > 0.5 or enablement_rating >= 3
    if not built:
        return Guardrail(
            "enablement_before_process",
            title,
            "pass",
            "no sales process is defined yet, and no enablement is built on one",
        )
    return Guardrail(
        "enablement_before_process",
        title,
        "warning",
        f"enablement (#7) is reported built ({enablement_formal:.0%} say it is "
        f"a formal process, mean rating {enablement_rating:.1f}) but no sales "
        "process is defined (process.stages is empty): check that the content "
        "trains the process sellers should run",
        {"formal_share": enablement_formal, "rating_mean": enablement_rating},
    )


def _first_sprint(sprints: Sequence[PlannedSprint], function: int) -> int | None:
    numbers = [sprint.number for sprint in sprints if function in sprint.functions]
    return min(numbers) if numbers else None
