"""The roadmap: one function per sprint, tiers first, order constraints kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revarch.diagnosis.answers import (
    FunctionAnswer,
    Respondent,
    read_answer_file,
    save_answer_sheet,
)
from revarch.diagnosis.roadmap import build_roadmap, plan_roadmap
from revarch.diagnosis.roadmap_store import get_current_sprint, load_latest_roadmap
from revarch.diagnosis.scorecard import Scorecard, score_functions
from revarch.diagnosis.signals import Signal
from revarch.errors import InputError
from revarch.framework import FUNCTIONS, get_function
from revarch.workspace import Workspace
from tests.test_diagnosis_support import STRONG, WEAK, answer_data, write_answers

START = dt.date(2025, 7, 1)
CONSTRAINTS = ((6, 7), (6, 3), (9, 10))

answers_strategy = st.builds(
    FunctionAnswer,
    function=st.just(0),
    formal_process=st.booleans(),
    depends_on_one_person=st.booleans(),
    measured=st.booleans(),
    rating=st.integers(1, 5),
)


@st.composite
def respondents(draw: st.DrawFn) -> list[Respondent]:
    people = []
    for index in range(draw(st.integers(1, 3))):
        answered = draw(st.sets(st.sampled_from([f.number for f in FUNCTIONS])))
        answers = {}
        for number in answered:
            answer = draw(answers_strategy)
            answers[number] = FunctionAnswer(**{**answer.__dict__, "function": number})
        people.append(Respondent(name=f"r{index}", role="founder", answers=answers))
    return people


@st.composite
def fired_signals(draw: st.DrawFn) -> list[Signal]:
    numbers = draw(st.lists(st.sampled_from(range(1, 12)), max_size=5))
    return [
        Signal(
            id=f"test{index}",
            functions=(number,),
            title="test",
            status="fired",
            evidence="test",
            points=-float(draw(st.integers(0, 40))),
        )
        for index, number in enumerate(numbers)
    ]


def scorecard_of(people: list[Respondent], signals: list[Signal]) -> Scorecard:
    return Scorecard(
        as_of=START,
        threshold=60.0,
        respondents=people,
        functions=score_functions(people, signals, 60.0),
        signals=signals,
        guardrails=[],
    )


@settings(max_examples=300, deadline=None)
@given(people=respondents(), signals=fired_signals(), sprints=st.integers(1, 11))
def test_roadmap_rules_hold_for_any_answers(
    people: list[Respondent], signals: list[Signal], sprints: int
) -> None:
    card = scorecard_of(people, signals)
    roadmap = plan_roadmap(card, start=START, sprints=sprints)
    order = [line.function.number for line in roadmap.lines if line.kind != "maintain"]
    sprint_of = {line.function.number: line.sprint for line in roadmap.sprints}
    position = {number: index for index, number in enumerate(order)}

    # One function per sprint, consecutive 90-day sprints from the start.
    assert [line.sprint for line in roadmap.sprints] == list(
        range(1, len(roadmap.sprints) + 1)
    )
    assert len(sprint_of) == len(roadmap.sprints)
    for line in roadmap.sprints:
        assert line.starts_on == START + dt.timedelta(days=90 * (line.sprint - 1))
        assert line.ends_on == line.starts_on + dt.timedelta(days=89)
    assert len(roadmap.sprints) == min(sprints, len(order))

    # Every function appears once; candidates are Tier 1-2 below the threshold.
    assert sorted(line.function.number for line in roadmap.lines) == list(range(1, 12))
    for score in card.functions:
        candidate = score.tier in (1, 2) and (
            score.maturity is None or score.maturity < 60.0
        )
        assert (score.number in position) == candidate

    # Order constraints: the first function is placed before the second
    # whenever both are candidates.
    for before, after in CONSTRAINTS:
        if before in position and after in position:
            assert position[before] < position[after]

    # Tier 1 before Tier 2.
    tiers = [get_function(number).tier for number in order]
    assert tiers == sorted(tiers)


def test_sprint_order_by_hand(workspace: Workspace, tmp_path: Path) -> None:
    # Maturity on an empty workspace (signals: #6 no process -15 and
    # formal_process settled to no; #3 no assessments -20; #9 no activities
    # -20, both settle measured to no):
    #   #1  rating 2, one person         -> 12.5
    #   #3  rating 3, formal, not one    -> 25 + 35 - 20 = 40
    #   #9  rating 3, all facts good     -> 25 + 35 - 20 = 40
    #   #6  rating 4, all facts good     -> 37.5 + 30 - 15 = 52.5
    #   #7  weak                         -> 0
    #   #4  rating 2, not one person     -> 12.5 + 15 = 27.5
    #   #10 rating 2, not one, measured  -> 12.5 + 30 = 42.5
    # Tier 1 by maturity: 1, 3, 9, 6; #3 waits for #6. Then Tier 2: 7, 4, 10.
    answers = {
        1: (False, True, False, 2),
        3: (True, False, False, 3),
        9: (True, False, True, 3),
        6: (True, False, True, 4),
        7: WEAK,
        4: (False, False, False, 2),
        10: (False, False, True, 2),
        5: WEAK,
    }
    path = write_answers(tmp_path / "a.yaml", answer_data("Dana", "founder", answers))
    save_answer_sheet(workspace, read_answer_file(path))
    roadmap = build_roadmap(workspace, start=START, sprints=6)
    data = roadmap.to_dict()

    assert [line["function"] for line in data["sprints"]] == [1, 9, 6, 3, 7, 4]
    assert [line["maturity"] for line in data["sprints"]] == [
        12.5, 40.0, 52.5, 40.0, 0.0, 27.5,
    ]  # fmt: skip
    assert [line["function"] for line in data["later"]] == [10]
    assert sorted(line["function"] for line in data["maintain"]) == [2, 5, 8, 11]

    five = next(line for line in data["maintain"] if line["function"] == 5)
    assert "below 40" in five["warning"]
    two = next(line for line in data["maintain"] if line["function"] == 2)
    assert two["warning"] is None

    three = data["sprints"][3]
    assert any("comes after #6" in reason for reason in three["why"])
    assert three["outcome"]["metric"] == "sellers_assessed_share"
    assert three["first_steps"]
    assert data["sprints"][0]["starts_on"] == START
    assert data["sprints"][1]["starts_on"] == START + dt.timedelta(days=90)


def test_roadmap_saved_and_current_sprint(workspace: Workspace, tmp_path: Path) -> None:
    path = write_answers(
        tmp_path / "a.yaml", answer_data("Dana", "founder", {1: WEAK, 6: WEAK})
    )
    save_answer_sheet(workspace, read_answer_file(path))
    first = build_roadmap(workspace, start=START, sprints=2)
    again = build_roadmap(workspace, start=START, sprints=2)
    assert first.saved
    assert first.roadmap_id == 1
    assert not again.saved
    assert again.roadmap_id == 1
    current = get_current_sprint(workspace, START + dt.timedelta(days=100))
    assert current is not None
    assert current["sprint"] == 2
    assert current["function"] == first.sprints[1].function.number
    assert get_current_sprint(workspace, START - dt.timedelta(days=1)) is None
    moved = build_roadmap(workspace, start=START + dt.timedelta(days=7), sprints=2)
    assert moved.roadmap_id == 2
    latest = load_latest_roadmap(workspace)
    assert latest is not None
    assert latest["roadmap_id"] == 2


def test_roadmap_needs_answers(workspace: Workspace) -> None:
    with pytest.raises(InputError, match="revarch diagnose"):
        build_roadmap(workspace, start=START)


def test_mature_company_gets_no_sprint(workspace: Workspace, tmp_path: Path) -> None:
    data = answer_data("Dana", "founder", {}, default=STRONG)
    save_answer_sheet(
        workspace, read_answer_file(write_answers(tmp_path / "a.yaml", data))
    )
    roadmap = build_roadmap(workspace, start=START, save=False)
    # Every function is at 65 or more even with the empty workspace's signals.
    assert roadmap.sprints == []
    assert len(roadmap.of_kind("maintain")) == 11
