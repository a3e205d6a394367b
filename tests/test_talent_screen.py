"""Pre-hire screening against the team's 75th-percentile scores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from revarch.errors import InputError
from revarch.framework import SYSTEM_SKILLS
from revarch.talent import screen_candidates
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.test_talent_support import AS_OF, add_sellers, import_rows, long_rows

# Four sellers per skill. The 75th percentile of four sorted values v0..v3 by
# linear interpolation sits at position 0.75 * 3 = 2.25: v2 + 0.25 * (v3 - v2).
TEAM = {
    "Social Selling": [10, 20, 30, 40],  # 30 + 2.5
    "Hunting": [0, 40, 60, 80],  # 60 + 5
    "Farming": [50, 50, 50, 50],  # 50
    "CRM Savvy": [20, 30, 40, 60],  # 40 + 5
    "Selling Value": [10, 10, 90, 90],  # 90
    "Negotiating": [0, 0, 0, 100],  # 0 + 25
}
THRESHOLDS = {
    "Social Selling": 32.5,
    "Hunting": 65.0,
    "Farming": 50.0,
    "CRM Savvy": 45.0,
    "Selling Value": 90.0,
    "Negotiating": 25.0,
}
SELLERS = ["s1", "s2", "s3", "s4"]


def candidates() -> dict[str, dict[str, float]]:
    first_three = list(SYSTEM_SKILLS[:3])
    return {
        "at": dict(THRESHOLDS),
        "above": {skill: value + 0.5 for skill, value in THRESHOLDS.items()},
        "below": {skill: value - 0.5 for skill, value in THRESHOLDS.items()},
        "three": {
            skill: value if skill in first_three else value - 0.5
            for skill, value in THRESHOLDS.items()
        },
        "two": {skill: 100.0 for skill in first_three[:2]},
    }


def load_team(workspace: Workspace, folder: Path) -> Workspace:
    add_sellers(workspace, {"s1": 400, "s2": 300, "s3": 200, "s4": 100})
    scores: dict[str, dict[str, float]] = {seller: {} for seller in SELLERS}
    for skill, values in TEAM.items():
        for seller, value in zip(SELLERS, values, strict=True):
            scores[seller][skill] = value
    rows = long_rows(scores) + long_rows(candidates(), kind="candidate")
    import_rows(workspace, folder, rows)
    return workspace


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One team for the read-only tests of this module."""
    folder = tmp_path_factory.mktemp("screen")
    init_workspace(folder / "ws")
    with open_workspace(folder / "ws") as workspace:
        yield load_team(workspace, folder)


def test_screen_thresholds_by_hand(team: Workspace) -> None:
    report = screen_candidates(team, "at", as_of=AS_OF)
    assert report.thresholds == pytest.approx(THRESHOLDS)
    assert report.team_size == 4


@pytest.mark.parametrize(
    ("candidate", "met", "passed"),
    [
        ("at", 6, True),
        ("above", 6, True),
        ("below", 0, False),
        ("three", 3, True),
        ("two", 2, False),
    ],
    ids=["at", "above", "below", "three-of-six", "two-unassessed"],
)
def test_screen_each_threshold(
    team: Workspace, candidate: str, met: int, passed: bool
) -> None:
    screen = screen_candidates(team, candidate, as_of=AS_OF).screens[0]
    assert screen.met_count == met
    assert screen.passed is passed
    expected = candidates()[candidate]
    for check in screen.checks:
        assert check.threshold == pytest.approx(THRESHOLDS[check.skill])
        assert check.score == expected.get(check.skill)
        assert check.met is (
            check.skill in expected and expected[check.skill] >= THRESHOLDS[check.skill]
        )


def test_screen_min_tier1_option(team: Workspace) -> None:
    strict = screen_candidates(team, "three", min_tier1=4, as_of=AS_OF)
    assert strict.screens[0].passed is False
    with pytest.raises(
        InputError, match="invalid --min-tier1 7: use a number from 1 to 6"
    ):
        screen_candidates(team, "three", min_tier1=7, as_of=AS_OF)


def test_screen_all_candidates(team: Workspace) -> None:
    report = screen_candidates(team, None, as_of=AS_OF)
    results = {s.candidate: s.passed for s in report.screens}
    assert results == {
        "above": True,
        "at": True,
        "below": False,
        "three": True,
        "two": False,
    }


def test_screen_unknown_candidate(team: Workspace) -> None:
    with pytest.raises(InputError, match="candidate 'nobody'.*above, at, below"):
        screen_candidates(team, "nobody", as_of=AS_OF)


def test_screen_configured_skills(workspace: Workspace, tmp_path: Path) -> None:
    team = load_team(workspace, tmp_path)
    config = team.config_path
    config.write_text(
        config.read_text() + "\nskills:\n  screening_skills: [hunting, crm]\n"
    )
    team.reload_settings()
    report = screen_candidates(team, "three", min_tier1=1, as_of=AS_OF)
    assert list(report.thresholds) == ["Hunting", "CRM Savvy"]
    assert report.screens[0].met_count == 1
