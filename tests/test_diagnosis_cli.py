"""The diagnose, prerequisites, roadmap and audit commands, and the row helper."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.storage import Store
from revarch.workspace import Workspace
from tests.test_diagnosis_support import (
    WEAK,
    answer_data,
    seed_small_company,
    write_answers,
)

runner = CliRunner()


def invoke(workspace: Workspace, *args: str) -> dict:
    result = runner.invoke(app, ["-w", str(workspace.path), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_diagnose_answers_json(workspace: Workspace, tmp_path: Path) -> None:
    dana = write_answers(
        tmp_path / "dana.yaml", answer_data("Dana", "founder", {6: WEAK})
    )
    lee = write_answers(tmp_path / "lee.yaml", answer_data("Lee", "revops", {}))
    data = invoke(
        workspace, "diagnose", "--answers", str(dana), "--answers", str(lee), "--json"
    )
    assert [person["name"] for person in data["respondents"]] == ["Dana", "Lee"]
    six = next(row for row in data["functions"] if row["function"] == 6)
    assert six["respondents"] == 2
    assert six["disagreement"]["rating_spread"] == 4
    assert [row["pillar"] for row in data["pillars"]] == [
        "Strategy", "People", "Process", "Performance",
    ]  # fmt: skip
    again = invoke(workspace, "diagnose", "scorecard", "--json")
    assert again["functions"] == data["functions"]


def test_diagnose_template_to_stdout(workspace: Workspace) -> None:
    result = runner.invoke(app, ["-w", str(workspace.path), "diagnose", "template"])
    assert result.exit_code == 0
    parsed = yaml.safe_load(result.stdout)
    assert sorted(parsed["functions"]) == list(range(1, 12))


def test_prerequisites_roadmap_audit_json(workspace: Workspace, tmp_path: Path) -> None:
    seed_small_company(workspace)
    answers = write_answers(
        tmp_path / "a.yaml", answer_data("Dana", "founder", {1: WEAK})
    )
    invoke(workspace, "diagnose", "--answers", str(answers), "--json")
    prerequisites = invoke(workspace, "prerequisites", "--json")
    assert prerequisites["window"]["since"] == "2024-07-01"
    assert prerequisites["passed"] is False
    plan = invoke(
        workspace, "roadmap", "--start", "2025-07-01", "--sprints", "2", "--json"
    )
    assert plan["sprints"][0]["function"] == 1
    assert plan["sprints"][0]["starts_on"] == "2025-07-01"
    assert plan["saved"] is True
    audit = invoke(workspace, "audit", "--period", "2025-Q2", "--json")
    assert audit["period"] == "2025-Q2"
    assert len(audit["checks"]) == 4
    assert audit["recommendation"]["function"] == 1


def test_roadmap_check_json(workspace: Workspace, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"sprints": [{"functions": [6, 9]}]}), "utf-8")
    data = invoke(workspace, "roadmap", "--check", str(plan), "--json")
    found = {finding["id"]: finding["status"] for finding in data["findings"]}
    assert found["one_function_per_sprint"] == "warning"
    assert data["ok"] is False


def test_bad_answer_file_exits_one(workspace: Workspace, tmp_path: Path) -> None:
    data = answer_data("Dana", "founder", {})
    data["functions"][3]["rating"] = 9
    path = write_answers(tmp_path / "bad.yaml", data)
    result = subprocess.run(
        [sys.executable, "-m", "revarch", "-w", str(workspace.path), "diagnose",
         "--answers", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ")
    assert "functions.3.rating: rating 9 is out of range" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["diagnose", "prerequisites", "roadmap", "audit"])
def test_help_shows_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: revarch " in result.stdout


def test_insert_rows_helper() -> None:
    store = Store.in_memory()
    rows = [
        {"key": "a", "value": "1"},
        {"value": "2", "key": "b"},
    ]
    assert store.insert_rows("meta", rows) == 2
    assert store.get_meta("a") == "1"
    assert store.get_meta("b") == "2"
    assert store.insert_rows("meta", []) == 0
    with pytest.raises(ValueError, match="row 2 for table meta"):
        store.insert_rows("meta", [{"key": "c", "value": "3"}, {"key": "d"}])
    assert store.get_meta("c") is None
    store.close()


def test_insert_rows_all_or_nothing() -> None:
    store = Store.in_memory()
    rows = [{"key": "x", "value": "1"}, {"key": "x", "value": "2"}]
    with pytest.raises(Exception, match="(?i)constraint|duplicate"):
        store.insert_rows("meta", rows)
    assert store.get_meta("x") is None
    store.insert_rows(
        "audits",
        [
            {
                "id": 1,
                "period": "2025-Q1",
                "created_at": dt.datetime(2025, 4, 1, 9, 0),
                "as_of": dt.date(2025, 3, 31),
                "passed": 2,
                "recommended_function": 6,
                "detail": "{}",
            }
        ],
    )
    assert store.count("audits") == 1
    store.close()
