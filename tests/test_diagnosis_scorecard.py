"""Maturity scores, data signals, perception gaps and disagreement."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from revarch.diagnosis.answers import read_answer_file, save_answer_sheet
from revarch.diagnosis.scorecard import Scorecard, build_scorecard
from revarch.workspace import Workspace
from tests.metrics_support import load, opportunity
from tests.test_diagnosis_support import (
    PROCESS,
    STRONG,
    WEAK,
    answer_data,
    at,
    day,
    update_settings,
    write_answers,
)


def store(workspace: Workspace, tmp_path: Path, data: dict) -> None:
    path = write_answers(tmp_path / f"{data['respondent']['name']}.yaml", data)
    save_answer_sheet(workspace, read_answer_file(path))


def signal(card: Scorecard, signal_id: str) -> dict:
    found = [s for s in card.to_dict()["signals"] if s["id"] == signal_id]
    assert len(found) == 1, found
    return found[0]


def test_empty_workspace_maturity_by_hand(workspace: Workspace, tmp_path: Path) -> None:
    # An empty workspace fires three signals: no process definition (#6,
    # -15, settles formal_process = no), no assessments (#3, -20, settles
    # measured = no) and no activities (#9, -20, settles measured = no).
    store(workspace, tmp_path, answer_data("Dana", "founder", {}))
    card = build_scorecard(workspace)
    maturity = {score.number: score.maturity for score in card.functions}
    # Strong answers: rating 5 -> 50, facts 20 + 15 + 15 = 50.
    assert maturity[1] == 100.0
    # #6: 50 + (50 - 20) - 15 = 65.
    assert maturity[6] == 65.0
    # #3 and #9: 50 + (50 - 15) - 20 = 65.
    assert maturity[3] == 65.0
    assert maturity[9] == 65.0
    six = card.get(6)
    assert six.rating_points == 50.0
    assert six.fact_points == 30.0
    assert six.signal_points == -15.0
    assert signal(card, "stage_history")["status"] == "unavailable"
    assert signal(card, "forecast_error")["status"] == "unavailable"
    assert signal(card, "comp_without_margin")["status"] == "unavailable"


def test_weak_answers_clamp_at_zero(workspace: Workspace, tmp_path: Path) -> None:
    store(workspace, tmp_path, answer_data("Dana", "founder", {}, default=WEAK))
    card = build_scorecard(workspace)
    # Rating 1 and no good fact: 0 points; #6 has -15 on top, kept at 0.
    assert card.get(1).maturity == 0.0
    assert card.get(6).maturity == 0.0
    assert card.get(6).signal_points == -15.0


def test_perception_gap_and_contradiction(workspace: Workspace, tmp_path: Path) -> None:
    store(workspace, tmp_path, answer_data("Dana", "founder", {}))
    card = build_scorecard(workspace)
    nine = card.get(9)
    # Rating 5 -> 100; evidence: 2 x 35 facts - 20 signal = 50.
    assert nine.perception[0]["rating_score"] == 100.0
    assert nine.perception[0]["evidence_score"] == 50.0
    assert nine.perception_gap == 50.0
    assert nine.measured is False
    assert any("Dana answered yes to measured" in c for c in nine.contradictions)
    # #1 has no signal: rating 100 vs evidence 2 x 50 = 100.
    assert card.get(1).perception_gap == 0.0


def test_respondents_disagree(workspace: Workspace, tmp_path: Path) -> None:
    store(workspace, tmp_path, answer_data("Dana", "founder", {}))
    lee = answer_data("Lee", "sales leader", {4: (True, True, True, 2)})
    store(workspace, tmp_path, lee)
    data = build_scorecard(workspace).to_dict()
    by_function = {row["function"]: row for row in data["disagreements"]}
    assert sorted(by_function) == [4]
    assert by_function[4]["rating_spread"] == 3
    assert by_function[4]["split_facts"] == ["depends_on_one_person"]
    assert by_function[4]["ratings"] == {"Dana": 5, "Lee": 2}
    four = next(row for row in data["functions"] if row["function"] == 4)
    assert four["hero_dependency_share"] == 0.5
    assert four["rating_mean"] == 3.5
    # Mean of Dana (50 + 50) and Lee (12.5 + 35).
    assert four["maturity"] == pytest.approx((100 + 47.5) / 2, abs=0.05)


def _seed_history_and_bookings(workspace: Workspace) -> None:
    load(
        workspace, "sellers", [{"id": "s1", "name": "Ana"}, {"id": "s2", "name": "Ben"}]
    )
    opportunities = [
        opportunity(
            f"w{index}",
            seller_id="s1" if index < 3 else "s2",
            created_at=at("2025-01-05 09:00"),
            close_date=day("2025-03-01"),
            amount=100.0,
            currency="USD",
            status="won",
        )
        for index in range(4)
    ]
    load(workspace, "opportunities", opportunities)
    events = [
        {
            "opportunity_id": "w0",
            "stage_label": "Qualify",
            "entered_at": at("2025-01-05 09:00"),
            "seq": 1,
            "source_id": "h1",
        }
    ]
    load(workspace, "stage_events", events)
    activities = [
        {
            "id": "a1",
            "seller_id": "s1",
            "type": "call",
            "occurred_at": at("2024-10-01 10:00"),
        }
    ]
    load(workspace, "activities", activities)


def test_signals_from_data(workspace: Workspace, tmp_path: Path) -> None:
    _seed_history_and_bookings(workspace)
    update_settings(workspace, process=PROCESS)
    store(workspace, tmp_path, answer_data("Dana", "founder", {}))
    card = build_scorecard(workspace)
    assert card.as_of == dt.date(2025, 3, 1)
    history = signal(card, "stage_history")
    # 1 of 4 opportunities has history: under half.
    assert history["status"] == "fired"
    assert history["points"] == -10.0
    assert history["values"] == {"with_history": 1, "opportunities": 4}
    assert signal(card, "process_definition")["status"] == "clear"
    hero = signal(card, "hero_dependency")
    # Ana holds 300 of 400: 75%.
    assert hero["status"] == "fired"
    assert hero["values"]["top_seller_share"] == 0.75
    assert hero["values"]["seller"] == "s1"
    activity = signal(card, "activity")
    # One activity, 151 days before the as-of date.
    assert activity["status"] == "fired"
    assert activity["points"] == -10.0
    assert card.get(5).maturity == 100.0 - 15 - 15
    assert card.get(5).contradictions


def test_hero_clear_below_half(workspace: Workspace, tmp_path: Path) -> None:
    rows = [
        opportunity(
            f"w{index}",
            seller_id=f"s{index}",
            created_at=at("2025-01-05 09:00"),
            close_date=day("2025-03-01"),
            amount=100.0,
            status="won",
        )
        for index in range(3)
    ]
    load(workspace, "opportunities", rows)
    card = build_scorecard(workspace)
    hero = signal(card, "hero_dependency")
    assert hero["status"] == "clear"
    assert hero["values"]["top_seller_share"] == pytest.approx(1 / 3, abs=1e-4)


def test_guardrails_in_diagnosis(workspace: Workspace, tmp_path: Path) -> None:
    update_settings(workspace, hiring_profile={"min_experience_years": 10})
    store(workspace, tmp_path, answer_data("Dana", "founder", {7: STRONG}))
    found = {g.id: g for g in build_scorecard(workspace).guardrails}
    assert found["hiring_profile"].fired
    assert "10 years of experience" in found["hiring_profile"].evidence
    assert found["enablement_before_process"].fired
    assert found["training_budget"].status == "not_applicable"
