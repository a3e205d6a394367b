"""Forecast accuracy on hand-made snapshots, worked out by hand.

Workspace timezone America/New_York, as of 2025-07-15. Mia (m1) manages Ann
(s1) and Bob (s2); Raj (m2) manages Cy (s3).

Bookings: 2025-Q1 Ann 60,000 + Bob 40,000 = 100,000 for Mia, 0 for Raj;
2025-Q2 Ann 50,000 for Mia, Cy 30,000 for Raj.

Q1 closes at the end of 2025-03-31 in New York: 2025-04-01 04:00 UTC.

- Mia Q1: 90,000 (Jan 6), 108,000 (Mar 3), 105,000 (Apr 1 03:00 UTC, still
  on time), 130,000 (Apr 2, late). Used: 105,000: error 5,000, bias 0.05,
  accuracy 0.95, within 10%.
- Raj Q1: 20,000 against an actual of 0: absolute error 20,000 only.
- Mia Q2: no submission: missing.
- Raj Q2: only a late submission (July 2): late, not used.
- Q3 is in progress on the as-of date: open.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.errors import InputError
from revarch.leadership import (
    compute_forecast_accuracy,
    import_forecasts,
    list_forecasts,
    submit_forecast,
)
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.test_leadership_support import D, T, load, opportunity

SNAPSHOTS = [
    ("m1", "2025-Q1", 90_000.0, T(2025, 1, 6, 15)),
    ("m1", "2025-Q1", 108_000.0, T(2025, 3, 3, 15)),
    ("m1", "2025-Q1", 105_000.0, T(2025, 4, 1, 3)),
    ("m1", "2025-Q1", 130_000.0, T(2025, 4, 2, 15)),
    ("m2", "2025-Q1", 20_000.0, T(2025, 2, 1, 15)),
    ("m2", "2025-Q2", 35_000.0, T(2025, 7, 2, 15)),
]


def _won(id: str, seller: str, close: dt.date, amount: float) -> dict:
    return opportunity(
        id, seller, status="won", close_date=close, amount=amount, stage_label="Won"
    )


def _fill(workspace: Workspace) -> None:
    load(
        workspace,
        "sellers",
        [
            {"id": "m1", "name": "Mia", "manager_id": None, "is_seller": False},
            {"id": "m2", "name": "Raj", "manager_id": None, "is_seller": False},
            {"id": "s1", "name": "Ann", "manager_id": "m1", "is_seller": True},
            {"id": "s2", "name": "Bob", "manager_id": "m1", "is_seller": True},
            {"id": "s3", "name": "Cy", "manager_id": "m2", "is_seller": True},
        ],
    )
    load(
        workspace,
        "opportunities",
        [
            _won("o1", "s1", D(2025, 2, 10), 60_000.0),
            _won("o2", "s2", D(2025, 3, 20), 40_000.0),
            _won("o3", "s1", D(2025, 5, 5), 50_000.0),
            _won("o4", "s3", D(2025, 6, 1), 30_000.0),
        ],
    )
    for manager, period, amount, when in SNAPSHOTS:
        submit_forecast(
            workspace, manager=manager, period=period, amount=amount, submitted_at=when
        )


@pytest.fixture(scope="module")
def managers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A workspace with the team, bookings and snapshots above (read only)."""
    folder = tmp_path_factory.mktemp("forecast") / "ws"
    init_workspace(folder, name="Forecast Co", timezone="America/New_York")
    with open_workspace(folder) as workspace:
        _fill(workspace)
        yield workspace


@pytest.fixture(scope="module")
def rows(managers: Workspace) -> dict[tuple[str, str], dict]:
    result = compute_forecast_accuracy(managers, as_of="2025-07-15")
    return {(row["manager"], row["period"]): row for row in result.rows}


def test_accuracy_latest_before_close(rows: dict) -> None:
    row = rows[("m1", "2025-Q1")]
    assert row["status"] == "scored"
    assert row["forecast"] == 105_000.0
    assert row["actual"] == 100_000.0
    assert row["error"] == 5_000.0
    assert row["bias"] == pytest.approx(0.05)
    assert row["accuracy"] == pytest.approx(0.95)
    assert row["within_tolerance"] is True


def test_accuracy_late_snapshot_not_used(rows: dict) -> None:
    row = rows[("m1", "2025-Q1")]
    assert row["late_submissions"] == 1
    assert row["late_submitted_at"] == [T(2025, 4, 2, 15)]
    assert row["submissions"] == 3


def test_accuracy_actual_zero_abs_only(rows: dict) -> None:
    row = rows[("m2", "2025-Q1")]
    assert row["status"] == "scored"
    assert row["actual"] == 0.0
    assert row["abs_error"] == 20_000.0
    assert row["bias"] is None
    assert row["accuracy"] is None
    assert row["within_tolerance"] is None


def test_accuracy_missing_period_reported(rows: dict) -> None:
    row = rows[("m1", "2025-Q2")]
    assert row["status"] == "missing"
    assert row["forecast"] is None
    assert row["actual"] == 50_000.0


def test_accuracy_only_late_reported(rows: dict) -> None:
    row = rows[("m2", "2025-Q2")]
    assert row["status"] == "late"
    assert row["forecast"] is None
    assert row["error"] is None


def test_accuracy_open_period(rows: dict) -> None:
    assert rows[("m1", "2025-Q3")]["status"] == "open"
    assert rows[("m1", "2025-Q3")]["accuracy"] is None


def test_accuracy_weekly_snapshots(rows: dict) -> None:
    weeks = {w["week"]: w for w in rows[("m1", "2025-Q1")]["snapshots"]}
    assert weeks["2025-W01"]["forecast"] is None
    assert weeks["2025-W02"]["forecast"] == 90_000.0
    assert weeks["2025-W02"]["accuracy"] == pytest.approx(0.90)
    assert weeks["2025-W02"]["within_tolerance"] is True
    assert weeks["2025-W10"]["forecast"] == 108_000.0
    assert weeks["2025-W14"]["forecast"] == 105_000.0


def test_accuracy_manager_summary(managers: Workspace) -> None:
    result = compute_forecast_accuracy(managers, as_of="2025-07-15")
    summary = {m["manager"]: m for m in result.managers}
    assert summary["m1"]["mape"] == pytest.approx(0.05)
    assert summary["m1"]["within_tolerance"] == 1
    assert summary["m1"]["missing"] == 1
    assert summary["m2"]["mape"] is None
    assert summary["m2"]["actual_zero"] == 1
    assert summary["m2"]["late"] == 1


def test_forecasts_listed_never_overwritten(managers: Workspace) -> None:
    listed = list_forecasts(managers, manager="Mia", period="2025-Q1")
    assert [r["amount"] for r in listed] == [90_000.0, 108_000.0, 105_000.0, 130_000.0]
    assert [r["late"] for r in listed] == [False, False, False, True]


def test_submit_unknown_manager(managers: Workspace) -> None:
    with pytest.raises(InputError, match="unknown --manager 'Zed'"):
        submit_forecast(managers, manager="Zed", period="2025-Q3", amount=1)


def test_submit_invalid_period(managers: Workspace) -> None:
    with pytest.raises(InputError, match="invalid --period '2025-Q7'"):
        submit_forecast(managers, manager="m1", period="2025-Q7", amount=1)


def test_import_forecasts_file(workspace: Workspace, tmp_path: Path) -> None:
    _fill(workspace)
    path = tmp_path / "forecasts.csv"
    path.write_text(
        "Manager,Period,Amount,Submitted At,Category\n"
        'Mia,2025-q3,"120,000",2025-07-07 09:00,Commit\n'
        "m2,2025-Q3,40000,2025-07-07T13:00:00Z,best case\n",
        encoding="utf-8",
    )
    zone = "America/New_York"
    result = import_forecasts(workspace, path, timezone=zone)
    assert (result.inserted, result.unchanged) == (2, 0)
    again = import_forecasts(workspace, path, timezone=zone)
    assert (again.inserted, again.unchanged) == (0, 2)
    listed = list_forecasts(workspace, period="2025-Q3")
    mia = next(r for r in listed if r["manager_id"] == "m1")
    # 09:00 in New York (EDT) is 13:00 UTC.
    assert mia["submitted_at"] == T(2025, 7, 7, 13)
    assert mia["amount"] == 120_000.0
    assert mia["category"] == "commit"
    raj = next(r for r in listed if r["manager_id"] == "m2")
    assert raj["category"] == "best_case"


def test_import_invalid_row_writes_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    _fill(workspace)
    before = len(list_forecasts(workspace))
    path = tmp_path / "bad.csv"
    path.write_text(
        "manager,period,amount,submitted_at\n"
        "m1,2025-Q3,1000,2025-07-01\n"
        "m1,2025-Q3,lots,2025-07-02\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="bad.csv row 3 column amount"):
        import_forecasts(workspace, path)
    assert len(list_forecasts(workspace)) == before


def test_forecast_cli_accuracy_json(managers: Workspace) -> None:
    managers.close()
    result = CliRunner().invoke(
        app,
        ["-w", str(managers.path), "forecast", "accuracy", "--as-of", "2025-07-15",
         "--by", "manager", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["window"]["as_of"] == "2025-07-15"
    assert {m["manager"] for m in data["managers"]} == {"m1", "m2"}


def test_forecast_cli_lists_alone(managers: Workspace) -> None:
    managers.close()
    result = CliRunner().invoke(app, ["-w", str(managers.path), "forecast", "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["rows"]) == len(SNAPSHOTS)
