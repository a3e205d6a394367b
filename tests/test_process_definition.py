"""Checking, drafting and calibrating the process definition."""

from __future__ import annotations

import datetime as dt

import yaml

from revarch.config import read_settings
from revarch.process import compute_funnel
from revarch.process.definition import (
    calibrate_process,
    check_process,
    group_labels,
    months_before,
    suggest_process,
)
from revarch.process.yamlfile import replace_block
from revarch.workspace import Workspace

from .process_support import FOUR_STAGES, load, opportunity, set_process

ACTIVITIES = ["Call", "Email", "Meeting"]


def _stage(stage_id: str, **fields: object) -> dict[str, object]:
    stage: dict[str, object] = {
        "id": stage_id,
        "label": stage_id.title(),
        "aliases": [stage_id.title()],
        "entry_criteria": ["a need is named"],
        "exit_criteria": ["the buyer agrees"],
        "required_activities": ACTIVITIES,
        "expected_conversion": 0.5,
        "expected_days": 10,
    }
    stage.update(fields)
    return stage


def test_check_lists_each_shortfall(workspace: Workspace) -> None:
    load(
        workspace,
        [opportunity("a", "Alpha")],
        [("a", "Alpha", "2024-01-01"), ("a", "Limbo", "2024-01-02")],
    )
    deficient = {
        "stages": [
            _stage("alpha", entry_criteria=[]),
            _stage("beta", exit_criteria=[], required_activities=["Call", "Email"]),
            _stage(
                "gamma",
                required_activities=[f"Step {i}" for i in range(6)],
                expected_conversion=None,
                expected_days=None,
            ),
        ],
        "won_labels": ["Won"],
        "lost_labels": [],
    }
    set_process(workspace, deficient)
    result = check_process(workspace)
    found = {(f.kind, f.stage) for f in result.findings}
    assert found == {
        ("stage_count", None),
        ("missing_entry_criteria", "alpha"),
        ("missing_exit_criteria", "beta"),
        ("too_few_activities", "beta"),
        ("too_many_activities", "gamma"),
        ("missing_expected_conversion", "gamma"),
        ("missing_expected_days", "gamma"),
        ("missing_lost_labels", None),
        ("unmapped_labels", None),
    }
    assert result.unmapped_labels == {"Limbo": 1}
    unmapped = next(f for f in result.findings if f.kind == "unmapped_labels")
    assert unmapped.yaml is not None
    assert '- "Limbo"' in unmapped.yaml


def test_check_passes_compliant_process(workspace: Workspace) -> None:
    process = {
        "stages": [_stage(name) for name in ("one", "two", "three", "four", "five")],
        "won_labels": ["Won"],
        "lost_labels": ["Lost"],
    }
    set_process(workspace, process)
    result = check_process(workspace)
    assert result.findings == []
    assert result.ok


def test_check_without_process_asks_for_stages(workspace: Workspace) -> None:
    result = check_process(workspace)
    assert [f.kind for f in result.findings] == ["stage_count"]
    assert "revarch process suggest" in result.findings[0].message


def test_group_labels_merges_smallest_neighbours() -> None:
    labels = list("abcdefghi")
    usage = {label: 10 for label in labels} | {"d": 1, "e": 1, "h": 2, "i": 2}
    groups = group_labels(labels, usage, 7)
    assert groups == [["a"], ["b"], ["c"], ["d", "e"], ["f"], ["g"], ["h", "i"]]


def test_group_labels_keeps_short_lists() -> None:
    assert group_labels(["a", "b"], {}, 7) == [["a"], ["b"]]


def test_months_before_clamps_month_end() -> None:
    assert months_before(dt.date(2024, 3, 31), 1) == dt.date(2024, 2, 29)
    assert months_before(dt.date(2024, 1, 15), 12) == dt.date(2023, 1, 15)


def _sample(workspace: Workspace) -> None:
    load(
        workspace,
        [
            opportunity("a", "Closed Won"),
            opportunity("b", "Closed Lost"),
            opportunity("c", "Closed Won"),
        ],
        [
            ("a", "Qualification", "2024-01-02"),
            ("a", "Prospecting", "2024-01-01"),
            ("a", "Closed Won", "2024-01-20"),
            ("b", "Prospecting", "2024-01-01"),
            ("b", "Closed Lost", "2024-01-05"),
            ("c", "Prospecting", "2024-01-01"),
            ("c", "Qualification", "2024-01-03"),
            ("c", "Closed Won", "2024-01-10"),
        ],
    )


def test_suggest_orders_by_history(workspace: Workspace) -> None:
    _sample(workspace)
    result = suggest_process(workspace)
    stages = result.process.stages
    assert [s.label for s in stages] == ["Prospecting", "Qualification"]
    assert result.process.won_labels == ["Closed Won"]
    assert result.process.lost_labels == ["Closed Lost"]
    # Prospecting: a and c advanced, b lost there; Qualification: both won.
    assert stages[0].expected_conversion == round(2 / 3, 3)
    assert stages[1].expected_conversion == 1.0
    assert yaml.safe_load(result.yaml)["process"]["stages"][0]["id"] == "prospecting"


def test_suggest_write_keeps_comments(workspace: Workspace) -> None:
    _sample(workspace)
    before = workspace.config_path.read_text(encoding="utf-8")
    suggest_process(workspace, write=True)
    after = workspace.config_path.read_text(encoding="utf-8")
    assert "# Base currency (ISO 4217)." in after
    assert after.split("process:", 1)[0] == before.split("process:", 1)[0]
    settings = read_settings(workspace.config_path)
    assert [s.id for s in settings.process.stages] == ["prospecting", "qualification"]
    assert workspace.settings.process == settings.process


def test_replace_block_keeps_following_keys() -> None:
    text = "a: 1\nprocess:\n  stages: []\n  # note\n\n# next\nb: 2\n"
    assert replace_block(text, "process:\n  x: 1\n") == (
        "a: 1\nprocess:\n  x: 1\n\n# next\nb: 2\n"
    )


def test_replace_block_appends_missing() -> None:
    assert replace_block("a: 1", "process: {}\n") == "a: 1\nprocess: {}\n"


def test_calibrate_sets_history_values(workspace: Workspace) -> None:
    _sample(workspace)
    set_process(workspace, FOUR_STAGES)
    result = calibrate_process(workspace, write=True)
    rows = {row.stage: row for row in result.stages}
    assert rows["prospect"].expected_conversion_old is None
    assert rows["prospect"].expected_conversion_new == round(2 / 3, 3)
    # Prospecting visits: a 1 day, b 4 days, c 2 days; p75 = 3.0.
    assert rows["prospect"].expected_days_new == 3.0
    # Both won opportunities passed Proposal, which no history row names.
    assert rows["propose"].expected_conversion_new == 1.0
    assert rows["propose"].expected_days_new is None
    settings = read_settings(workspace.config_path)
    assert settings.process.stages[0].expected_conversion == round(2 / 3, 3)
    funnel = compute_funnel(workspace)
    assert funnel.stages[0].expected_conversion == round(2 / 3, 3)


def test_calibrate_window_is_trailing_year(workspace: Workspace) -> None:
    _sample(workspace)
    set_process(workspace, FOUR_STAGES)
    result = calibrate_process(workspace)
    assert result.window.to_dict() == {
        "view": "cohort",
        "since": "2023-01-21",
        "until": "2024-01-20",
        "as_of": "2024-01-20",
    }
