"""The alignment audit: four links with their evidence, storage and comparison."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from revarch.diagnosis.answers import read_answer_file, save_answer_sheet
from revarch.diagnosis.audit import run_audit
from revarch.workspace import Workspace
from tests.metrics_support import load, opportunity
from tests.test_diagnosis_support import (
    PROCESS,
    WEAK,
    answer_data,
    at,
    day,
    update_settings,
    write_answers,
)


def seed(workspace: Workspace, tmp_path: Path) -> None:
    load(workspace, "sellers", [{"id": "s1", "name": "Ana"}])
    load(
        workspace,
        "opportunities",
        [opportunity("o1", seller_id="s1", created_at=at("2025-03-01 09:00"))],
    )
    event = {
        "opportunity_id": "o1",
        "stage_label": "Stage 1",
        "entered_at": at("2025-03-01 09:00"),
        "seq": 1,
        "source_id": "h1",
    }
    load(workspace, "stage_events", [event])
    activity = {
        "id": "a1",
        "seller_id": "s1",
        "opportunity_id": "o1",
        "type": "call",
        "occurred_at": at("2025-03-10 10:00"),
    }
    load(workspace, "activities", [activity])
    assessment = {
        "person_id": "s1",
        "kind": "seller",
        "skill": "Hunting",
        "assessed_on": day("2025-02-01"),
        "score": 70.0,
        "rater": "",
    }
    load(workspace, "assessments", [assessment])
    update_settings(
        workspace,
        process=PROCESS,
        hiring_profile={
            "required_competencies": ["Hunting", "Negotiating"],
            "competency_thresholds": {"Hunting": 70},
        },
    )
    answers = answer_data("Dana", "founder", {6: WEAK})
    save_answer_sheet(
        workspace, read_answer_file(write_answers(tmp_path / "a.yaml", answers))
    )


def test_audit_links_by_hand(workspace: Workspace, tmp_path: Path) -> None:
    seed(workspace, tmp_path)
    audit = run_audit(workspace, period="2025-Q1")
    data = audit.to_dict()
    links = {check["id"]: check for check in data["checks"]}
    assert data["as_of"] == "2025-03-10"
    # Negotiating is required but has no hiring threshold.
    assert not links["strategy_people"]["passed"]
    assert (
        "no hiring threshold for Negotiating"
        in links["strategy_people"]["evidence"][1]["evidence"]
    )
    # 5 stages with criteria, and Dana says #1 is a formal process.
    assert links["strategy_process"]["passed"]
    # Hunting was assessed on 2025-02-01, within 90 days; no comp plan.
    people = links["people_performance"]
    assert people["evidence"][0]["passed"]
    assert not people["evidence"][1]["passed"]
    assert not people["passed"]
    # 5 required activities, 1 linked activity, 1 of 1 opportunity with history.
    assert links["process_performance"]["passed"]
    assert links["process_performance"]["data"]["required_activities"] == 5
    assert data["passed"] == 2
    assert data["recommendation"]["function"] == 6
    assert data["recommendation"]["why"]
    assert data["previous"] is None
    assert audit.audit_id == 1


def test_audit_compares_quarters(workspace: Workspace, tmp_path: Path) -> None:
    seed(workspace, tmp_path)
    run_audit(workspace, period="2025-Q1")
    profile = {
        "required_competencies": ["Hunting", "Negotiating"],
        "competency_thresholds": {"Hunting": 70, "Negotiating": 60},
    }
    update_settings(workspace, hiring_profile=profile)
    second = run_audit(workspace, period="2025-Q2").to_dict()
    assert second["audit_id"] == 2
    assert second["period"] == "2025-Q2"
    previous = second["previous"]
    assert previous["period"] == "2025-Q1"
    assert previous["passed"] == 2
    assert previous["recommended_function"] == 6
    assert previous["changes"] == [{"id": "strategy_people", "was": False, "now": True}]
    # Negotiating is screened now but was never assessed.
    people = {c["id"]: c for c in second["checks"]}["people_performance"]
    assert people["data"]["unmeasured_competencies"] == ["Negotiating"]


def test_audit_default_period(workspace: Workspace, tmp_path: Path) -> None:
    seed(workspace, tmp_path)
    audit = run_audit(workspace, save=False)
    assert audit.period == "2025-Q1"
    assert audit.as_of == dt.date(2025, 3, 10)
    assert audit.audit_id is None
