"""Importing assessment files: layouts, skill matching and rejected input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from revarch.errors import InputError
from revarch.importers.base import ImportOptions
from revarch.talent.assessments import import_assessments
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.test_talent_support import add_sellers, import_rows, write_csv

COLUMNS = ["person_id", "person_name", "kind", "skill", "assessed_on", "score", "rater"]


def stored(workspace: Workspace) -> list[dict[str, Any]]:
    table = workspace.store.table("assessments")
    ordered = table.select(*COLUMNS).order_by(["person_id", "skill", "rater"])
    return workspace.store.rows(ordered)


def rejected(workspace: Workspace, path: Path) -> str:
    """Import ``path``, expect an InputError, check nothing changed; return it."""
    before = workspace.store.snapshot()
    with pytest.raises(InputError) as caught:
        import_assessments(workspace, path, ImportOptions())
    assert workspace.store.snapshot() == before
    return str(caught.value)


def test_wide_and_long_same_rows(workspace: Workspace, tmp_path: Path) -> None:
    long_path = write_csv(
        tmp_path / "long.csv",
        ["Seller", "Name", "Kind", "Skill", "Date", "Score", "Rater"],
        [
            ["s1", "Ann", "seller", "Hunting", "2025-03-31", "40", ""],
            ["s1", "Ann", "seller", "CRM Savvy", "2025-03-31", "55.5", ""],
            ["s2", "Bo", "seller", "Hunting", "2025-03-31", "70", ""],
            ["s1", "Ann", "leader_rating", "Hunting", "2025-03-31", "80", "Lee"],
        ],
    )
    wide_path = write_csv(
        tmp_path / "wide.csv",
        ["Seller", "Name", "Kind", "Date", "Rater", "hunting", "CRM"],
        [
            ["s1", "Ann", "seller", "2025-03-31", "", "40", "55.5"],
            ["s2", "Bo", "seller", "2025-03-31", "", "70", ""],
            ["s1", "Ann", "Leader Rating", "2025-03-31", "Lee", "80", ""],
        ],
    )
    import_assessments(workspace, long_path, ImportOptions())
    long_rows = stored(workspace)
    other = tmp_path / "other"
    init_workspace(other)
    with open_workspace(other) as second:
        import_assessments(second, wide_path, ImportOptions())
        wide_rows = stored(second)
    assert wide_rows == long_rows
    assert len(long_rows) == 4
    assert {row["rater"] for row in long_rows} == {"", "Lee"}
    assert {row["skill"] for row in long_rows} == {"Hunting", "CRM Savvy"}


def test_skill_case_and_alias(workspace: Workspace, tmp_path: Path) -> None:
    import_rows(
        workspace,
        tmp_path,
        [
            ["s1", "seller", "social selling", "2025-03-31", 10, ""],
            ["s1", "seller", "PROSPECTING", "2025-03-31", 20, ""],
            ["s1", "seller", "doesnt-need-approval", "2025-03-31", 30, ""],
        ],
    )
    skills = sorted(row["skill"] for row in stored(workspace))
    assert skills == ["Doesn't Need Approval", "Hunting", "Social Selling"]


def test_reimport_changes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    rows = [["s1", "seller", "Hunting", "2025-03-31", 10, ""]]
    first = import_rows(workspace, tmp_path, rows)
    second = import_rows(workspace, tmp_path, rows)
    assert first.total("inserted") == 1
    assert second.total("inserted") == 0
    assert second.total("unchanged") == 1


@pytest.mark.parametrize(
    "score", ["101", "-1", "100.5"], ids=["over", "negative", "fraction"]
)
def test_score_outside_range_rejected(
    workspace: Workspace, tmp_path: Path, score: str
) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["person_id", "kind", "skill", "assessed_on", "score"],
        [
            ["s1", "seller", "Hunting", "2025-03-31", "50"],
            ["s1", "seller", "Farming", "2025-03-31", score],
        ],
    )
    message = rejected(workspace, path)
    assert "row 3" in message
    assert "column 'score'" in message
    assert repr(score) in message
    assert "0-100" in message


def test_score_not_number_rejected(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["person_id", "kind", "date", "Hunting", "Farming"],
        [["s1", "seller", "2025-03-31", "50", "lots"]],
    )
    message = rejected(workspace, path)
    assert "row 2" in message
    assert "column 'Farming'" in message
    assert "'lots'" in message


def test_unknown_skill_long_rejected(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["person_id", "kind", "skill", "assessed_on", "score"],
        [
            ["s1", "seller", "Hunting", "2025-03-31", "50"],
            ["s1", "seller", "Juggling", "2025-03-31", "50"],
        ],
    )
    message = rejected(workspace, path)
    assert "row 3" in message
    assert "'Juggling'" in message
    assert "Social Selling" in message
    assert "Rejection Proof" in message


def test_unknown_skill_wide_rejected(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["person_id", "kind", "assessed_on", "Hunting", "Juggling"],
        [["s1", "seller", "2025-03-31", "50", "60"]],
    )
    message = rejected(workspace, path)
    assert "column 'Juggling'" in message
    assert "unknown skill" in message
    assert "Social Selling" in message


def test_candidate_seller_id_rejected(workspace: Workspace, tmp_path: Path) -> None:
    add_sellers(workspace, {"s1": 100})
    path = write_csv(
        tmp_path / "a.csv",
        ["person_id", "kind", "skill", "assessed_on", "score"],
        [
            ["c1", "candidate", "Hunting", "2025-03-31", "50"],
            ["s1", "candidate", "Hunting", "2025-03-31", "60"],
        ],
    )
    message = rejected(workspace, path)
    assert "row 3" in message
    assert "candidate id 's1'" in message


def test_candidate_seller_in_file_rejected(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["person_id", "kind", "skill", "assessed_on", "score"],
        [
            ["p9", "seller", "Hunting", "2025-03-31", "50"],
            ["p9", "candidate", "Farming", "2025-03-31", "60"],
        ],
    )
    message = rejected(workspace, path)
    assert "row 3" in message
    assert "'p9'" in message


def test_duplicate_rows_rejected(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["person_id", "kind", "skill", "assessed_on", "score", "rater"],
        [
            ["s1", "leader_rating", "Hunting", "2025-03-31", "50", "Lee"],
            ["s1", "leader_rating", "Hunting", "2025-03-31", "55", "Kim"],
            ["s1", "leader_rating", " hunting ", "2025-03-31", "60", "Lee"],
        ],
    )
    message = rejected(workspace, path)
    assert "rows 2, 4" in message
    assert "'s1'" in message
    assert "'Hunting'" in message
    assert "2025-03-31" in message
    assert "'Lee'" in message


def test_duplicate_wide_rows_rejected(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["person_id", "kind", "assessed_on", "Hunting"],
        [["s1", "seller", "2025-03-31", "50"], ["s1", "seller", "2025-03-31", "50"]],
    )
    message = rejected(workspace, path)
    assert "rows 2, 3" in message


def test_invalid_kind_rejected(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["person_id", "kind", "skill", "assessed_on", "score"],
        [["s1", "manager", "Hunting", "2025-03-31", "50"]],
    )
    message = rejected(workspace, path)
    assert "row 2" in message
    assert "'manager'" in message
    assert "seller, candidate or leader_rating" in message


def test_missing_date_rejected(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["person_id", "kind", "skill", "assessed_on", "score"],
        [["s1", "seller", "Hunting", "", "50"]],
    )
    message = rejected(workspace, path)
    assert "row 2" in message
    assert "column 'assessed_on'" in message


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "revarch", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_import_counts_and_error(workspace: Workspace, tmp_path: Path) -> None:
    good = write_csv(
        tmp_path / "good.csv",
        ["person_id", "kind", "assessed_on", "Hunting", "Farming"],
        [
            ["s1", "seller", "2025-03-31", "50", "60"],
            ["s2", "seller", "2025-03-31", "", "70"],
        ],
    )
    with good.open(newline="") as handle:
        cells = [
            value
            for row in csv.DictReader(handle)
            for key, value in row.items()
            if key in ("Hunting", "Farming") and value
        ]
    bad = write_csv(
        tmp_path / "bad.csv",
        ["person_id", "kind", "skill", "assessed_on", "score"],
        [["s1", "seller", "Hunting", "2025-06-30", "150"]],
    )
    workspace.close()
    folder = str(workspace.path)

    ok = run_cli("-w", folder, "import", "assessments", str(good), "--json")
    failed = run_cli("-w", folder, "import", "assessments", str(bad))

    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["inserted"] == len(cells)
    assert failed.returncode == 1
    assert "Error: bad.csv, row 2, column 'score'" in failed.stderr
    assert "'150'" in failed.stderr
