"""``revarch process ...`` through the CLI on a small workspace."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.workspace import init_workspace, open_workspace

from .process_support import FOUR_STAGES, load, opportunity

WINDOW_KEYS = {"view", "since", "until", "as_of"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("cli") / "ws"
    init_workspace(path)
    with open_workspace(path) as ws:
        load(
            ws,
            [
                opportunity("a", "Closed Won", amount=100.0),
                opportunity("b", "Proposal", amount=50.0),
                opportunity("c", "Closed Lost"),
                opportunity("d", "Qualification"),
            ],
            [
                ("a", "Prospecting", "2024-01-01"),
                ("a", "Qualification", "2024-01-04"),
                ("a", "Closed Won", "2024-01-20"),
                ("b", "Prospecting", "2024-01-02"),
                ("b", "Proposal", "2024-01-03"),
                ("c", "Prospecting", "2024-01-02"),
                ("c", "Closed Lost", "2024-01-09"),
            ],
        )
    config = path / "revarch.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["process"] = FOUR_STAGES
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    yield path


def run_json(folder: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["-w", str(folder), "process", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    # Every process command's JSON says which window it covers.
    assert set(data["window"]) == WINDOW_KEYS
    return data


def test_funnel_json(folder: Path) -> None:
    data = run_json(folder, "funnel")
    assert set(data) >= {"stages", "won", "lost", "open", "without_history", "window"}
    first = data["stages"][0]
    assert set(first) >= {
        "stage",
        "reached",
        "advanced",
        "lost",
        "open",
        "conversion",
        "cumulative_conversion",
        "expected_conversion",
    }
    assert (first["stage"], first["reached"], first["lost"]) == ("prospect", 3, 1)
    assert data["without_history"] == 1
    assert set(data["window"]) == WINDOW_KEYS


def test_transitions_json(folder: Path) -> None:
    data = run_json(folder, "transitions")
    pairs = {(t["from"], t["to"]): t["count"] for t in data["transitions"]}
    assert pairs == {
        ("prospect", "qualify"): 1,
        ("prospect", "propose"): 1,
        ("prospect", "lost"): 1,
        ("qualify", "won"): 1,
    }
    assert data["skips"] == 1
    assert data["backward_moves"] == 0


def test_velocity_json(folder: Path) -> None:
    data = run_json(folder, "velocity")
    prospect = data["stages"][0]
    assert prospect["visits"] == 3
    assert prospect["days_median"] == 3.0
    assert set(prospect) >= {"days_p75", "days_p90", "expected_days"}


def test_velocity_detail_json(folder: Path) -> None:
    data = run_json(folder, "velocity", "--detail")
    ages = {row["opportunity_id"]: row["days_in_stage"] for row in data["open_ages"]}
    # b entered Proposal on 2024-01-03; the as-of date is 2024-01-20 (end of day).
    assert ages == {"b": 18.0, "d": None}


def test_stalls_json(folder: Path) -> None:
    data = run_json(folder, "stalls")
    assert [o["id"] for o in data["opportunities"]] == []
    assert [o["id"] for o in data["age_unknown"]] == ["d"]
    assert {s["stage"] for s in data["stages"]} == {
        "prospect",
        "qualify",
        "propose",
        "negotiate",
    }


def test_trend_json(folder: Path) -> None:
    data = run_json(folder, "trend")
    first = data["weeks"][0]
    assert (first["week"], first["stage"], first["entered"]) == (
        "2024-W01",
        "prospect",
        3,
    )


def test_check_json_exits_zero(folder: Path) -> None:
    data = run_json(folder, "check")
    assert data["ok"] is False
    assert "stage_count" in {f["kind"] for f in data["findings"]}


def test_funnel_csv_export(folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "funnel.csv"
    result = CliRunner().invoke(
        app, ["-w", str(folder), "process", "funnel", "--csv", str(target)]
    )
    assert result.exit_code == 0, result.output
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["stage"] for row in rows] == [
        "prospect",
        "qualify",
        "propose",
        "negotiate",
    ]
    assert rows[0]["reached"] == "3"


def test_table_output_names_stages(folder: Path) -> None:
    result = CliRunner().invoke(app, ["-w", str(folder), "process", "funnel"])
    assert result.exit_code == 0, result.output
    assert "prospect" in result.stdout
    assert "without stage history" in result.stdout


def test_suggest_and_calibrate_write(tmp_path: Path, folder: Path) -> None:
    copy = tmp_path / "ws"
    copy.mkdir()
    for name in ("revarch.yaml", "revarch.duckdb"):
        (copy / name).write_bytes((folder / name).read_bytes())
    data = run_json(copy, "suggest", "--write")
    assert data["written"] is True
    written = yaml.safe_load((copy / "revarch.yaml").read_text(encoding="utf-8"))
    assert [s["label"] for s in written["process"]["stages"]] == [
        "Prospecting",
        "Qualification",
        "Proposal",
    ]
    calibrated = run_json(copy, "calibrate")
    assert calibrated["written"] is False
    assert calibrated["stages"][0]["stage"] == "prospecting"


def test_unknown_pipeline_error(folder: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "revarch",
            "-w",
            str(folder),
            "process",
            "funnel",
            "--pipeline",
            "Nope",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: --pipeline 'Nope' matches no opportunity")


@pytest.mark.parametrize(
    "command",
    [
        "funnel",
        "transitions",
        "velocity",
        "stalls",
        "trend",
        "suggest",
        "check",
        "calibrate",
    ],
)
def test_help_shows_example(command: str) -> None:
    result = CliRunner().invoke(app, ["process", command, "--help"])
    assert result.exit_code == 0
    assert "Example: revarch process " in result.stdout
