"""The ``activity --by`` table on hand-counted activities (UTC, June 2025).

ISO weeks: W23 = 06-02..06-08, W24 = 06-09..06-15, W25 = 06-16..06-22.

- Ann: W23 two calls and an email; nothing in W24; W25 one meeting and one
  "task" (counted as other).
- Bob: W24 three calls; nothing in W25. Starts in W24, so he has no W23 row.
- Left out: a deleted call of Ann's, and a call without a seller.

Totals per week: W23 Ann 3; W24 Ann 0, Bob 3 (median 1.5); W25 Ann 2, Bob 0
(median 1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.errors import InputError
from revarch.metrics.activity_report import compute_activity_report
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.test_leadership_support import T, activity, load

WINDOW = {"since": "2025-06-02", "until": "2025-06-22", "as_of": "2025-06-30"}


def _fill(workspace: Workspace) -> None:
    load(
        workspace,
        "sellers",
        [
            {"id": "s1", "name": "Ann", "manager_id": "m1", "is_seller": True},
            {"id": "s2", "name": "Bob", "manager_id": "m1", "is_seller": True},
            {"id": "m1", "name": "Mia", "manager_id": None, "is_seller": False},
        ],
    )
    rows = [
        activity("a1", "s1", "call", T(2025, 6, 2, 9)),
        activity("a2", "s1", "call", T(2025, 6, 3, 9)),
        activity("a3", "s1", "email", T(2025, 6, 8, 23)),
        activity("a4", "s1", "meeting", T(2025, 6, 16, 9)),
        activity("a5", "s1", "task", T(2025, 6, 17, 9)),
        activity("b1", "s2", "call", T(2025, 6, 9, 9)),
        activity("b2", "s2", "call", T(2025, 6, 10, 9)),
        activity("b3", "s2", "call", T(2025, 6, 15, 9)),
        activity("x1", None, "call", T(2025, 6, 4, 9)),
    ]
    deleted = activity("d1", "s1", "call", T(2025, 6, 4, 9))
    deleted["is_deleted"] = True
    rows = [{**row, "is_deleted": False} for row in rows] + [deleted]
    load(workspace, "activities", rows)


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The activities described above (read only)."""
    folder = tmp_path_factory.mktemp("activity") / "ws"
    init_workspace(folder, name="Activity Co")
    with open_workspace(folder) as workspace:
        _fill(workspace)
        yield workspace


@pytest.fixture(scope="module")
def rows(team: Workspace) -> dict[tuple[str, str], dict]:
    result = compute_activity_report(team, by="seller,week", **WINDOW)
    return {(row["seller"], row["week"]): row for row in result.rows}


def test_activity_counts_by_type(rows: dict) -> None:
    ann = rows[("s1", "2025-W23")]
    assert (ann["calls"], ann["emails"], ann["social"], ann["meetings"]) == (2, 1, 0, 0)
    assert ann["activities"] == 3
    assert rows[("s1", "2025-W25")]["other"] == 1


def test_activity_quiet_week_zero(rows: dict) -> None:
    assert rows[("s1", "2025-W24")]["activities"] == 0
    assert rows[("s2", "2025-W25")]["activities"] == 0
    assert ("s2", "2025-W23") not in rows


def test_activity_team_median(rows: dict) -> None:
    assert rows[("s1", "2025-W23")]["activities_median"] == 3.0
    assert rows[("s1", "2025-W24")]["activities_median"] == 1.5
    assert rows[("s2", "2025-W25")]["activities_median"] == 1.0
    assert rows[("s2", "2025-W24")]["calls_median"] == 1.5


def test_activity_trend_vs_previous(rows: dict) -> None:
    assert rows[("s1", "2025-W23")]["activities_change"] is None
    assert rows[("s1", "2025-W24")]["activities_change"] == -3
    assert rows[("s1", "2025-W25")]["activities_change"] == 2
    assert rows[("s2", "2025-W25")]["calls_change"] == -3


def test_activity_by_manager_month(team: Workspace) -> None:
    result = compute_activity_report(team, by="manager,month", **WINDOW)
    assert [(r["manager_name"], r["month"], r["activities"]) for r in result.rows] == [
        ("Mia", "2025-06", 8)
    ]


def test_activity_notes_left_out(team: Workspace) -> None:
    notes = compute_activity_report(team, by="seller", **WINDOW).notes
    assert any("1 activities have no seller" in note for note in notes)


def test_activity_invalid_by(team: Workspace) -> None:
    with pytest.raises(InputError, match="invalid --by 'seller,colour'"):
        compute_activity_report(team, by="seller,colour")
    with pytest.raises(InputError, match="week, month are all time groupings"):
        compute_activity_report(team, by="week,month")


def test_activity_cli_json(team: Workspace) -> None:
    team.close()
    args = ["-w", str(team.path), "activity", "--by", "seller,week", "--json"]
    args += [f"--{key.replace('_', '-')}={value}" for key, value in WINDOW.items()]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["rows"]) == 5
    assert data["window"]["since"] == "2025-06-02"
