"""``revarch check`` findings on a small hand-built workspace."""

from __future__ import annotations

import datetime as dt

import ibis

from revarch.quality import check_workspace
from revarch.storage import Finding, TableLoad
from revarch.workspace import Workspace


def build(workspace: Workspace) -> None:
    """Load three opportunities, one seller with none, and a EUR amount without rate."""
    day = dt.datetime(2025, 3, 1, 9, 0)
    opportunities = ibis.memtable(
        {
            "id": ["o1", "o2", "o3"],
            "name": ["Alpha", "Beta", "Gamma"],
            "account": ["A", "B", "C"],
            "seller_id": ["s1", "s1", None],
            "created_at": [day, day, day],
            "close_date": [dt.date(2025, 4, 1), dt.date(2025, 2, 1), None],
            "amount": [100.0, 200.0, 300.0],
            "currency": ["USD", "EUR", "USD"],
            "stage_label": ["Closed Won", "Closed Lost", "Mystery"],
            "status": ["won", "lost", "open"],
        }
    )
    sellers = ibis.memtable(
        {"id": ["s1", "s2"], "name": ["Ann", "Bo"], "is_seller": [True, True]}
    )
    events = ibis.memtable(
        {
            "opportunity_id": ["o1", "o1"],
            "stage_label": ["Prospecting", "Closed Won"],
            "entered_at": [day - dt.timedelta(days=2), day + dt.timedelta(days=9)],
            "seq": [1, 2],
            "source_id": ["h1", "h2"],
        }
    )
    workspace.store.apply_import(
        importer="test",
        source="test:crm",
        files=["x.csv"],
        loads=[
            TableLoad("opportunities", opportunities, "x.csv"),
            TableLoad("sellers", sellers, "x.csv"),
            TableLoad("stage_events", events, "x.csv"),
        ],
        full_export=True,
        rows_read=7,
        findings=[Finding("status_corrected", 4, "statuses corrected", ["o9"])],
    )


def by_kind(report: dict) -> dict[str, dict]:
    return {finding["kind"]: finding for finding in report["findings"]}


def test_check_lists_each_problem(workspace: Workspace) -> None:
    build(workspace)
    found = by_kind(check_workspace(workspace))
    assert found["without_history"]["examples"] == ["o2", "o3"]
    assert found["history_before_creation"]["examples"] == ["o1"]
    assert found["close_before_creation"]["examples"] == ["o2"]
    assert found["missing_fx_rates"]["examples"] == ["o2 (EUR)"]
    assert found["sellers_without_opportunities"]["examples"] == ["s2"]
    assert found["opportunities_without_seller"]["examples"] == ["o3"]
    assert found["import:status_corrected"]["count"] == 4


def test_rate_on_or_before_date_clears_finding(workspace: Workspace) -> None:
    build(workspace)
    rates = ibis.memtable(
        {"currency": ["EUR"], "date": [dt.date(2025, 1, 1)], "rate": [1.1]}
    )
    workspace.store.apply_import(
        importer="test",
        source="test:fx",
        files=["fx.csv"],
        loads=[TableLoad("fx_rates", rates, "fx.csv")],
        full_export=True,
        rows_read=1,
    )
    assert "missing_fx_rates" not in by_kind(check_workspace(workspace))


def test_rate_after_date_still_missing(workspace: Workspace) -> None:
    build(workspace)
    rates = ibis.memtable(
        {"currency": ["EUR"], "date": [dt.date(2025, 2, 2)], "rate": [1.1]}
    )
    workspace.store.apply_import(
        importer="test",
        source="test:fx",
        files=["fx.csv"],
        loads=[TableLoad("fx_rates", rates, "fx.csv")],
        full_export=True,
        rows_read=1,
    )
    assert by_kind(check_workspace(workspace))["missing_fx_rates"]["count"] == 1


def test_unmapped_labels_need_a_process(workspace: Workspace) -> None:
    build(workspace)
    assert "unmapped_stage_labels" not in by_kind(check_workspace(workspace))
    config = workspace.config_path
    text = (
        config.read_text()
        .replace(
            "  stages: []",
            "  stages:\n    - id: prospecting\n      label: Prospecting\n",
        )
        .replace("  won_labels: []", "  won_labels: [Closed Won]")
    )
    config.write_text(text)
    workspace.reload_settings()
    found = by_kind(check_workspace(workspace))["unmapped_stage_labels"]
    assert found["examples"] == ["Closed Lost", "Mystery"]


def test_empty_workspace_has_no_findings(workspace: Workspace) -> None:
    assert check_workspace(workspace)["findings"] == []
