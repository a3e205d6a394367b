"""Quarterly progress and leader perception, checked against hand computations."""

from __future__ import annotations

from pathlib import Path

import pytest

from revarch.talent import compute_perception, compute_progress
from revarch.workspace import Workspace
from tests.test_talent_support import AS_OF, add_sellers, import_rows, long_rows


def test_perception_by_hand(workspace: Workspace, tmp_path: Path) -> None:
    add_sellers(workspace, {"s1": 100, "s2": 200})
    rows = (
        long_rows({"s1": {"Hunting": 40, "CRM Savvy": 20}, "s2": {"Hunting": 50}})
        # Lee's first rating of s1 is replaced by the later one.
        + long_rows(
            {"s1": {"Hunting": 90}}, kind="leader_rating", day="2025-03-01", rater="Lee"
        )
        + long_rows(
            {"s1": {"Hunting": 60, "CRM Savvy": 30}}, kind="leader_rating", rater="Lee"
        )
        + long_rows({"s1": {"Hunting": 64}}, kind="leader_rating", rater="Kim")
        + long_rows({"s2": {"Hunting": 70}}, kind="leader_rating", rater="Lee")
        # No measured score for Farming: left out with a note.
        + long_rows({"s2": {"Farming": 70}}, kind="leader_rating", rater="Lee")
    )
    import_rows(workspace, tmp_path, rows)

    report = compute_perception(workspace, as_of=AS_OF).to_dict()

    skills = {row["skill"]: row for row in report["skills"]}
    # Hunting: s1 rated (60 + 64) / 2 = 62 against 40, s2 rated 70 against 50.
    hunting = skills["Hunting"]
    assert hunting["pairs"] == 2
    assert hunting["leader_rating_mean"] == pytest.approx(66)
    assert hunting["measured_score_mean"] == pytest.approx(45)
    assert hunting["overestimation_percent"] == pytest.approx((66 - 45) / 45 * 100)
    assert skills["CRM Savvy"]["overestimation_percent"] == pytest.approx(50)
    overall = report["overall"]
    leader, measured = (62 + 70 + 30) / 3, (40 + 50 + 20) / 3
    assert overall["pairs"] == 3
    assert overall["overestimation_percent"] == pytest.approx(
        (leader - measured) / measured * 100
    )
    assert any("1 leader ratings have no measured" in n for n in report["notes"])


def test_perception_measured_zero_unbounded(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = long_rows({"s1": {"Hunting": 0}}) + long_rows(
        {"s1": {"Hunting": 30}}, kind="leader_rating", rater="Lee"
    )
    import_rows(workspace, tmp_path, rows)
    report = compute_perception(workspace, as_of=AS_OF).to_dict()
    assert report["overall"]["overestimation_percent"] == "unbounded"


def test_progress_quarters_by_hand(workspace: Workspace, tmp_path: Path) -> None:
    add_sellers(workspace, {"s1": 100, "s2": 200})
    rows = (
        long_rows({"s1": {"Hunting": 30, "Social Selling": 10}}, day="2025-02-01")
        + long_rows({"s1": {"Hunting": 35}}, day="2025-04-10")
        # The latest assessment in a quarter counts: 40, not 35.
        + long_rows({"s1": {"Hunting": 40, "Social Selling": 20}}, day="2025-05-20")
        + long_rows({"s1": {"Hunting": 50, "Presentation": 70}}, day="2025-11-15")
        + long_rows({"s2": {"Hunting": 70}}, day="2025-02-01")
        + long_rows({"s2": {"Hunting": 80}}, day="2025-11-01")
    )
    import_rows(workspace, tmp_path, rows)

    report = compute_progress(workspace, as_of=AS_OF).to_dict()

    assert report["periods"] == ["2025-Q1", "2025-Q2", "2025-Q4"]
    assert "Presentation" not in report["tier1_skills"]
    sellers = {row["seller"]: row for row in report["sellers"]}
    s1 = sellers["s1"]
    assert s1["skills"]["Hunting"]["scores"] == {
        "2025-Q1": 30,
        "2025-Q2": 40,
        "2025-Q4": 50,
    }
    assert s1["tier1_score_mean"] == pytest.approx(
        {"2025-Q1": 20, "2025-Q2": 30, "2025-Q4": 50}
    )
    assert s1["tier1_change"] == pytest.approx(30)
    team = {row["skill"]: row for row in report["team_tier1"]}
    assert team["Hunting"]["score_mean"] == pytest.approx(
        {"2025-Q1": 50, "2025-Q2": 40, "2025-Q4": 65}
    )
    assert team["Hunting"]["change"] == pytest.approx(15)
    assert team["Social Selling"]["change"] == pytest.approx(10)


def test_progress_fiscal_quarters(workspace: Workspace, tmp_path: Path) -> None:
    config = workspace.config_path
    config.write_text(
        config.read_text().replace(
            "fiscal_year_start_month: 1", "fiscal_year_start_month: 4"
        )
    )
    workspace.reload_settings()
    import_rows(
        workspace, tmp_path, long_rows({"s1": {"Hunting": 30}}, day="2025-02-01")
    )
    report = compute_progress(workspace, as_of=AS_OF).to_dict()
    # With the year starting in April, February 2025 is in Q4 of FY2025.
    assert report["periods"] == ["2025-Q4"]
