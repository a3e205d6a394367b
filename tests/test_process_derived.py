"""Stage visits and the opportunity summary on hand-made histories."""

from __future__ import annotations

from typing import Any

import pytest

from revarch.errors import ConfigError, InputError
from revarch.process import compute_funnel, compute_stalls, ensure_derived
from revarch.process.derived import SUMMARY_TABLE, VISITS_TABLE
from revarch.workspace import Workspace

from .process_support import FOUR_STAGES, load, opportunity, set_process


def visits_of(workspace: Workspace, opportunity_id: str) -> list[dict[str, Any]]:
    ensure_derived(workspace)
    table = workspace.store.table(VISITS_TABLE)
    rows = table.filter(table.opportunity_id == opportunity_id).order_by("visit_number")
    return workspace.store.rows(rows)


def summary_of(workspace: Workspace, opportunity_id: str) -> dict[str, Any]:
    ensure_derived(workspace)
    table = workspace.store.table(SUMMARY_TABLE)
    rows = workspace.store.rows(table.filter(table.opportunity_id == opportunity_id))
    assert len(rows) == 1
    return rows[0]


def test_visits_unmapped_row_joins_visit(workspace: Workspace) -> None:
    load(
        workspace,
        [opportunity("a", "Closed Won")],
        [
            ("a", "Prospecting", "2024-01-01"),
            ("a", "Unknown label", "2024-01-03"),
            ("a", "Prospecting", "2024-01-05"),
            ("a", "Qualification", "2024-01-11"),
            ("a", "Qualification", "2024-01-12"),
            ("a", "Closed Won", "2024-01-21"),
        ],
    )
    set_process(workspace, FOUR_STAGES)
    visits = visits_of(workspace, "a")
    assert [v["stage_id"] for v in visits] == ["prospect", "qualify"]
    assert [v["days"] for v in visits] == [10.0, 10.0]
    assert [v["next_stage_id"] for v in visits] == ["qualify", "won"]
    assert [v["visit_number"] for v in visits] == [1, 2]


def test_visits_backward_move_is_new_visit(workspace: Workspace) -> None:
    load(
        workspace,
        [opportunity("a", "Qualification")],
        [
            ("a", "Qualification", "2024-01-01"),
            ("a", "Prospecting", "2024-01-02"),
            ("a", "Qualification", "2024-01-04"),
        ],
    )
    set_process(workspace, FOUR_STAGES)
    visits = visits_of(workspace, "a")
    assert [v["stage_id"] for v in visits] == ["qualify", "prospect", "qualify"]
    assert visits[-1]["exited_at"] is None
    assert visits[-1]["days"] is None
    assert summary_of(workspace, "a")["furthest_stage_index"] == 1


def test_inferred_visit_when_history_ends_early(workspace: Workspace) -> None:
    load(
        workspace,
        [opportunity("a", "Negotiation")],
        [("a", "Prospecting", "2024-01-01"), ("a", "Qualification", "2024-01-05")],
    )
    set_process(workspace, FOUR_STAGES)
    visits = visits_of(workspace, "a")
    assert [v["stage_id"] for v in visits] == ["prospect", "qualify", "negotiate"]
    assert [v["is_inferred"] for v in visits] == [False, False, True]
    assert visits[1]["exit_inferred"] is True
    assert visits[1]["days"] is None
    assert visits[2]["entered_at"].date().isoformat() == "2024-01-05"
    summary = summary_of(workspace, "a")
    assert summary["furthest_stage_index"] == 3
    assert summary["current_stage_id"] == "negotiate"
    assert summary["current_stage_entered_at"] is None


def test_inferred_visit_age_unknown_not_stalled(workspace: Workspace) -> None:
    load(
        workspace,
        [
            opportunity("a", "Negotiation"),
            opportunity("b", "Prospecting"),
            opportunity("c", "Prospecting"),
        ],
        [
            ("a", "Prospecting", "2024-01-01"),
            ("b", "Prospecting", "2024-06-29"),
            ("c", "Prospecting", "2024-01-01"),
        ],
    )
    process = {**FOUR_STAGES, "stages": [dict(s) for s in FOUR_STAGES["stages"]]}
    for stage in process["stages"]:
        stage["expected_days"] = 30
    set_process(workspace, process)
    result = compute_stalls(workspace, as_of="2024-06-30")
    assert [o.id for o in result.age_unknown] == ["a"]
    assert [o.id for o in result.opportunities] == ["c"]
    assert result.opportunities[0].days_in_stage == 182.0


def test_inferred_move_not_a_transition(workspace: Workspace) -> None:
    from revarch.process import compute_transitions

    load(
        workspace,
        [opportunity("a", "Closed Lost")],
        [("a", "Prospecting", "2024-01-01"), ("a", "Qualification", "2024-01-05")],
    )
    set_process(workspace, FOUR_STAGES)
    result = compute_transitions(workspace)
    pairs = {(t.from_stage, t.to_stage): t.count for t in result.transitions}
    assert pairs == {("prospect", "qualify"): 1}
    assert summary_of(workspace, "a")["status"] == "lost"


def test_status_label_beats_record_flag(workspace: Workspace) -> None:
    load(
        workspace,
        [opportunity("a", "Closed Won", status="open")],
        [("a", "Prospecting", "2024-01-01"), ("a", "Closed Won", "2024-01-09")],
    )
    set_process(workspace, FOUR_STAGES)
    summary = summary_of(workspace, "a")
    assert summary["status"] == "won"
    assert summary["furthest_stage_index"] == 4


def test_won_passes_skipped_stages(workspace: Workspace) -> None:
    load(
        workspace,
        [opportunity("a", "Closed Won")],
        [("a", "Prospecting", "2024-01-01"), ("a", "Closed Won", "2024-01-03")],
    )
    set_process(workspace, FOUR_STAGES)
    funnel = compute_funnel(workspace)
    assert [s.advanced for s in funnel.stages] == [1, 1, 1, 1]
    assert [s.reached for s in funnel.stages] == [1, 1, 1, 1]


def test_no_history_left_out_and_counted(workspace: Workspace) -> None:
    load(
        workspace,
        [opportunity("a", "Closed Lost"), opportunity("b", "Qualification")],
        [("a", "Closed Lost", "2024-01-02")],
    )
    set_process(workspace, FOUR_STAGES)
    funnel = compute_funnel(workspace)
    assert funnel.without_history == 1
    assert funnel.lost == 1
    assert funnel.open == 0
    assert funnel.stages[0].lost == 1
    assert summary_of(workspace, "b")["has_history"] is False


def test_deleted_opportunity_excluded(workspace: Workspace) -> None:
    events = [("a", "Prospecting", "2024-01-01"), ("b", "Prospecting", "2024-01-01")]
    load(
        workspace,
        [opportunity("a", "Prospecting"), opportunity("b", "Prospecting")],
        events,
    )
    load(workspace, [opportunity("a", "Prospecting")], events[:1])
    set_process(workspace, FOUR_STAGES)
    funnel = compute_funnel(workspace)
    assert funnel.stages[0].reached == 1
    assert visits_of(workspace, "b") == []


def test_rebuild_when_process_changes(workspace: Workspace) -> None:
    load(
        workspace,
        [opportunity("a", "Qualification")],
        [("a", "Prospecting", "2024-01-01"), ("a", "Qualification", "2024-01-02")],
    )
    set_process(workspace, FOUR_STAGES)
    assert [v["stage_id"] for v in visits_of(workspace, "a")] == [
        "prospect",
        "qualify",
    ]
    merged = {
        "stages": [
            {
                "id": "early",
                "label": "Early",
                "aliases": ["Prospecting", "Qualification"],
            },
            {"id": "late", "label": "Late", "aliases": ["Proposal", "Negotiation"]},
        ],
        "won_labels": ["Closed Won"],
        "lost_labels": ["Closed Lost"],
    }
    set_process(workspace, merged)
    assert [v["stage_id"] for v in visits_of(workspace, "a")] == ["early"]


def test_rebuild_when_data_changes(workspace: Workspace) -> None:
    set_process(workspace, FOUR_STAGES)
    load(
        workspace,
        [opportunity("a", "Prospecting")],
        [("a", "Prospecting", "2024-01-01")],
    )
    assert compute_funnel(workspace).stages[0].reached == 1
    load(
        workspace,
        [opportunity("a", "Prospecting"), opportunity("b", "Prospecting")],
        [("a", "Prospecting", "2024-01-01"), ("b", "Prospecting", "2024-01-02")],
    )
    assert compute_funnel(workspace).stages[0].reached == 2


def test_default_process_follows_sort_order(workspace: Workspace) -> None:
    labels = [
        {
            "label": name,
            "pipeline": "",
            "sort_order": order,
            "is_closed": closed,
            "is_won": won,
        }
        for name, order, closed, won in [
            ("Discovery", 1, False, False),
            ("Demo", 2, False, False),
            ("Signed", 3, True, True),
            ("Dropped", 4, True, False),
        ]
    ]
    load(
        workspace,
        [opportunity("a", "Signed", status="won")],
        [
            ("a", "Demo", "2024-01-01"),
            ("a", "Discovery", "2024-01-02"),
            ("a", "Signed", "2024-01-03"),
        ],
        labels=labels,
    )
    funnel = compute_funnel(workspace)
    assert [s.label for s in funnel.stages] == ["Discovery", "Demo"]
    assert funnel.won == 1


def test_pipeline_outside_process_reported(workspace: Workspace) -> None:
    load(
        workspace,
        [
            opportunity("a", "Prospecting", pipeline="New"),
            opportunity("b", "Prospecting", pipeline="Renewal"),
        ],
        [("a", "Prospecting", "2024-01-01"), ("b", "Prospecting", "2024-01-01")],
    )
    set_process(workspace, {**FOUR_STAGES, "pipelines": ["New"]})
    funnel = compute_funnel(workspace)
    assert funnel.outside_process == 1
    assert funnel.stages[0].reached == 1
    with pytest.raises(InputError, match="--pipeline 'Renewal' is not covered"):
        compute_funnel(workspace, pipeline="Renewal")


def test_pipeline_option_filters(workspace: Workspace) -> None:
    load(
        workspace,
        [
            opportunity("a", "Prospecting", pipeline="New"),
            opportunity("b", "Closed Won", pipeline="Renewal"),
        ],
        [("a", "Prospecting", "2024-01-01"), ("b", "Closed Won", "2024-01-01")],
    )
    set_process(workspace, FOUR_STAGES)
    assert compute_funnel(workspace, pipeline="renewal").won == 1
    assert compute_funnel(workspace, pipeline="New").won == 0
    with pytest.raises(InputError, match="the pipelines in the data are: New, Renewal"):
        compute_funnel(workspace, pipeline="Other")


def test_alias_in_two_stages_rejected(workspace: Workspace) -> None:
    process = {
        "stages": [
            {"id": "one", "label": "One", "aliases": ["Demo"]},
            {"id": "two", "label": "Two", "aliases": ["demo "]},
        ]
    }
    set_process(workspace, process)
    with pytest.raises(ConfigError, match=r"process.stages\[1\].aliases: the raw"):
        ensure_derived(workspace)


def test_cohort_window_by_creation(workspace: Workspace) -> None:
    load(
        workspace,
        [
            opportunity("a", "Prospecting", created_at=_ts("2024-01-10")),
            opportunity("b", "Prospecting", created_at=_ts("2024-02-10")),
        ],
        [("a", "Prospecting", "2024-01-10"), ("b", "Prospecting", "2024-02-10")],
    )
    set_process(workspace, FOUR_STAGES)
    funnel = compute_funnel(workspace, since="2024-02-01", until="2024-02-29")
    assert funnel.stages[0].reached == 1
    assert funnel.window.to_dict() == {
        "view": "cohort",
        "since": "2024-02-01",
        "until": "2024-02-29",
        "as_of": "2024-02-10",
    }


def _ts(text: str) -> Any:
    from .process_support import day

    return day(text)


def test_reserved_stage_id_rejected(workspace: Workspace) -> None:
    set_process(workspace, {"stages": [{"id": "won", "label": "Won"}]})
    with pytest.raises(ConfigError, match=r"process.stages\[0\].id: 'won' is reserved"):
        ensure_derived(workspace)
