"""The questionnaire stores each answer as given and resumes where it stopped."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from revarch.cli.main import app
from revarch.diagnosis.answers import QUESTIONS, load_respondents
from revarch.diagnosis.questionnaire import run_questionnaire
from revarch.workspace import Workspace
from tests.test_diagnosis_support import ScriptedPrompts

# Per function: formal_process, depends_on_one_person, measured, rating, notes.
PER_FUNCTION = len(QUESTIONS)


def function_answers(rating: int) -> list[object]:
    return [True, False, True, rating, f"rated {rating}"]


def test_stops_and_resumes(workspace: Workspace) -> None:
    first = ScriptedPrompts(["Dana", "founder", *function_answers(2), True, True])
    with pytest.raises(EOFError):
        run_questionnaire(workspace, first)
    stored = load_respondents(workspace)
    assert len(stored) == 1
    assert not stored[0].complete
    assert sorted(stored[0].answers) == [1]
    assert len(stored[0].open_round) == PER_FUNCTION + 2

    rest = [None, None]  # accept the defaults: name and role
    rest += [False, 3, "later"]  # the rest of #2
    for _ in range(3, 12):
        rest += function_answers(4)
    second = ScriptedPrompts(rest)
    result = run_questionnaire(workspace, second)

    assert second.questions[0] == "Your name"
    assert second.defaults[0] == "Dana"
    assert second.defaults[1] == "founder"
    # #1 and the two answered facts of #2 are not asked again.
    assert len(second.questions) == 2 + 3 + 9 * PER_FUNCTION
    assert result.resumed
    assert result.round == 1
    assert result.asked == 3 + 9 * PER_FUNCTION
    person = load_respondents(workspace)[0]
    assert person.complete
    assert person.answers[1].rating == 2
    assert person.answers[2].formal_process is True
    assert person.answers[2].depends_on_one_person is True
    assert person.answers[2].measured is False
    assert person.answers[2].rating == 3
    assert person.answers[11].rating == 4


def test_complete_round_opens_next_with_defaults(workspace: Workspace) -> None:
    answers: list[object] = ["Lee", "sales leader"]
    for _ in range(11):
        answers += function_answers(3)
    run_questionnaire(workspace, ScriptedPrompts(answers))

    again = ScriptedPrompts(["Lee", None, *function_answers(5)])
    with pytest.raises(EOFError):
        run_questionnaire(workspace, again)
    person = load_respondents(workspace)[0]
    assert person.latest_round == 2
    assert not person.complete
    # The previous round's answers are the defaults of the new round.
    assert again.defaults[2:7] == [True, False, True, 3, "rated 3"]
    assert person.answers[1].rating == 5
    assert person.answers[1].round == 2
    assert person.answers[2].rating == 3
    assert person.answers[2].round == 1


def test_given_respondent_skips_name_question(workspace: Workspace) -> None:
    prompts = ScriptedPrompts([True])
    with pytest.raises(EOFError):
        run_questionnaire(workspace, prompts, respondent="Kim", role="revops")
    assert prompts.questions[0].startswith("Is it run by a formal")
    assert load_respondents(workspace)[0].role == "revops"


def test_cli_input_resumes(workspace: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["-w", str(workspace.path), "diagnose"]
    first = runner.invoke(app, args, input="Kim\nrevops\ny\nn\ny\n2\nfirst\nn\n")
    assert first.exit_code == 1
    assert "run `revarch diagnose` again" in first.output

    lines = ["", ""]  # keep the name and role defaults
    lines += ["y", "n", "2", "two"]  # the rest of #2
    for _ in range(3, 12):
        lines += ["y", "n", "y", "4", ""]
    second = runner.invoke(app, [*args, "--json"], input="\n".join(lines) + "\n")
    assert second.exit_code == 0, second.output
    person = load_respondents(workspace)[0]
    assert person.name == "Kim"
    assert person.complete
    assert person.answers[1].rating == 2
    assert person.answers[1].notes == "first"
    assert person.answers[2].formal_process is False
    assert person.answers[2].depends_on_one_person is True
    assert person.answers[2].measured is False
    assert person.answers[2].rating == 2
    assert person.answers[9].rating == 4
