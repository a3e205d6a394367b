"""The opportunities behind each funnel count, on a hand-made history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from revarch.errors import InputError
from revarch.process import (
    compute_funnel,
    compute_transitions,
    list_funnel_opportunities,
    list_transition_moves,
)
from revarch.workspace import Workspace

from .process_support import FOUR_STAGES, load, opportunity, set_process
from .test_process_properties import in_memory_workspace

# o1 won from Qualification; o2 lost in Prospecting; o3 open in Proposal;
# o4 lost in Qualification; o5 open in Prospecting.
HISTORY = [
    ("o1", "Prospecting", "2024-01-02"),
    ("o1", "Qualification", "2024-01-05"),
    ("o1", "Closed Won", "2024-01-20"),
    ("o2", "Prospecting", "2024-01-02"),
    ("o2", "Closed Lost", "2024-01-09"),
    ("o3", "Prospecting", "2024-01-03"),
    ("o3", "Qualification", "2024-01-06"),
    ("o3", "Proposal", "2024-01-12"),
    ("o4", "Prospecting", "2024-01-03"),
    ("o4", "Qualification", "2024-01-08"),
    ("o4", "Closed Lost", "2024-01-15"),
    ("o5", "Prospecting", "2024-01-04"),
]
CURRENT = {
    "o1": "Closed Won",
    "o2": "Closed Lost",
    "o3": "Proposal",
    "o4": "Closed Lost",
    "o5": "Prospecting",
}
# Worked out by hand from the history above.
EXPECTED = {
    ("prospect", "reached"): {"o1", "o2", "o3", "o4", "o5"},
    ("prospect", "advanced"): {"o1", "o3", "o4"},
    ("prospect", "lost"): {"o2"},
    ("prospect", "open"): {"o5"},
    ("qualify", "reached"): {"o1", "o3", "o4"},
    ("qualify", "advanced"): {"o1", "o3"},
    ("qualify", "lost"): {"o4"},
    ("qualify", "open"): set(),
    ("propose", "reached"): {"o1", "o3"},
    ("propose", "advanced"): {"o1"},
    ("propose", "open"): {"o3"},
    ("negotiate", "reached"): {"o1"},
}


@pytest.fixture(scope="module")
def workspace() -> Iterator[Workspace]:
    ws = in_memory_workspace()
    amounts = {"o1": 500.0, "o2": 100.0, "o3": 300.0, "o4": 200.0, "o5": None}
    load(
        ws,
        [
            opportunity(oid, label, amount=amounts[oid], close_date=None)
            for oid, label in CURRENT.items()
        ],
        HISTORY,
    )
    set_process(ws, FOUR_STAGES)
    yield ws
    ws.close()


@pytest.mark.parametrize(("stage", "group"), sorted(EXPECTED))
def test_listing_matches_hand_count(
    workspace: Workspace, stage: str, group: str
) -> None:
    listed = list_funnel_opportunities(workspace, stage=stage, group=group)  # type: ignore[arg-type]
    assert {row["id"] for row in listed.rows} == EXPECTED[(stage, group)]


def test_listing_as_long_as_funnel_count(workspace: Workspace) -> None:
    for row in compute_funnel(workspace).to_dict()["stages"]:
        for group in ("reached", "advanced", "lost", "open"):
            listed = list_funnel_opportunities(
                workspace,
                stage=row["stage"],
                group=group,  # type: ignore[arg-type]
            )
            assert listed.to_dict()["count"] == row[group], (row["stage"], group)


def test_listing_largest_first_with_furthest_stage(workspace: Workspace) -> None:
    listed = list_funnel_opportunities(workspace, stage="prospect")
    assert [r["id"] for r in listed.rows] == ["o1", "o3", "o4", "o2", "o5"]
    furthest = {r["id"]: r["furthest_stage"] for r in listed.rows}
    assert furthest == {
        "o1": "won",
        "o2": "prospect",
        "o3": "propose",
        "o4": "qualify",
        "o5": "prospect",
    }


def test_listing_unknown_stage_error(workspace: Workspace) -> None:
    with pytest.raises(InputError, match=r"stage 'demo' not found.*prospect, qualify"):
        list_funnel_opportunities(workspace, stage="demo")


# Moves worked out by hand from the history above (o5 has not moved yet).
MOVES = {
    ("prospect", "qualify"): {"o1", "o3", "o4"},
    ("prospect", "lost"): {"o2"},
    ("qualify", "won"): {"o1"},
    ("qualify", "propose"): {"o3"},
    ("qualify", "lost"): {"o4"},
}


@pytest.mark.parametrize(("source", "target"), sorted(MOVES))
def test_moves_match_hand_count(workspace: Workspace, source: str, target: str) -> None:
    listed = list_transition_moves(workspace, from_stage=source, to_stage=target)
    assert {row["id"] for row in listed.rows} == MOVES[(source, target)]


def test_moves_as_long_as_transition_count(workspace: Workspace) -> None:
    counts = compute_transitions(workspace).to_dict()["transitions"]
    assert {(m["from"], m["to"]) for m in counts} == set(MOVES)
    for move in counts:
        listed = list_transition_moves(
            workspace, from_stage=move["from"], to_stage=move["to"]
        )
        assert listed.to_dict()["count"] == move["count"]


def test_moves_days_from_history(workspace: Workspace) -> None:
    (o2,) = list_transition_moves(
        workspace, from_stage="prospect", to_stage="lost"
    ).rows
    assert o2["days"] == 7.0
    assert (o2["entered_at"], o2["exited_at"]) == (
        "2024-01-02T00:00:00",
        "2024-01-09T00:00:00",
    )


def test_moves_unknown_target_error(workspace: Workspace) -> None:
    with pytest.raises(InputError, match=r"to stage 'closed' not found.*won, lost"):
        list_transition_moves(workspace, from_stage="prospect", to_stage="closed")
