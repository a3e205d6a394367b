"""Answer files: reading, errors that name the key, the template, stored rounds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from revarch.diagnosis.answers import (
    load_respondents,
    read_answer_file,
    render_template,
    save_answer_sheet,
)
from revarch.errors import InputError
from revarch.workspace import Workspace
from tests.test_diagnosis_support import WEAK, answer_data, write_answers


def test_answer_file_reads_every_function(tmp_path: Path) -> None:
    data = answer_data("Dana", "founder", {6: (False, True, False, 2)})
    sheet = read_answer_file(write_answers(tmp_path / "a.yaml", data))
    assert sheet.respondent == "Dana"
    assert sheet.role == "founder"
    assert sorted(sheet.answers) == list(range(1, 12))
    assert sheet.answers[6].formal_process is False
    assert sheet.answers[6].depends_on_one_person is True
    assert sheet.answers[6].rating == 2
    assert sheet.answers[6].notes == "note 6"


def test_answer_file_accepts_names_and_yes_no(tmp_path: Path) -> None:
    data = answer_data("Dana", "founder", {})
    entry = data["functions"].pop(6)
    entry["formal_process"] = "no"
    entry["measured"] = "YES"
    entry["rating"] = "3"
    data["functions"]["Sales Process Architecture"] = entry
    sheet = read_answer_file(write_answers(tmp_path / "a.yaml", data))
    assert sheet.answers[6].formal_process is False
    assert sheet.answers[6].measured is True
    assert sheet.answers[6].rating == 3


def _mutate(tmp_path: Path, change) -> Path:
    data = answer_data("Dana", "founder", {})
    change(data)
    return write_answers(tmp_path / "bad.yaml", data)


BAD_FILES = [
    (
        "unknown_function",
        lambda d: d["functions"].update({12: d["functions"][1]}),
        ["functions.12", "unknown function 12", "1-11"],
    ),
    (
        "rating_out_of_range",
        lambda d: d["functions"][4].update(rating=7),
        ["functions.4.rating", "rating 7 is out of range", "1 (ad hoc) to 5"],
    ),
    (
        "rating_not_number",
        lambda d: d["functions"][4].update(rating="high"),
        ["functions.4.rating", "'high' is not a rating"],
    ),
    (
        "missing_fact",
        lambda d: d["functions"][9].pop("measured"),
        ["functions.9.measured", "missing answer", "yes or no"],
    ),
    (
        "blank_rating",
        lambda d: d["functions"][2].update(rating=None),
        ["functions.2.rating", "missing answer", "1-5"],
    ),
    (
        "missing_function",
        lambda d: d["functions"].pop(10),
        ["functions.10", "missing (Compensation & Incentives)", "missing: 10"],
    ),
    (
        "bad_fact",
        lambda d: d["functions"][3].update(formal_process="maybe"),
        ["functions.3.formal_process", "'maybe' is not an answer"],
    ),
    (
        "unknown_key",
        lambda d: d["functions"][5].update(owner="me"),
        ["functions.5.owner", "unknown key"],
    ),
    (
        "missing_name",
        lambda d: d["respondent"].update(name=""),
        ["respondent.name", "missing"],
    ),
    (
        "missing_role",
        lambda d: d["respondent"].pop("role"),
        ["respondent.role", "missing"],
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_answer_file_names_key(tmp_path: Path, change, expected) -> None:
    path = _mutate(tmp_path, change)
    with pytest.raises(InputError) as error:
        read_answer_file(path)
    message = str(error.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_unfilled_template_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(render_template(), encoding="utf-8")
    with pytest.raises(InputError, match="respondent.name: missing"):
        read_answer_file(path)


def test_filled_template_reads(tmp_path: Path) -> None:
    data = yaml.safe_load(render_template())
    data["respondent"] = {"name": "Lee", "role": "sales leader"}
    for entry in data["functions"].values():
        entry.update(
            formal_process=True, depends_on_one_person=False, measured=True, rating=4
        )
    sheet = read_answer_file(write_answers(tmp_path / "filled.yaml", data))
    assert sorted(sheet.answers) == list(range(1, 12))
    assert all(answer.rating == 4 for answer in sheet.answers.values())


def test_template_comments_name_functions() -> None:
    text = render_template()
    assert "6:  # Sales Process Architecture (Process, Tier 1)" in text
    assert "5 Optimized" in text


def test_rounds_keep_latest_answers(workspace: Workspace, tmp_path: Path) -> None:
    first = answer_data("Dana", "founder", {})
    second = answer_data("dana", "founder", {6: WEAK})
    save_answer_sheet(
        workspace, read_answer_file(write_answers(tmp_path / "1.yaml", first))
    )
    number = save_answer_sheet(
        workspace, read_answer_file(write_answers(tmp_path / "2.yaml", second))
    )
    people = load_respondents(workspace)
    assert number == 2
    assert [person.name for person in people] == ["Dana"]
    assert people[0].latest_round == 2
    assert people[0].complete
    assert people[0].answers[6].rating == 1
    assert people[0].answers[6].round == 2
    assert people[0].answers[1].rating == 5
    assert people[0].answers[6].entered_at is not None
