"""The talent commands end to end on the demo assessments, through the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from revarch.framework import RELATIONSHIP_SKILLS, SYSTEM_SKILLS
from revarch.talent.demo import write_demo_assessments
from revarch.workspace import init_workspace, open_workspace
from tests.test_talent_support import add_sellers

LAST_ASSESSMENT = dt.date(2025, 6, 15)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "revarch", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A workspace of 25 sellers and their demo assessments, imported by the CLI."""
    folder = tmp_path_factory.mktemp("talent-demo")
    bookings = {f"rep{i:02d}": 10_000.0 * (i + 1) for i in range(25)}
    init_workspace(folder / "ws")
    with open_workspace(folder / "ws") as workspace:
        add_sellers(workspace, bookings)
    path = write_demo_assessments(
        folder / "export", bookings, 7, last_assessment=LAST_ASSESSMENT
    )
    result = run_cli("-w", str(folder / "ws"), "import", "assessments", str(path))
    assert result.returncode == 0, result.stderr
    yield folder


def talent_json(demo: Path, *args: str) -> Any:
    result = run_cli("-w", str(demo / "ws"), "talent", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_demo_file_quarterly_kinds(demo: Path) -> None:
    with (demo / "export" / "assessments.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    seller_dates = {row["assessed_on"] for row in rows if row["kind"] == "seller"}
    assert len(seller_dates) == 4
    assert max(seller_dates) == LAST_ASSESSMENT.isoformat()
    assert {row["kind"] for row in rows} == {"seller", "candidate", "leader_rating"}


def test_cli_gaps_demo_tiers(demo: Path) -> None:
    data = talent_json(demo, "gaps")
    skills = {row["skill"]: row for row in data["skills"]}
    assert data["ranked_count"] == 25
    assert data["window"]["as_of"] == "2025-06-30"
    for name in SYSTEM_SKILLS:
        assert skills[name]["gap_percent"] >= 200, name
        assert skills[name]["tier"] == 1
    for name in RELATIONSHIP_SKILLS:
        assert skills[name]["gap_percent"] < 100, name
        assert skills[name]["tier"] == 3
    hunting = skills["Hunting"]
    assert hunting["gap_percent_ci_low"] <= hunting["gap_percent_ci_high"]


def test_cli_perception_demo_range(demo: Path) -> None:
    data = talent_json(demo, "perception")
    assert 40 <= data["overall"]["overestimation_percent"] <= 60


def test_cli_screen_demo_mix(demo: Path) -> None:
    data = talent_json(demo, "screen", "--all")
    results = {row["candidate"]: row["passed"] for row in data["candidates"]}
    assert len(results) == 4
    assert True in results.values()
    assert False in results.values()
    for row in data["candidates"]:
        met = sum(s["score"] >= data["thresholds"][s["skill"]] for s in row["skills"])
        assert row["skills_met"] == met


def test_cli_seller_and_progress(demo: Path) -> None:
    seller = talent_json(demo, "seller", "rep00")
    assert seller["ranking"]["rank"] == 25
    assert seller["top_gap"]["tier"] == 1
    progress = talent_json(demo, "progress")
    assert progress["periods"] == ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]
    assert len(progress["sellers"]) == 25
    text = run_cli("-w", str(demo / "ws"), "talent", "seller", "rep00")
    assert "#1 competency gap:" in text.stdout


def test_cli_catalog_lists_skills(demo: Path) -> None:
    data = talent_json(demo, "catalog")
    assert len(data["skills"]) == 21
    assert data["screening_skills"] == list(SYSTEM_SKILLS)


def test_cli_screen_needs_candidate_or_all(demo: Path) -> None:
    result = run_cli("-w", str(demo / "ws"), "talent", "screen")
    assert result.returncode == 2
    assert "pass a CANDIDATE id or --all" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["talent", "catalog"],
        ["talent", "gaps"],
        ["talent", "seller"],
        ["talent", "screen"],
        ["talent", "progress"],
        ["talent", "perception"],
        ["import", "assessments"],
    ],
    ids=lambda c: " ".join(c),
)
def test_talent_help_shows_example(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert "Example: revarch " in result.stdout
