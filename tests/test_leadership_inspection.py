"""Pipeline inspection flags on crafted histories, answers and the 1-on-1.

As of 2025-07-15 (UTC). Stages qualify and propose expect 10 days each.
EUR converts at 1.1 USD.

- p1 (Ann, 80,000): close date 07-01 -> 07-20 -> 08-10 (two pushes, 40
  days), amount 100,000 -> 80,000; in propose since 07-10 (6 days); an
  activity on 07-14.
- p2 (Bob, 60,000): in qualify since 05-01 (76 days: stalled); close date
  06-30 (past); no activity.
- p3 (Ann, 40,000): no history; below the 50,000 line.
- p4 (Ann, 200,000): won, so never inspected.
- p5 (Ann, 48,000 EUR = 52,800 USD): above the line; no history.

Risk: p2 = stalled 2 + past close 2 + no activity 1 + five unanswered 2.5 =
7.5. p1 = two pushes 2 + amount cut 1 + three unanswered 1.5 = 4.5 (reason
and budget answered yes). p5 = no activity 1 + 2.5 = 3.5.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.errors import InputError
from revarch.leadership import answer_question, build_one_on_one, compute_inspection
from revarch.leadership.history import close_date_pushes
from revarch.workspace import Workspace, init_workspace, open_workspace
from tests.test_leadership_support import (
    D,
    T,
    activity,
    event,
    load,
    opportunity,
    write_settings,
)

PROCESS = {
    "stages": [
        {"id": "qualify", "label": "Qualify", "expected_days": 10},
        {"id": "propose", "label": "Propose", "expected_days": 10},
    ],
    "won_labels": ["Won"],
    "lost_labels": ["Lost"],
}


def _fill(workspace: Workspace) -> None:
    write_settings(workspace, as_of="2025-07-15", process=PROCESS)
    load(
        workspace,
        "sellers",
        [
            {"id": "s1", "name": "Ann", "is_seller": True},
            {"id": "s2", "name": "Bob", "is_seller": True},
        ],
    )
    load(
        workspace, "fx_rates", [{"currency": "EUR", "date": D(2025, 1, 1), "rate": 1.1}]
    )
    created = T(2025, 4, 1)
    load(
        workspace,
        "opportunities",
        [
            opportunity("p1", "s1", amount=80_000.0, close_date=D(2025, 8, 10),
                        stage_label="Propose", created_at=created),
            opportunity("p2", "s2", amount=60_000.0, close_date=D(2025, 6, 30),
                        stage_label="Qualify", created_at=created),
            opportunity("p3", "s1", amount=40_000.0, close_date=D(2025, 9, 1),
                        created_at=created),
            opportunity("p4", "s1", amount=200_000.0, close_date=D(2025, 6, 1),
                        status="won", stage_label="Won", created_at=created),
            opportunity("p5", "s1", amount=48_000.0, currency="EUR",
                        close_date=D(2025, 9, 30), created_at=T(2025, 7, 1)),
        ],
    )  # fmt: skip
    load(
        workspace,
        "stage_events",
        [
            event(1, "p1", "Qualify", T(2025, 6, 1), close_date=D(2025, 7, 1),
                  amount=100_000.0),
            event(2, "p1", "Qualify", T(2025, 6, 10), close_date=D(2025, 7, 20),
                  amount=100_000.0),
            event(3, "p1", "Propose", T(2025, 7, 10), close_date=D(2025, 8, 10),
                  amount=80_000.0),
            event(4, "p2", "Qualify", T(2025, 5, 1), close_date=D(2025, 6, 30),
                  amount=60_000.0),
        ],
    )  # fmt: skip
    load(
        workspace,
        "activities",
        [activity("a1", "s1", "call", T(2025, 7, 14, 15), opportunity_id="p1")],
    )
    answer_question(workspace, "p1", "reason", "yes", answered_at=T(2025, 7, 10))
    answer_question(workspace, "p1", "2", "no", answered_at=T(2025, 7, 11))
    answer_question(workspace, "p1", "budget", "YES", answered_at=T(2025, 7, 12))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The workspace of the table above (read only)."""
    folder = tmp_path_factory.mktemp("inspect") / "ws"
    init_workspace(folder, name="Inspect Co")
    with open_workspace(folder) as workspace:
        _fill(workspace)
        yield workspace


@pytest.fixture(scope="module")
def rows(pipeline: Workspace) -> dict[str, dict]:
    return {row["id"]: row for row in compute_inspection(pipeline).rows}


def test_inspection_line_base_currency(rows: dict) -> None:
    assert set(rows) == {"p1", "p2", "p5"}
    assert rows["p5"]["amount"] == pytest.approx(48_000 * 1.1)


def test_inspection_close_date_pushed_twice(rows: dict) -> None:
    p1 = rows["p1"]
    assert p1["close_date_pushes"] == 2
    assert p1["close_date_pushed_days"] == 19 + 21
    assert "close_date_pushed" in p1["flags"]


def test_inspection_amount_cut(rows: dict) -> None:
    p1 = rows["p1"]
    assert p1["amount_changes"] == 1
    assert p1["amount_first"] == 100_000.0
    assert p1["amount_change"] == -20_000.0
    assert p1["amount_cut"] is True
    assert "amount_changed" in p1["flags"]


def test_inspection_not_stalled_recent(rows: dict) -> None:
    p1 = rows["p1"]
    assert p1["stage"] == "propose"
    assert p1["days_in_stage"] == 6.0
    assert "stalled" not in p1["flags"]
    assert "no_recent_activity" not in p1["flags"]
    assert p1["days_since_activity"] == 1


def test_inspection_stalled_overdue_idle(rows: dict) -> None:
    p2 = rows["p2"]
    assert p2["days_in_stage"] == 76.0
    assert p2["flags"] == ["stalled", "no_recent_activity", "close_date_past"]
    assert p2["close_date_pushes"] == 0
    assert p2["last_activity"] is None


def test_inspection_latest_answer_counts(rows: dict) -> None:
    answers = rows["p1"]["answers"]
    assert answers["reason"] == "yes"
    assert answers["budget"] == "yes"
    assert answers["timeline"] is None


def test_inspection_sorted_by_risk(pipeline: Workspace, rows: dict) -> None:
    assert rows["p2"]["risk"] == 7.5
    assert rows["p1"]["risk"] == 4.5
    assert rows["p5"]["risk"] == 3.5
    order = [row["id"] for row in compute_inspection(pipeline).rows]
    assert order == ["p2", "p1", "p5"]


def test_inspection_min_amount_option(pipeline: Workspace) -> None:
    result = compute_inspection(pipeline, min_amount=30_000)
    ids = {row["id"] for row in result.rows}
    assert ids == {"p1", "p2", "p3", "p5"}
    assert result.min_amount == 30_000


def test_close_date_pushes_skip_pull_ins() -> None:
    dates = [D(2025, 7, 1), D(2025, 6, 20), D(2025, 7, 5), D(2025, 7, 5)]
    assert close_date_pushes(dates) == (1, 15)


@pytest.mark.parametrize(
    ("opportunity_id", "question", "answer", "message"),
    [
        pytest.param("p1", "budget", "maybe", "invalid answer 'maybe'", id="answer"),
        pytest.param("p1", "colour", "yes", "unknown question 'colour'", id="question"),
        pytest.param(
            "zz", "budget", "yes", "unknown opportunity 'zz'", id="opportunity"
        ),
    ],
)
def test_answer_invalid_input(
    pipeline: Workspace, opportunity_id: str, question: str, answer: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        answer_question(pipeline, opportunity_id, question, answer)


def test_inspect_cli_answer_then_list(workspace: Workspace) -> None:
    _fill(workspace)
    workspace.close()
    runner = CliRunner()
    folder = str(workspace.path)
    answered = runner.invoke(app, ["-w", folder, "inspect", "answer", "p2", "4", "no"])
    assert answered.exit_code == 0, answered.output
    listed = runner.invoke(app, ["-w", folder, "inspect", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    p2 = next(row for row in data["rows"] if row["id"] == "p2")
    assert p2["answers"]["timeline"] == "no"
    # One "no" (1 point) replaces one unanswered question (0.5 points).
    assert p2["risk"] == 7.5 + 0.5


def test_one_on_one_agenda(pipeline: Workspace) -> None:
    data = build_one_on_one(pipeline, "Ann", "2025-W29")
    metrics = {m["key"]: m for m in data["metrics"]}
    assert data["seller"] == "s1"
    assert data["week"]["id"] == "2025-W29"
    assert data["window"]["until"] == "2025-07-15"
    assert metrics["calls"]["value"] == 1
    assert metrics["calls"]["team_median"] == 0.5
    assert metrics["calls"]["standing"] == "ahead"
    assert data["competency"]["status"] == "no_assessments"
    assert [deal["id"] for deal in data["deals"]] == ["p1", "p5"]
    assert len(data["agenda"]) == 3
    assert data["notes"] == []


def test_one_on_one_week_after_data(pipeline: Workspace) -> None:
    # The data's as-of date is 2025-07-15; 2025-W40 starts on 2025-09-29.
    data = build_one_on_one(pipeline, "Ann", "2025-W40")
    assert len(data["notes"]) == 1
    assert "2025-W40 starts after the data's as-of date 2025-07-15" in data["notes"][0]


def test_one_on_one_unknown_seller(pipeline: Workspace) -> None:
    with pytest.raises(InputError, match="unknown SELLER 'Zed'"):
        build_one_on_one(pipeline, "Zed", "2025-W29")
