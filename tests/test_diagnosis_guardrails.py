"""Each guardrail fires on its mistake and stays silent otherwise; plan reviews."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from revarch.config import HiringProfile
from revarch.diagnosis.answers import read_answer_file, save_answer_sheet
from revarch.diagnosis.guardrails import (
    PlannedSprint,
    check_enablement_built,
    check_enablement_plan,
    check_hiring_profile,
    check_sprint_size,
    check_training_budget,
)
from revarch.diagnosis.plan_check import check_plan
from revarch.errors import ConfigError, InputError
from revarch.workspace import Workspace
from tests.test_diagnosis_support import (
    PROCESS,
    STRONG,
    WEAK,
    answer_data,
    update_settings,
    write_answers,
)

PRIOR_TIERS = {"Hunting": 1, "Negotiating": 1, "Presentation": 3, "Qualifying": 2}


def sprints(*functions: tuple[int, ...]) -> list[PlannedSprint]:
    return [PlannedSprint(index, numbers) for index, numbers in enumerate(functions, 1)]


def test_sprint_size_fires_on_two_functions() -> None:
    result = check_sprint_size(sprints((6,), (7, 3)))
    assert result.status == "warning"
    assert "sprint 2 has #7, #3" in result.evidence
    assert result.values == {"sprints": [2]}


def test_sprint_size_silent_on_one_function() -> None:
    assert check_sprint_size(sprints((6,), (7,))).status == "pass"
    assert check_sprint_size([]).status == "not_applicable"


def test_budget_fires_when_tier3_outweighs_tier1(workspace: Workspace) -> None:
    budget = {"Presentation": 8000.0, "Hunting": 2000.0}
    result = check_training_budget(workspace, PRIOR_TIERS, budget)
    assert result.status == "warning"
    assert result.values["tier3_share"] == 0.8
    assert result.values["tier1_share"] == 0.2


@pytest.mark.parametrize(
    "budget",
    [
        {"Presentation": 4000.0, "Hunting": 6000.0},
        {"Presentation": 5000.0, "negotiation": 5000.0},
        {"Qualifying": 9000.0, "Hunting": 1000.0},
    ],
    ids=["tier1_larger", "equal_shares_by_alias", "tier2_heavy"],
)
def test_budget_silent_otherwise(workspace: Workspace, budget: dict) -> None:
    assert check_training_budget(workspace, PRIOR_TIERS, budget).status == "pass"


def test_budget_uses_measured_tier(workspace: Workspace) -> None:
    # A measured gap can move Presentation to Tier 1.
    tiers = {**PRIOR_TIERS, "Presentation": 1}
    budget = {"Presentation": 8000.0, "Hunting": 2000.0}
    assert check_training_budget(workspace, tiers, budget).status == "pass"


def test_budget_from_settings_and_unknown_skill(workspace: Workspace) -> None:
    update_settings(workspace, training_budget={"Presentation": 10.0, "Juggling": 5.0})
    with pytest.raises(ConfigError, match=r"training_budget\.Juggling: unknown skill"):
        check_training_budget(workspace, PRIOR_TIERS)
    update_settings(workspace, training_budget={})
    assert check_training_budget(workspace, PRIOR_TIERS).status == "not_applicable"


def test_hiring_profile_fires_without_thresholds(workspace: Workspace) -> None:
    profile = HiringProfile(min_experience_years=10)
    result = check_hiring_profile(workspace, profile)
    assert result.status == "warning"
    assert "asks for 10 years of experience" in result.evidence


def test_hiring_profile_silent_with_thresholds(workspace: Workspace) -> None:
    profile = HiringProfile(competency_thresholds={"Hunting": 70})
    assert check_hiring_profile(workspace, profile).status == "pass"
    assert check_hiring_profile(workspace).status == "not_applicable"


def test_hiring_profile_unknown_skill(workspace: Workspace) -> None:
    profile = HiringProfile(competency_thresholds={"Charm": 70})
    with pytest.raises(ConfigError, match="unknown skill 'Charm'"):
        check_hiring_profile(workspace, profile)


def test_enablement_fires_before_process(workspace: Workspace) -> None:
    result = check_enablement_plan(workspace, sprints((7,), (6,)))
    assert result.status == "warning"
    assert "sprint 1" in result.evidence


def test_enablement_silent_after_process(workspace: Workspace) -> None:
    assert check_enablement_plan(workspace, sprints((6,), (7,))).status == "pass"
    assert check_enablement_plan(workspace, sprints((6,))).status == "not_applicable"
    update_settings(workspace, process=PROCESS)
    assert check_enablement_plan(workspace, sprints((7,))).status == "pass"


def test_enablement_built_without_process(workspace: Workspace) -> None:
    assert check_enablement_built(workspace, 1.0, 4.0).status == "warning"
    assert check_enablement_built(workspace, 0.0, 2.0).status == "pass"
    assert check_enablement_built(workspace, None, None).status == "not_applicable"
    update_settings(workspace, process=PROCESS)
    assert check_enablement_built(workspace, 1.0, 4.0).status == "pass"


# -- reviewing a plan file -------------------------------------------------------------


def write_plan(tmp_path: Path, plan: dict) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    return path


def findings(result) -> dict[str, str]:
    return {finding.id: finding.status for finding in result.findings}


def test_plan_with_every_mistake(workspace: Workspace, tmp_path: Path) -> None:
    answers = answer_data("Dana", "founder", {6: WEAK, 9: WEAK}, default=STRONG)
    save_answer_sheet(
        workspace, read_answer_file(write_answers(tmp_path / "a.yaml", answers))
    )
    plan = {
        "sprints": [
            {"functions": ["Sales Enablement", 3], "start": "2025-07-01"},
            {"function": 10, "start": "2025-08-01"},
            {"functions": [6]},
        ],
        "training_budget": {"Presentation": 9000, "Hunting": 1000},
        "hiring_profile": {"min_experience_years": 5},
    }
    result = check_plan(workspace, write_plan(tmp_path, plan))
    found = findings(result)
    assert found["one_function_per_sprint"] == "warning"
    assert found["sprint_overlap"] == "warning"
    assert found["training_budget"] == "warning"
    assert found["hiring_profile"] == "warning"
    assert found["enablement_before_process"] == "warning"
    assert found["order_6_before_7"] == "warning"
    assert found["order_6_before_3"] == "warning"
    assert found["order_9_before_10"] == "warning"
    assert found["tier_order"] == "warning"
    assert not result.to_dict()["ok"]


def test_good_plan_passes(workspace: Workspace, tmp_path: Path) -> None:
    answers = answer_data(
        "Dana", "founder", {6: WEAK, 9: WEAK, 7: WEAK}, default=STRONG
    )
    save_answer_sheet(
        workspace, read_answer_file(write_answers(tmp_path / "a.yaml", answers))
    )
    plan = {
        "sprints": [
            {"functions": [6], "start": "2025-07-01"},
            {"functions": [9], "start": "2025-09-29"},
            {"functions": [7]},
        ],
        "training_budget": {"Hunting": 9000, "Presentation": 1000},
        "hiring_profile": {"competency_thresholds": {"Hunting": 70}},
    }
    result = check_plan(workspace, write_plan(tmp_path, plan))
    assert result.warnings == []
    assert findings(result)["order_6_before_7"] == "pass"


def test_tier3_before_weak_tier2(workspace: Workspace, tmp_path: Path) -> None:
    # Tier 1 all strong (#3, #6 and #9 stay at 65 with the empty workspace's
    # signals); #4 (Tier 2) is weak and planned after #11 (Tier 3).
    answers = answer_data("Dana", "founder", {4: WEAK}, default=STRONG)
    path = write_answers(tmp_path / "a.yaml", answers)
    save_answer_sheet(workspace, read_answer_file(path))
    plan = {"sprints": [{"functions": [11]}, {"functions": [4]}]}
    result = check_plan(workspace, write_plan(tmp_path, plan))
    tier = next(f for f in result.findings if f.id == "tier_order")
    assert tier.status == "warning"
    assert "sprint 1: #11 (Tier 3)" in tier.evidence
    assert "#4 (Tier 2, maturity 0.0)" in tier.evidence
    assert "sprint 2" not in tier.evidence


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (
            {"sprints": [{"functions": [12]}]},
            "sprints[0].functions[0]: unknown function 12",
        ),
        ({"sprints": []}, "sprints: missing"),
        (
            {"sprints": [{"functions": [6], "owner": "x"}]},
            "sprints[0].owner: unknown key",
        ),
        (
            {"sprints": [{"functions": [6], "start": "July"}]},
            "sprints[0].start: 'July'",
        ),
        (
            {"sprints": [{"functions": [6]}], "training_budget": {"Hunting": -5}},
            "training_budget.Hunting: -5 is not an amount",
        ),
        (
            {"sprints": [{"functions": [6]}], "hiring_profile": {"years": 3}},
            "hiring_profile.years: unknown key",
        ),
    ],
    ids=[
        "unknown_function",
        "no_sprints",
        "unknown_key",
        "bad_start",
        "bad_budget",
        "bad_profile",
    ],
)
def test_bad_plan_names_key(
    workspace: Workspace, tmp_path: Path, plan, expected
) -> None:
    with pytest.raises(InputError) as error:
        check_plan(workspace, write_plan(tmp_path, plan))
    assert expected in str(error.value)
    assert "plan.yaml" in str(error.value)
