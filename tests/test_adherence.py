"""Process adherence on hand-made visits, one of which skips a stage.

Stages: a requires an "intro" call and any email; b requires a "demo"
meeting; c requires a "proposal" email. As of 2025-07-15 (UTC), all Ann's.

- x1: a (06-01) -> c (06-10) -> won (06-20); b is skipped. In a: call
  "INTRO call" 06-02 and an email 06-03 (both met). In c: the proposal email
  is dated 06-21, after the visit ended (not met). A "demo" meeting on 06-05
  falls in a's visit but b has no visit, so no requirement. Completed
  visits: 2, required 3, completed 2.
- x2: a since 07-01, still open: intro call 07-05 (met). Neither counts:
  an intro call on 06-15, before the visit, and an email on 07-06 linked to
  no opportunity. Open: required 2, completed 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.metrics.adherence import compute_adherence
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
        {
            "id": "a",
            "label": "A",
            "required_activities": [
                {"name": "Intro call", "type": "call", "subject_contains": ["intro"]},
                {"name": "Recap email", "type": "email"},
            ],
        },
        {
            "id": "b",
            "label": "B",
            "required_activities": [
                {"name": "Demo", "type": "meeting", "subject_contains": ["demo"]}
            ],
        },
        {
            "id": "c",
            "label": "C",
            "required_activities": [
                {"name": "Proposal", "type": "email", "subject_contains": ["Proposal"]}
            ],
        },
    ],
    "won_labels": ["Won"],
    "lost_labels": ["Lost"],
}


def _fill(workspace: Workspace) -> None:
    write_settings(workspace, as_of="2025-07-15", process=PROCESS)
    load(workspace, "sellers", [{"id": "s1", "name": "Ann", "is_seller": True}])
    load(
        workspace,
        "opportunities",
        [
            opportunity("x1", "s1", status="won", stage_label="Won",
                        close_date=D(2025, 6, 20), amount=1.0),
            opportunity("x2", "s1", stage_label="A", amount=1.0),
        ],
    )  # fmt: skip
    load(
        workspace,
        "stage_events",
        [
            event(1, "x1", "A", T(2025, 6, 1)),
            event(2, "x1", "C", T(2025, 6, 10)),
            event(3, "x1", "Won", T(2025, 6, 20)),
            event(4, "x2", "A", T(2025, 7, 1)),
        ],
    )
    rows = [
        ("c1", "call", T(2025, 6, 2), "x1", "INTRO call"),
        ("e1", "email", T(2025, 6, 3), "x1", "recap"),
        ("m1", "meeting", T(2025, 6, 5), "x1", "demo"),
        ("e2", "email", T(2025, 6, 21), "x1", "Proposal v1"),
        ("c2", "call", T(2025, 6, 15), "x2", "intro"),
        ("c3", "call", T(2025, 7, 5), "x2", "Intro"),
        ("e3", "email", T(2025, 7, 6), None, "recap"),
    ]
    load(
        workspace,
        "activities",
        [
            activity(id, "s1", kind, when, opportunity_id=opp, subject=subject)
            for id, kind, when, opp, subject in rows
        ],
    )


@pytest.fixture(scope="module")
def process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The workspace described above (read only)."""
    folder = tmp_path_factory.mktemp("adherence") / "ws"
    init_workspace(folder, name="Adherence Co")
    with open_workspace(folder) as workspace:
        _fill(workspace)
        yield workspace


def test_adherence_skipped_stage_no_requirement(process: Workspace) -> None:
    result = compute_adherence(process, by=None, detail=True)
    assert result.detail is not None
    x1 = [(r["stage"], r["requirement"], r["done"]) for r in result.detail
          if r["opportunity_id"] == "x1"]  # fmt: skip
    assert x1 == [
        ("a", "Intro call", True),
        ("a", "Recap email", True),
        ("c", "Proposal", False),
    ]


def test_adherence_share_by_seller(process: Workspace) -> None:
    row = compute_adherence(process, by="seller").rows[0]
    assert row["seller"] == "s1"
    assert row["seller_name"] == "Ann"
    assert (row["visits"], row["required"], row["completed"]) == (2, 3, 2)
    assert row["adherence"] == round(2 / 3, 6)


def test_adherence_open_visit_apart(process: Workspace) -> None:
    totals = compute_adherence(process, by=None).totals
    assert totals["open_visits"] == 1
    assert totals["open_required"] == 2
    assert totals["open_completed"] == 1


def test_adherence_window_by_exit(process: Workspace) -> None:
    # Only x1's visit to c left its stage on or after 06-15.
    totals = compute_adherence(process, by=None, since="2025-06-15").totals
    assert (totals["visits"], totals["required"], totals["completed"]) == (1, 1, 0)
    assert totals["adherence"] == 0.0


def test_adherence_by_requirement(process: Workspace) -> None:
    rows = compute_adherence(process, by="requirement").rows
    found = {(r["stage"], r["requirement"]): r["completed"] for r in rows}
    assert found == {
        ("a", "Intro call"): 1,
        ("a", "Recap email"): 1,
        ("c", "Proposal"): 0,
    }


def test_adherence_without_requirements(workspace: Workspace) -> None:
    result = compute_adherence(workspace, as_of="2025-07-01")
    assert not result.defined
    assert result.rows == []
    assert "process.stages" in result.notes[0]


def test_adherence_cli_json(process: Workspace) -> None:
    process.close()
    result = CliRunner().invoke(
        app,
        ["-w", str(process.path), "process", "adherence", "--by", "seller", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rows"][0]["completed"] == 2
    assert data["window"]["as_of"] == "2025-07-15"
